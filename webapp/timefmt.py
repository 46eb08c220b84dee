"""Times on screen: stored in UTC (naive), shown and typed in the county's one zone.

`TIMEZONE` (MINXIN_TIMEZONE, default Asia/Shanghai) is the only place the zone is named; the
`localtime` template filter and `to_utc` are the only conversions the web app makes.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Optional
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from core.settings import default

DEFAULT_ZONE = default("TIMEZONE")  # Asia/Shanghai
FORMATS = {"full": "%Y-%m-%d %H:%M", "short": "%m-%d %H:%M", "date": "%Y-%m-%d", "time": "%H:%M"}


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return _zone(name or DEFAULT_ZONE)


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC, or aware) datetime in the configured zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(zone())


def to_utc(local: dt.datetime) -> dt.datetime:
    """A datetime typed in the configured zone (naive) as naive UTC, the way it is stored."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone())
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def localtime(value: Optional[dt.datetime | dt.date], fmt: str = "full") -> str:
    """Template filter: `{{ t|localtime }}`, `{{ t|localtime('short') }}`; '' for None.
    A plain date (no time of day) has no zone and is shown as it is."""
    if value is None or value == "":
        return ""
    pattern = FORMATS.get(fmt, fmt)
    if isinstance(value, dt.datetime):
        return to_local(value).strftime(pattern)
    return value.strftime(FORMATS["date"] if pattern == FORMATS["full"] else pattern)


def isotime(value: Optional[dt.datetime]) -> str:
    """Template filter for <time datetime=…>: the instant with its offset."""
    return to_local(value).isoformat(timespec="minutes") if isinstance(value, dt.datetime) else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(isotime, "isotime")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIMEZONE") or DEFAULT_ZONE)
