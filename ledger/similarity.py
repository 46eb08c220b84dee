"""How alike two problems are, as text: the words of the problem, not where it is.

Place words (the org tree's names, 3组/三社/12号) are taken out first: two problems in the same
group share them whatever they are about, which made a road, a clinic and garbage look 55%
alike. What remains is compared as sets of character bigrams (Chinese has no spaces; bigrams
are the usual unit): the mean of the Dice coefficient and the containment of the shorter in the
longer, so "3组自来水管冻裂停水好几天了" and "自来水管冻裂，全组停水" score 0.63 while two
different problems of one category stay near 0.1-0.2.
"""
from __future__ import annotations

import re
from typing import Iterable

_GROUP = re.compile(r"[0-9０-９一二三四五六七八九十百]+\s*(?:组|队|社|屯|号|户|栋|排)")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")


def content(text: str, names: Iterable[str] = ()) -> str:
    """The problem's own words: Han characters without unit names and group/house numbers."""
    text = text or ""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, " ")
    return _NOT_HAN.sub("", _GROUP.sub(" ", text))


def bigrams(text: str) -> set[str]:
    if len(text) == 1:
        return {text}
    return {text[i:i + 2] for i in range(len(text) - 1)}


def text_similarity(a: str, b: str, names: Iterable[str] = ()) -> float:
    names = list(names)
    x, y = bigrams(content(a, names)), bigrams(content(b, names))
    if not x or not y:
        return 0.0
    common = len(x & y)
    dice = 2 * common / (len(x) + len(y))
    containment = common / min(len(x), len(y))
    return round((dice + containment) / 2, 3)
