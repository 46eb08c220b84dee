"""Landlines: 10 to 12 digits with an area code (0415…), 7 to 12 after a phone cue, or a bare 7 or
8 digits that is no amount and no date."""
from __future__ import annotations

KIND = "landline"
SCORE_AREA = 0.9
SCORE_CUE = 0.85
SCORE_BARE = 0.8


def with_area_code(digits: str):
    n = len(digits)
    if digits[0] == "0" and 10 <= n <= 12 and digits[1] != "0":
        return KIND, SCORE_AREA
    return None


def after_cue(digits: str, phone_cue: bool):
    if phone_cue and 7 <= len(digits) <= 12:
        return KIND, SCORE_CUE
    return None


def bare(digits: str):
    if 7 <= len(digits) <= 8 and digits[0] != "0":
        return "landline_bare", SCORE_BARE
    return None
