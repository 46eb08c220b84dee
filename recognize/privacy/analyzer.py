"""The analyzer: every recognizer over one text, their findings merged.

Recognizers are listed in ``RECOGNIZERS`` (a new kind of personal data is a new small module
there).  Overlapping findings become one span: the union, the higher score, and the number kind
over a name kind (a plate that LAC also read as a person stays a plate).  A name found inside a
word the county names (``keep``: a village, a township) is dropped.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from recognize.privacy.findings import Context, Finding
from recognize import lexicon
from recognize.privacy.text import is_han
from recognize.privacy.recognizers import (
    accounts, email, house, labelled, nicknames, numbers, person, pinyin_names, plate, rural_house,
)

RECOGNIZERS = (numbers, house, rural_house, plate, email, accounts, person, labelled, nicknames, pinyin_names)
NAME_KINDS = ("name", "known", "given", "cadre")


def merge(findings: Iterable[Finding]) -> list[Finding]:
    found = sorted(findings, key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Finding] = []
    for f in found:
        if f.end <= f.start:
            continue
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end <= last.end:
                if f.score > last.score or f.context:
                    out[-1] = Finding(last.start, last.end, last.kind, max(last.score, f.score), last.recognizer,
                                      tuple(dict.fromkeys(last.context + f.context)))
                continue
            kind = last.kind if last.kind not in NAME_KINDS else (f.kind if f.kind not in NAME_KINDS else last.kind)
            out[-1] = Finding(last.start, f.end, kind, max(last.score, f.score),
                              last.recognizer if kind == last.kind else f.recognizer,
                              tuple(dict.fromkeys(last.context + f.context)))
            continue
        out.append(f)
    return out


# after a name said as a person: speech, a home, a list, a pause
_PERSON_NEXT = set("说讲反表同申告称提谈家他她和跟与、，,。；;：:（(）)")
# 老边村, 阎家大院, 白家堡子村: a place shaped from a surname, not a person
_PLACE_SHAPE = re.compile(r"(?:老[\u4e00-\u9fff]|[\u4e00-\u9fff]家)(?=村|屯|镇|乡|沟|岭|堡子|大院|窝棚|店|街|湾|营|洼|坡)"
                          r"|[\u4e00-\u9fff]{1,3}(?:家堡子|堡子)(?:村)?")


# what a crop or a thing is followed by to make a longer thing (李子树, 榛子园, 石头墙), never a given name's end
_AFTER_THING = ("精神", "牌", "品牌", "号拖拉机", "杯")
_THING_END = set("树园苗秧籽地棚窝墙堆皮叶枝根秆干酱汁罐筐")


def _ordinary(raw: str, f: Finding, products: list[tuple[int, int]], places: list[tuple[int, int]]) -> bool:
    """A name find that is an ordinary word: a crop or product (燕红桃, 红松), a common word
    (燕子, 李子), a place shaped from a surname (老边村)."""
    if f.kind not in ("name", "given") or f.recognizer in ("nicknames", "pinyin_names", "labelled"):
        return False
    w = raw[f.start:f.end]
    bare = w[1:] if len(w) == 3 and w[0] in "和与跟及同" else w  # 和红提: 和 is a surname too
    if w in lexicon.common_words() or w in lexicon.products() or bare in lexicon.products():
        return True
    if len(w) >= 3 and w[-1] in "村镇乡县屯" and f.kind == "name":
        return True  # 江沿村: a village, whatever the cue rule read
    if raw.startswith(("花开", "花海", "花节", "花期", "花香"), f.end):
        return True  # 金达莱花开, 秋菊花开的时候: a flower in bloom, not a person
    if raw.startswith(_AFTER_THING, f.end) and len(w) == 2:
        return True  # 铁牛精神, 红星牌: a spirit or a brand named after it
    if len(w) == 3 and w[:2] in lexicon.products() and w[2] in _THING_END and raw[f.end:f.end + 1] not in "家说讲反表同他她":
        return True  # 李子树, 榛子园: a crop or a thing and what it grows on or in
    clans = [(m.start(), m.end()) for m in _clan_rx().finditer(raw)]
    inside = any(a <= f.start and f.end <= b for a, b in products + places + clans)
    return inside


def _given_alone(raw: str, f: Finding) -> bool:
    """A two-character find without a surname, or a flower's or a bird's name (海燕又飞回来了), with
    no person's context after it (山上的红梅开了): a question, not a sure mask."""
    w = raw[f.start:f.end]
    nature = w in _nature_names() and not (f.start > 0 and raw[f.start - 1] in person.SURNAMES)
    return (f.kind in ("name", "given") and f.recognizer == "person" and len(w) == 2
            and (w[0] not in person.SURNAMES or nature) and raw[f.end:f.end + 1] not in _PERSON_NEXT and f.end < len(raw))


@lru_cache(maxsize=1)
def _clan_rx() -> re.Pattern:
    clans = sorted(lexicon.load("names")["manchu_clans"], key=len, reverse=True)
    return re.compile(rf"(?:{'|'.join(clans)})氏")


@lru_cache(maxsize=1)
def _nature_names() -> frozenset[str]:
    return frozenset(lexicon.load("names")["nature_names"])


def _snap(raw: str, f: Finding) -> Finding | None:
    """A name find that crosses a space must not end inside the next word of the text (村民李 秀兰
    反映: 李 秀兰, not 李 秀兰 反; 路 坏了: nothing): its end moves back to the space, and a find left
    shorter than two characters goes (its start may be glued to a cue: 村民李 秀兰).  Finds within
    one word are left as they are."""
    if f.kind not in ("name", "given") or not any(c.isspace() for c in raw[f.start:f.end]):
        return f
    start, end = f.start, f.end
    if end < len(raw) and not raw[end].isspace() and not raw[end - 1].isspace() and is_han(raw[end]):
        cut = max(i for i in range(start, end) if raw[i].isspace())
        # 村民李 秀兰反映: a surname, a space, a two-character given name glued to the verb is the name
        glued_given = end - cut - 1 >= 2 and raw[cut - 1] in person.SURNAMES and cut - 1 == start
        if not glued_given:
            end = cut
    while start < end and raw[start].isspace():
        start += 1
    while end > start and raw[end - 1].isspace():
        end -= 1
    left = raw[start:end].replace(" ", "")
    if len(left) < 2:
        return None
    if end < f.end and len(left) == 2 and lexicon.word_tag(left)[:2] not in ("", "nr"):
        return None  # 村民 修路 方便: what is left is a word of the dictionary (修路), not a name
    return Finding(start, end, f.kind, f.score, f.recognizer, f.context)


def _official(raw: str, f: Finding) -> bool:
    """陈书记, 刘主任: a surname and an office, not at the person's home (于会计家)."""
    w = raw[f.start:f.end]
    titles = lexicon.load("names")["official_titles"]
    return (f.kind == "name" and len(w) >= 3 and w[0] in person.SURNAMES and w[1:] in titles
            and raw[f.end:f.end + 1] != "家")


def analyze(text: str, known: Iterable[str] = (), *, keep: Iterable[str] = (),
            recognizers=RECOGNIZERS) -> list[Finding]:
    """Every personal candidate in ``text``, merged, in text order; offsets into ``text``."""
    raw = text or ""
    if not raw.strip():
        return []
    ctx = Context.of(raw, [k.strip() for k in known if k and k.strip()])
    found: list[Finding] = []
    for r in recognizers:
        found += r.recognize(ctx)
    keep_spans = [(m.start(), m.end()) for k in keep if k for m in re.finditer(re.escape(k), raw)]
    # a word the county names (a village, a township) is never a person, whatever LAC thinks
    found = [f for f in found if not (f.kind == "name" and any(a <= f.start and f.end <= b for a, b in keep_spans))]
    products = [(m.start(), m.end()) for w in lexicon.products() for m in re.finditer(re.escape(w), raw)] \
        if any(w in raw for w in lexicon.products()) else []
    places = [(m.start(), m.end()) for m in _PLACE_SHAPE.finditer(raw)]
    found = [f for f in found if not _ordinary(raw, f, products, places)]
    found = [Finding(f.start, f.end, f.kind, min(f.score, 0.6), f.recognizer, f.context)
             if _given_alone(raw, f) or _official(raw, f) else f for f in found]
    found = [g for g in (_snap(raw, f) for f in found) if g is not None]
    # a name never runs into a number (挂车 辽F8R35挂: 车 辽 is no person): a name find that crosses
    # the edge of a number find goes, the number stays as found
    numbers = [(f.start, f.end) for f in found if f.kind not in NAME_KINDS]
    found = [f for f in found if f.kind not in NAME_KINDS
             or not any(a < f.end and f.start < b and not (f.start <= a and b <= f.end) and not (a <= f.start and f.end <= b)
                        for a, b in numbers)]
    return merge(found)
