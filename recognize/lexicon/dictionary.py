"""Everyday words that begin with a surname character, from jieba's dictionary.

修 and 路 are surnames, yet 组织村民修路 names nobody.  jieba (MIT, on PyPI) ships a
349,000-word dictionary with a frequency and a part-of-speech tag per word; the name reader
asks it whether a would-be name is an ordinary word instead.  Only the two- and
three-character words that start with a surname are kept (about a tenth), read once per
process; jieba itself is never imported (its segmenter is not needed).
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Optional

from recognize.lexicon.files import SURNAMES


# Tags of words that are not names: verbs, adjectives, adverbs, conjunctions, prepositions,
# numerals, measure words, pronouns, particles, locatives, time words, idioms.
_NOT_NAME_TAGS = ("v", "a", "d", "c", "p", "m", "q", "r", "u", "f", "t", "i", "l", "b", "z")


def _dict_path() -> Optional[Path]:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "dict.txt"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def _words() -> dict[str, tuple[int, str]]:
    surnames = SURNAMES
    path = _dict_path()
    if path is None:  # a deployment without jieba reads names without the lexicon
        return {}
    out: dict[str, tuple[int, str]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and 2 <= len(parts[0]) <= 3 and parts[0][0] in surnames:
                out[parts[0]] = (int(parts[1]), parts[2])
    return out


def lookup(word: str) -> Optional[tuple[int, str]]:
    """(frequency, part-of-speech tag) of `word` in the dictionary, or None."""
    return _words().get(word)


def is_everyday_word(word: str) -> bool:
    """True when `word` is far more likely an ordinary word than a person's name: a common
    (frequency >= 100) verb, adjective, adverb and the like.  Nouns are not enough (马力, 金花
    and 高峰 are names too): a name missed is a name shown on a public page."""
    got = lookup(word)
    if got is None:
        return False
    freq, tag = got
    return freq >= 100 and tag.startswith(_NOT_NAME_TAGS)


@lru_cache(maxsize=1)
def common_two_char_words() -> frozenset[str]:
    """Frequent two-character adjectives, verbs, adverbs … of any first character (良心, 认真):
    a given name is rarely one of them. Empty without jieba."""
    path = _dict_path()
    if path is None:
        return frozenset()
    out = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and len(parts[0]) == 2 and int(parts[1]) >= 300 and parts[2][:1] in "advcpurmq":
                out.add(parts[0])
    return frozenset(out)


@lru_cache(maxsize=1)
def _two_char_tags() -> dict[str, str]:
    path = _dict_path()
    if path is None:
        return {}
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and len(parts[0]) == 2:
                out[parts[0]] = parts[2]
    return out


def word_tag(word: str) -> str:
    """jieba's part-of-speech tag of a two-character word ("" when unknown): 去年 t, 石头 n."""
    return _two_char_tags().get(word, "")


@lru_cache(maxsize=1)
def _long_words() -> frozenset[str]:
    path = _dict_path()
    if path is None:
        return frozenset()
    out = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and 3 <= len(parts[0]) <= 4 and int(parts[1]) >= 20 and not parts[2].startswith("nr"):
                out.add(parts[0])
    return frozenset(out)


def inside_word(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` (two characters) is part of a frequent three- or four-character word
    of the dictionary there (金山 in 金山银山, 建国 in 建国七十周年 is not: 建国七 is no word)."""
    words = _long_words()
    for n in (3, 4):
        for a in range(max(0, end - n), start + 1):
            if a + n <= len(text) and text[a:a + n] in words:
                return True
    return False


@lru_cache(maxsize=1)
def _all_words() -> frozenset[str]:
    path = _dict_path()
    if path is None:
        return frozenset()
    with path.open(encoding="utf-8") as f:
        return frozenset(line.split(" ", 1)[0] for line in f if 2 <= len(line.split(" ", 1)[0]) <= 4)


def is_known_word(word: str) -> bool:
    """True when jieba's dictionary holds `word` (two to four characters); True without jieba
    (nothing is known to be unknown)."""
    words = _all_words()
    return not words or word in words
