"""Vehicle plates: a province character, a letter, five or six letters and digits (辽F·3K872)."""
from __future__ import annotations

import re

from recognize.privacy.findings import Context, Finding

NAME = "plate"
KIND = "plate"
SCORE = 0.95

_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*[A-Za-z]\s*[·•.\- ]?\s*"
                    r"(?=[A-Za-z0-9]{0,5}\d)[A-Za-z0-9]{5,6}(?![A-Za-z0-9])")


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.digits
    out = []
    for m in _PLATE.finditer(c.text):
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, KIND, SCORE, NAME))
    return out
