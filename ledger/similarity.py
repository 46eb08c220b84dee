"""How alike two problems are, as text: the words of the problem, not where it is.

Place words (the org tree's names, LAC's places and organisations, 3组/三社/12号) are taken
out first: two problems in the same group share them whatever they are about, which made a
road, a clinic and garbage look 55% alike. What remains is compared twice and the higher score
kept: as sets of content words (Baidu LAC through recognize.ner: nouns, verbs, adjectives;
function words and ledger/similarity_stopwords.txt dropped), and as sets of character bigrams
(in case LAC cuts a rare word differently in the two texts). Each comparison is the mean of the
Dice coefficient and the containment of the smaller set in the larger: "道路冲毁需要修复" and
"道路被大水冲毁了" share 道路 and 冲毁 (0.45); a road and a street lamp of one group share
nothing (0).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

_GROUP = re.compile(r"[0-9０-９一二三四五六七八九十百]+\s*(?:组|队|社|屯|号|户|栋|排)")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")
_CONTENT_TAGS = ("n", "nz", "nw", "v", "vn", "vd", "a", "an", "ad")
_PLACE_TAGS = ("LOC", "ORG", "ns", "nt", "TIME", "PER", "nr", "m", "q", "w")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    path = Path(__file__).with_name("similarity_stopwords.txt")
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]):
    # One alternation, longest first, instead of a replace per name: a county has hundreds.
    alts = sorted({n for n in names if n}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alts))) if alts else None


def _strip_names(text: str, names: Iterable[str]) -> str:
    pattern = _names_pattern(tuple(names))
    if pattern is not None:
        text = pattern.sub(" ", text)
    return _GROUP.sub(" ", text)


def content(text: str, names: Iterable[str] = ()) -> str:
    """The problem's own characters: Han characters without unit names and group/house numbers."""
    return _NOT_HAN.sub("", _strip_names(text or "", names))


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    from recognize import ner

    stop = stopwords()
    return frozenset(t.text for t in ner.tokens(text)
                     if t.tag in _CONTENT_TAGS and t.tag not in _PLACE_TAGS and t.text not in stop
                     and _NOT_HAN.sub("", t.text))


def words(text: str, names: Iterable[str] = ()) -> frozenset[str]:
    """Content words of the problem, place words removed."""
    stripped = _strip_names(text or "", names).strip()
    return _words(stripped) if stripped else frozenset()


def bigrams(text: str) -> set[str]:
    if len(text) == 1:
        return {text}
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _overlap(x: set | frozenset, y: set | frozenset) -> float:
    if not x or not y:
        return 0.0
    common = len(x & y)
    return (2 * common / (len(x) + len(y)) + common / min(len(x), len(y))) / 2


def features(text: str, names: Iterable[str] = ()) -> tuple[frozenset[str], frozenset[str]]:
    """(content words, character bigrams) of a problem: what text_similarity compares, worked
    out once per text when many texts are compared with each other."""
    names = tuple(names)
    return words(text, names), frozenset(bigrams(content(text, names)))


def similarity_of_features(fa: tuple[frozenset[str], frozenset[str]], fb: tuple[frozenset[str], frozenset[str]]) -> float:
    return round(max(_overlap(fa[0], fb[0]), _overlap(fa[1], fb[1])), 3)


def text_similarity(a: str, b: str, names: Iterable[str] = ()) -> float:
    names = tuple(names)
    return similarity_of_features(features(a, names), features(b, names))
