"""E-mail addresses."""
from __future__ import annotations

import re

from recognize.privacy.findings import Context, Finding

NAME = "email"
KIND = "email"
SCORE = 0.95

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+\s*@\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.digits
    out = []
    for m in _EMAIL.finditer(c.text):
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, KIND, SCORE, NAME))
    return out
