"""China time, defined once, and a clock that drills and tests can move.

`CHINA_TZ` is China Standard Time (UTC+8, no daylight saving): every date the county sees (today,
deadlines, months of the dashboard, dates read in a diary) is a date there, whatever the
server's zone. `china_now()` / `china_today()` are now and today in it.

The clock file (MINXIN_CLOCK_FILE, handed in by the composition root through `use_file`) holds
an ISO date (YYYY-MM-DD). While it is set, today in the county is that date and every timestamp
the app writes is shifted by the same whole days, so history, deadlines and monthly counts agree.
Unset or empty: the real clock. Imports nothing of the project (models use it)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")
CHINA_ZONE_NAME = "Asia/Shanghai"  # the same, for what wants a zone name (Celery beat)

_clock_file: Optional[str] = None


def use_file(path: Optional[str]) -> None:
    """The clock file of this process (None: the real clock)."""
    global _clock_file
    _clock_file = path or None


def fixed_date() -> Optional[dt.date]:
    path = _clock_file
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return dt.date.fromisoformat(text[:10]) if text else None


def shift(real_utc: dt.datetime) -> dt.datetime:
    """`real_utc` (aware) moved by whole days so its date in China is the fixed date."""
    fixed = fixed_date()
    if fixed is None:
        return real_utc
    return real_utc + (fixed - real_utc.astimezone(CHINA_TZ).date())


def china_now() -> dt.datetime:
    """Now in China (aware), on the clock drills and tests can move."""
    return shift(dt.datetime.now(dt.timezone.utc)).astimezone(CHINA_TZ)


def china_today(now: Optional[dt.datetime] = None) -> dt.date:
    """Today's date in the county; with `now` (naive datetimes are UTC), that moment's date."""
    if now is None:
        fixed = fixed_date()
        if fixed is not None:
            return fixed
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:  # naive datetimes in this code base are UTC
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(CHINA_TZ).date()


def to_china_date(value_utc: dt.datetime) -> dt.date:
    """The date in China of a stored (naive UTC, or aware) datetime."""
    if value_utc.tzinfo is None:
        value_utc = value_utc.replace(tzinfo=dt.timezone.utc)
    return value_utc.astimezone(CHINA_TZ).date()


def utcnow() -> dt.datetime:
    """Now as the rows store it (naive UTC), on the same movable clock."""
    return shift(dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None)
