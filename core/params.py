"""The one parser of what a request carries: ids, pages, lists of ids, months, dates and times,
list cursors and JSON bodies, each parsed and bounded here, so that no value a person (or an
attacker) can type reaches the database or the calendar out of range.

Every function answers None (or raises `BadParameter`, a 400) for what it cannot take; none
raises anything else. The web edge (`webapp/params.py`) installs the id bounds into the URL
converter and `request.args.get(type=int)`; areas below it call these functions directly.

Why each bound: ids are Integer columns (PostgreSQL int4; SQLite overflows past 2**63); only
ASCII digits count ('²'.isdigit() is true and int('²') fails); years 1900..9998 keep a date, its
neighbours and its conversion between China time and UTC valid; a JSON body is an object of the
shape the route reads, and numbers in it are finite integers.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, Iterable, Optional

from core.errors import DomainError

MAX_ID = 2**31 - 1  # Integer columns on PostgreSQL
MAX_PAGE = 100_000  # pages of 50: five million rows
MIN_YEAR, MAX_YEAR = 1900, 9998  # a month's range and its neighbours stay valid dates
MAX_TEXT_OFFSET = 10_000_000  # a character offset inside one text (masks, transcript spans)
_DIGITS = re.compile(r"[0-9]{1,12}")
_SIGNED = re.compile(r"-?[0-9]{1,12}")


class BadParameter(DomainError):
    """A value the route cannot take: 400 with the reason."""

    status = 400


# Controls nobody types on purpose: NUL (PostgreSQL refuses it in text, a 500) and the other C0/C1
# controls but tab and line breaks become U+FFFD, so a value that carried one still reads as
# damaged (a date with a NUL at its end is refused, not silently taken as the date); the bidi
# overrides and isolates, which make a stored reason read differently from what it says (U+202E
# turns "txt.exe" around), are formatting and are dropped.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """Free text as a person typed it: controls shown as U+FFFD, bidi overrides dropped."""
    return _CONTROLS.sub("\ufffd", _BIDI.sub("", value))


def clean_json(value: Any) -> Any:
    """clean_text over every string (keys too) of a parsed JSON value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_json(v) for k, v in value.items()}
    return value


def integer(value: Any, *, lo: int = -MAX_ID, hi: int = MAX_ID) -> Optional[int]:
    """An integer in [lo, hi] from ASCII digits (an int as is), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _SIGNED.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if lo <= number <= hi else None


def ident(value: Any) -> Optional[int]:
    """A row id (1..MAX_ID), else None."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value.strip()):
        return None
    return integer(value, lo=1)


def idents(values: Iterable[Any] | str | None, *, limit: int = 100) -> list[int]:
    """Row ids from a list or a comma-separated text; what is not one is left out."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    found = []
    for value in values:
        number = ident(value)
        if number is not None:
            found.append(number)
        if len(found) >= limit:
            break
    return found


def page(value: Any) -> int:
    """A page number 1..MAX_PAGE; anything else is page 1."""
    return integer(value, lo=1, hi=MAX_PAGE) or 1


def month(text: Optional[str]) -> Optional[tuple[int, int]]:
    """"YYYY-MM" as (year, month), or None when malformed or outside MIN_YEAR..MAX_YEAR."""
    m = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", text or "")
    if not m:
        return None
    year, month_ = int(m.group(1)), int(m.group(2))
    if not (1 <= month_ <= 12 and MIN_YEAR <= year <= MAX_YEAR):
        return None
    return year, month_


def date(text: Any) -> Optional[dt.date]:
    """An ISO date within MIN_YEAR..MAX_YEAR, else None."""
    if not isinstance(text, str) or len(text.strip()) > 10:
        return None
    try:
        value = dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def moment(text: Any) -> Optional[dt.datetime]:
    """An ISO date and time within MIN_YEAR..MAX_YEAR (with or without a zone, as given), else
    None. A zone is kept: converting it stays in range because the year is bounded."""
    if not isinstance(text, str) or len(text.strip()) > 40:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def cursor(text: Any) -> Optional[tuple[dt.datetime, int]]:
    """A list cursor "<ISO time>_<id>" as (time, id), or None (a bad cursor is page one)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    when, _sep, number = text.rpartition("_")
    at, row = moment(when), ident(number)
    if at is None or row is None or at.tzinfo is not None:
        return None
    return at, row


def json_object(raw: Any) -> Optional[dict]:
    """A parsed JSON body that must be an object: the dict, None when there is no body, and
    BadParameter for any other shape ([1, 2], "abc", 5)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadParameter("请求内容应为 JSON 对象 (the body must be a JSON object)")
    return clean_json(raw)


def _no_constants(name: str):
    raise ValueError(f"not a JSON number: {name}")


def loads(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and numbers that overflow to them (1e999)."""
    def finite(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise ValueError(f"number out of range: {number}")
        return value

    return json.loads(text, parse_constant=_no_constants, parse_float=finite)


def spans(raw: Any, fields: Iterable[str]) -> dict[str, list[list[int]]]:
    """Masks as {field: [[start, end], ...]}: a JSON text or an already parsed object whose keys
    are among `fields`, each span two integers 0 <= start < end <= MAX_TEXT_OFFSET. Anything
    else (a list, 1e999, [{"a": 1}], a float, a fourth element) is BadParameter."""
    try:
        data = loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise BadParameter("遮盖数据无效 (masks are not valid JSON)") from None
    if data is None or data == "":
        return {}
    if not isinstance(data, dict):
        raise BadParameter("遮盖数据无效 (masks must be an object)")
    fields = set(fields)
    cleaned: dict[str, list[list[int]]] = {}
    for field, items in data.items():
        if field not in fields:
            continue  # what the route does not read
        if not isinstance(items, list) or len(items) > 10_000:
            raise BadParameter(f"遮盖数据无效：{str(field)[:40]} (bad masks)")
        out = []
        for span in items:
            if not isinstance(span, list) or len(span) < 2:
                raise BadParameter("遮盖数据无效 (a mask is [start, end])")
            start = integer(span[0], lo=0, hi=MAX_TEXT_OFFSET)
            end = integer(span[1], lo=0, hi=MAX_TEXT_OFFSET)
            if start is None or end is None or start >= end:
                raise BadParameter("遮盖数据无效 (a mask is [start, end])")
            out.append([start, end])
        cleaned[field] = out
    return cleaned
