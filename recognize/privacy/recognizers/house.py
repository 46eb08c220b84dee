"""House numbers and addresses: 3队12号, 三社8号, 南荒沟村8号, 门牌12号, 3号楼2单元, 家住…第5组12号."""
from __future__ import annotations

import re
from functools import lru_cache

from recognize.privacy.findings import Context, Finding, cues as cue_words

NAME = "house"
KIND = "house_number"
SCORE = 0.9


@lru_cache(maxsize=1)
def _house_res() -> list[re.Pattern]:
    lx = cue_words()
    units = "|".join(sorted(lx["group_units"], key=len, reverse=True))
    places = "".join(c for c in lx["house_after_place"] if len(c) == 1)
    places_long = "|".join(p for p in lx["house_after_place"] if len(p) > 1)
    num = r"[\d十百〇零一二三四五六七八九两]{1,5}"
    cues = "|".join(sorted(lx["address_cues"], key=len, reverse=True))
    return [
        re.compile(rf"(?<![\d十百〇零一二三四五六七八九两])第?{num}\s*(?:{units})\s*[,，、]?\s*第?\s*{num}\s*号(?:院|楼)?"),
        re.compile(rf"(?:(?<=[{places}])|(?<={places_long}))\s*第?\s*{num}\s*号(?:院|楼)?"),
        re.compile(rf"门牌号?码?\s*[:：是为]?\s*{num}号?"),
        re.compile(r"[\d十百]{1,3}号楼(?:[\d十]{1,2}单元)?(?:\d{1,4}(?:室|号)?)?|[\d十]{1,2}单元\d{1,4}(?:室|号)?"),
        re.compile(rf"(?:{cues})\s*[:：]?\s*[^，。；;！？\n]{{0,12}}?((?:第?{num}\s*(?:{units}|号|栋|楼|单元|室)\s*[,，]?\s*)+)"),
    ]


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.digits
    t = c.text
    out = []
    for k, rx in enumerate(_house_res()):
        for m in rx.finditer(t):
            s, e = (m.start(1), m.end(1)) if k == 4 else (m.start(), m.end())
            while e > s and t[e - 1] in " ,，":
                e -= 1
            if e > s:
                a, b = c.span(s, e)
                out.append(Finding(a, b, KIND, SCORE, NAME))
    return out
