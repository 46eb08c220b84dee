"""Names in pinyin, either order and any case: Liu Guifang, guifang liu, ZHANG GUIFANG, ZhangFenglan;
Korean names as romanised (Park Minji).

Two words (or one CamelCase word) that split wholly into pinyin syllables, one of them a surname's
pinyin (from the lexicon's surnames through pypinyin), the other one or two syllables."""
from __future__ import annotations

import re
from functools import lru_cache

from recognize import lexicon
from recognize.privacy.findings import Context, Finding

NAME = "pinyin_names"
SCORE = 0.85
_PAIR = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,12}(?:-[A-Za-z]{2,8})?)[ \u00a0]+([A-Za-z]{2,12}(?:-[A-Za-z]{2,8})?)(?![A-Za-z-])")
_CAMEL = re.compile(r"(?<![A-Za-z])([A-Z][a-z]{1,6})([A-Z][a-z]{1,12})(?![A-Za-z])")


@lru_cache(maxsize=1)
def _syllables() -> tuple[frozenset[str], frozenset[str]]:
    from pypinyin import lazy_pinyin  # heavy: read on the first pinyin-looking text only
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    every = {to_normal(p).replace("ü", "v") for value in pinyin_dict.values() for p in value.split(",")}
    every = {s for s in every if s.isascii() and s.isalpha()}
    surnames = {s for ch in lexicon.SURNAMES | lexicon.RARE_SURNAMES for s in lazy_pinyin(ch)}
    surnames |= {"".join(lazy_pinyin(w)) for w in lexicon.COMPOUND_SURNAMES}
    surnames |= set(lexicon.load("names")["romanized_surnames"])
    return frozenset(every), frozenset(surnames)


@lru_cache(maxsize=1)
def _korean() -> tuple[frozenset[str], frozenset[str]]:
    names = lexicon.load("names")
    return frozenset(names["romanized_surnames"]), frozenset(names["korean_given_syllables"])


def _split(word: str, every: frozenset[str], most: int = 2) -> bool:
    """``word`` is one to ``most`` pinyin syllables."""
    w = word.lower()
    if most == 0:
        return not w
    return any(w[:k] in every and (k == len(w) or _split(w[k:], every, most - 1)) for k in range(min(6, len(w)), 0, -1))


def _is_name(a: str, b: str) -> bool:
    a0, b0 = a.split("-")[0], b.split("-")[0]  # Min-ji: the case of its first part
    if not (a0.istitle() and b0.istitle() or a.isupper() and b.isupper() or a.islower() and b.islower()):
        return False
    every, surnames = _syllables()
    k_surnames, k_given = _korean()
    for sur, given in ((a, b), (b, a)):
        g = given.replace("-", "")
        if "-" in sur or len(g) < 3:
            continue
        if sur.lower() in surnames and _split(g, every):
            return True
        if sur.lower() in k_surnames and _split(g, k_given):  # Kim Sunhee, Park Min-ji
            return True
    return False


def recognize(ctx: Context) -> list[Finding]:
    t = ctx.raw
    if not re.search(r"[A-Za-z]{2}", t):
        return []
    out = []
    for rx in (_PAIR, _CAMEL):
        for m in rx.finditer(t):
            if _is_name(m.group(1), m.group(2)):
                out.append(Finding(m.start(), m.end(), "name", SCORE, NAME))
    return out
