"""Mobile numbers: 11 digits 1[3-9]…, with or without +86 / 0086."""
from __future__ import annotations

import re

KIND = "mobile"
SCORE = 0.95
_MOBILE = re.compile(r"1[3-9]\d{9}")
_WITH_COUNTRY = re.compile(r"(?:00)?861[3-9]\d{9}")


def classify(digits: str, first_group: str, plus: bool):
    if (plus or first_group in ("86", "0086")) and _WITH_COUNTRY.fullmatch(digits):
        return KIND, SCORE
    if len(digits) == 11 and _MOBILE.fullmatch(digits):
        return KIND, SCORE
    return None
