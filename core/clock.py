"""A clock that drills and tests can move: MINXIN_CLOCK_FILE names a file holding an ISO date
(YYYY-MM-DD). While it is set, today in the county is that date and every timestamp the app
writes is shifted by the same whole days, so history, deadlines and monthly counts agree.
Unset or empty: the real clock. Imports nothing of the project (models use it)."""
from __future__ import annotations

import datetime as dt
import os
from typing import Optional

CST = dt.timezone(dt.timedelta(hours=8), "CST")


def fixed_date() -> Optional[dt.date]:
    path = os.environ.get("MINXIN_CLOCK_FILE")
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
    return real_utc + (fixed - real_utc.astimezone(CST).date())


def utcnow() -> dt.datetime:
    return shift(dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None)
