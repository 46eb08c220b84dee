"""The anonymizer: what a public page shows instead of each span.

A name keeps its surname (王某某, 欧阳某某, 老某, 某婶; a given name said alone is 某某), a cadre
becomes the cadre's unit, anything else becomes ＊ per character (spaces kept).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from recognize import lexicon
from recognize.privacy.recognizers.person import COMPOUND_SURNAMES, SURNAMES, looks_like_name

_NAME_KINDS = ("name", "known", "given")


@dataclass
class PiiHit:
    text: str
    start: int
    end: int
    kind: str  # name | known | given | cadre | mobile | landline | id_card | id_like | id_cue |
    #            bank_card | number | house_number | plate | email | wechat | qq | extra
    replace: str = ""  # what a public page shows instead (a cadre's unit); empty: the usual mask
    decision: str = "mask"  # mask | ask (recognize.privacy.decision)
    score: float = 1.0
    context: tuple[str, ...] = ()


def mask(h: PiiHit) -> str:
    s = h.text
    if h.kind in _NAME_KINDS and looks_like_name(s.replace(" ", "")):
        s = s.replace(" ", "")
        if h.kind == "given":
            return "某" * len(s)
        if s[0] == "老":
            return "老" + "某" * (len(s) - 1 - (s.endswith("头"))) + ("头" if s.endswith("头") else "")
        if s[:2] in COMPOUND_SURNAMES:
            return s[:2] + "某" * (len(s) - 2)
        if s[0] in SURNAMES and len(s) <= 3 and s[1:] in lexicon.kin_suffixes():
            return "某" + s[1:]
        if s[0] in SURNAMES:
            return s[0] + "某" * (len(s) - 1)
        return "某" * len(s)
    return "".join("＊" if not c.isspace() else c for c in s)


def apply_masks(text: str, hits: Iterable[PiiHit]) -> str:
    """``text`` with each hit replaced by its mask (hits must not overlap)."""
    out, pos = [], 0
    for h in sorted(hits, key=lambda h: h.start):
        if h.start < pos:
            continue
        out.append(text[pos:h.start])
        out.append(h.replace or mask(PiiHit(text[h.start:h.end], h.start, h.end, h.kind)))
        pos = h.end
    out.append(text[pos:])
    return "".join(out)
