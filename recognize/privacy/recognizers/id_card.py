"""Resident ID numbers (居民身份证): 18 characters with a check character (GB 11643-1999) or the
old 15 digits, each with a plausible birth date; after an ID cue (身份证, 证件号 …) any 15 to 18."""
from __future__ import annotations

import datetime as dt

KIND = "id_card"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
SCORE_VALID = 1.0
SCORE_CUE = 0.9  # a cue and the length: a mistyped ID after 身份证 is still an ID
SCORE_SHAPE = 0.85  # the shape and a birth date, the check character wrong


def birth_ok(y: int, m: int, d: int) -> bool:
    try:
        born = dt.date(y, m, d)
    except ValueError:
        return False
    return dt.date(1880, 1, 1) <= born <= dt.date.today()


def valid_id18(s: str) -> bool:
    """GB 11643-1999: 17 digits, a check character, a plausible birth date."""
    s = s.upper()
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _WEIGHTS))
    if _CHECK[total % 11] != s[17]:
        return False
    return birth_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def id18_shape(s: str) -> bool:
    """17 digits and a check character with a plausible birth date: a mistyped ID is still an ID."""
    s = s.upper()
    return (len(s) == 18 and s[:17].isdigit() and s[17] in "0123456789X" and s[0] != "0"
            and birth_ok(int(s[6:10]), int(s[10:12]), int(s[12:14])))


def valid_id15(s: str) -> bool:
    if len(s) != 15 or not s.isdigit() or s[0] == "0":
        return False
    return birth_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))


def classify(digits: str, id_cue: bool):
    """(kind, score) when ``digits`` is an ID, else None (the number reader tries the next kind)."""
    n = len(digits)
    if (n == 18 and valid_id18(digits)) or (n == 15 and valid_id15(digits)):
        return KIND, SCORE_VALID
    if id_cue and 15 <= n <= 18:
        return "id_cue", SCORE_CUE
    if n == 18 and id18_shape(digits):
        return "id_like", SCORE_SHAPE
    return None
