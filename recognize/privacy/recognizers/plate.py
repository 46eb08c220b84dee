"""Vehicle plates: a province character, a letter, five or six letters and digits (辽F·3K872), trailer,
learner and police plates (辽F2Q63挂), new-energy plates, tractor plates (辽06-33512)."""
from __future__ import annotations

import re

from recognize.privacy.findings import Context, Finding

NAME = "plate"
KIND = "plate"
SCORE = 0.95

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# 辽F·3K872, 辽F2Q63挂 (trailer), 辽F0283警, 辽AD12345 (new energy)
# 辽·F02618农: a farm vehicle's plate (农, 拖), the separator also after the province
_PLATE = re.compile(rf"[{_PROVINCES}]\s*[·•.\-]?\s*[A-Za-z]\s*[·•.\- ]?\s*"
                    r"(?=[A-Za-z0-9]{0,5}\d)(?:[A-Za-z0-9]{4,6}[挂学警领港澳农拖]|[A-Za-z0-9]{5,6}(?![A-Za-z0-9]))")
# 辽06-33512: a tractor's or farm machine's plate (province, two-digit area, five digits)
_TRACTOR = re.compile(rf"[{_PROVINCES}]\s*[·•.\-]?\s*\d{{2}}\s*[-·•.\s]?\s*\d{{5}}(?!\d)[农拖]?")


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.digits
    out = []
    for rx in (_PLATE, _TRACTOR):
        for m in rx.finditer(c.text):
            a, b = c.span(m.start(), m.end())
            out.append(Finding(a, b, KIND, SCORE, NAME))
    return out
