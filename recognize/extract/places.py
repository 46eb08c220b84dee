"""Places: the org tree (Gazetteer) and finding the visited village in a transcript.

Candidates come from text patterns (…村 / …屯 / …社区, a township …镇/…乡 in front, a group
…组 behind).  With a gazetteer a candidate is matched exactly, as the tail of a longer
run of characters, or with one wrong character (OCR/ASR slips: 南荒钩村 -> 南荒沟村, names of
four characters or more only, and never against a different township said in the text).
A place that matches nothing is returned as written with ``known=False``; it is never
replaced by a guess.
"""
from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from typing import Iterable, Optional

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from recognize.extract.textutil import is_han

LEVELS = ("county", "township", "village")


# words that tell neighbouring villages apart (东/西岭村, 大/小荒沟村, 头/二道沟村)
_SIBLING_MARKS = set("东南西北大小前后上下新老中里外头二三四五六七八九")


class Gazetteer:
    """Org units ``(name, level, parent_name)`` plus the cadres' own names.

    ``level`` is one of county / township / village.  A village may hang directly under
    the county (no township).
    """

    def __init__(self, units: Iterable[tuple[str, str, Optional[str]]] = (), cadre_names: Iterable[str] = ()):
        self.units: list[tuple[str, str, Optional[str]]] = []
        self.parent: dict[str, Optional[str]] = {}
        self.level: dict[str, str] = {}
        for unit in units:
            name, level, parent = (list(unit) + [None])[:3]
            name = (name or "").strip()
            if not name:
                continue
            if level not in LEVELS:
                raise ValueError(f"unknown org level {level!r} for {name!r}")
            self.units.append((name, level, parent))
            self.parent[name] = parent
            self.level[name] = level
        self.villages = [n for n, lv, _ in self.units if lv == "village"]
        self.townships = [n for n, lv, _ in self.units if lv == "township"]
        self.cadre_names = {c.strip() for c in cadre_names if c and c.strip()}
        self._by_len: dict[int, list[str]] = {}
        for v in self.villages:
            self._by_len.setdefault(len(v), []).append(v)

    @classmethod
    def from_dict(cls, data: dict) -> "Gazetteer":
        units = [tuple(u) if not isinstance(u, dict) else (u["name"], u["level"], u.get("parent")) for u in data.get("units", [])]
        return cls(units=units, cadre_names=data.get("cadre_names", []))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Gazetteer":
        """JSON, or TOML by its suffix (the demo county's file: units as tables, people ignored)."""
        if str(path).endswith(".toml"):
            with open(path, "rb") as fh:
                return cls.from_dict(tomllib.load(fh))
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def township_of(self, village: str) -> Optional[str]:
        p = self.parent.get(village)
        return p if p and self.level.get(p) == "township" else None

    def is_cadre(self, name: str) -> bool:
        return bool(name) and name in self.cadre_names

    def match_village(self, window_text: str, said_township: Optional[str] = None) -> Optional[tuple[str, int, bool]]:
        """Match the tail of `window_text` (which ends with the village suffix).

        Returns (gazetteer name, length of the matched tail, exact?) or None.
        """
        best = None
        for length in sorted(self._by_len, reverse=True):
            if length > len(window_text):
                continue
            tail = window_text[-length:]
            names = self._by_len[length]
            if tail in names:
                return tail, length, True
            if length >= 4 and best is None:
                hit = process.extractOne(tail, names, scorer=Levenshtein.distance, score_cutoff=1)
                if hit is not None:
                    name = hit[0]
                    town = self.township_of(name)
                    # one wrong character is accepted only if the text does not name a
                    # different township in front of it (小荒沟村 in another township is
                    # another village, not a slip of 南荒沟村)
                    if said_township and (not town or Levenshtein.distance(said_township, town) > 1):
                        continue
                    # 大荒沟村 next to 南荒沟村 is a neighbour, not a slip: villages are told
                    # apart by exactly these words
                    if any(a != b and a in _SIBLING_MARKS and b in _SIBLING_MARKS for a, b in zip(tail, name)):
                        continue
                    best = (name, length, False)
        return best


@dataclass
class PlaceHit:
    place: str
    township: str = ""
    group: str = ""
    known: bool = False
    start: int = 0
    end: int = 0
    confidence: float = 0.5
    verbatim: bool = True
    group_span: Optional[tuple[int, int]] = None
    township_span: Optional[tuple[int, int]] = None


# words that end a place name on its left
_LEFT_STOPS = sorted(
    [
        "来到", "前往", "走进", "深入", "走访", "地点", "位于", "住在", "家住", "到了", "去了",
        "到", "在", "去", "赴", "于", "是", "上午", "下午", "中午", "晚上", "早上", "今天", "昨天", "前天",
        "县", "市", "区", "镇", "乡", "街道", "号", "日",
        "的",  # 永甸镇的永甸村: no village name holds 的
    ],
    key=len,
    reverse=True,
)
_NOT_NAME_CHARS = set("的了是我他她们这那个些每该邻驻包整访报请帮给被把让没不从各本和与跟说")
_GENERIC = {
    "农村", "乡村", "全村", "本村", "该村", "邻村", "外村", "各村", "同村", "我村", "进村", "回村", "出村",
    "驻村", "包村", "到村", "在村", "下村", "入村", "整村", "村村", "山村", "小山村", "新村", "老村",
}
_AFTER_NOT_PLACE = set("民里委干两书医卫级集部庄落容貌规务情内头口小局厅镇")  # 村镇建设股: a word, not a village
# 县住建局村镇…: a name ending in an office's word is the cadre's unit, never the village visited
_OFFICE_END = set("局办股站所院厅处科委队")
_OFFICE_IN = set("局办股厅")  # never inside a village's name (水利局村村通办)
_SUFFIX = re.compile(r"村|屯(?!村)|社区")  # 新屯村 is a 村 whose name ends in 屯
_GROUP = re.compile(r"\s*(?P<g>(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*(?:组|社)|[\u4e00-\u9fff]{1,4}屯)")
_TOWN_SUFFIX = ("镇", "乡", "街道")
# 今天去的振江镇: particles and pronouns never stand in a township's name
_NOT_TOWN_CHARS = set("的了是我他她们这那个")
_CN_DIGITS = set("0123456789〇零一二三四五六七八九十")


def _walk_left(text: str, end: int, floor: int, max_len: int = 6) -> int:
    """Left edge of a place name ending at `end` (exclusive)."""
    i = end
    while i > floor and end - i < max_len:
        ch = text[i - 1]
        if not is_han(ch):
            break
        stop = False
        for w in _LEFT_STOPS:
            if text.endswith(w, floor, i):
                if w in ("号", "日") and not (i - 2 >= 0 and text[i - 2] in _CN_DIGITS):
                    continue
                stop = True
                break
        if stop:
            break
        i -= 1
    return i


def _township_before(text: str, start: int, floor: int) -> Optional[tuple[int, int]]:
    for suf in _TOWN_SUFFIX:
        if text.endswith(suf, floor, start):
            s = start - len(suf)
            i = s
            while i > floor and s - i < 6 and is_han(text[i - 1]) and text[i - 1] not in _NOT_TOWN_CHARS:
                if any(text.endswith(w, floor, i) for w in ("来到", "前往", "走进", "深入", "到", "在", "去", "赴", "于", "县", "市", "地点", "上午", "下午", "今天", "昨天", "前天")):
                    break
                i -= 1
            if s - i >= 1:
                return i, start
    return None


def find_places(text: str, gazetteer: Optional[Gazetteer] = None, start: int = 0, end: Optional[int] = None) -> list[PlaceHit]:
    end = len(text) if end is None else end
    hits: list[PlaceHit] = []
    for m in _SUFFIX.finditer(text, start, end):
        p0, p1 = m.start(), m.end()
        if m.group() == "村" and text[p1 : p1 + 1] in _AFTER_NOT_PLACE and text[p1 : p1 + 1] \
                and not text.startswith("小学", p1):  # 腰岭子村小学 is at 腰岭子村
            # 村民 / 村里 / 村委…: unless a known village ends here
            if not (gazetteer and gazetteer.villages and gazetteer.match_village(text[max(start, p0 - 8) : p1])):
                continue
        left = _walk_left(text, p0, start)
        stem = text[left:p0]
        town_span = _township_before(text, left, start)
        said_town = text[town_span[0] : town_span[1]] if town_span else None
        gaz_match = None
        if gazetteer and gazetteer.villages:
            window_start = max(start, p0 - 9)
            gaz_match = gazetteer.match_village(text[window_start:p1], said_town)
        if gaz_match:
            name, length, exact = gaz_match
            s = p1 - length
            town = gazetteer.township_of(name) or (said_town or "")
            hit = PlaceHit(name, town, known=True, start=s, end=p1, confidence=0.95 if exact else 0.75,
                           verbatim=exact, township_span=town_span)
        else:
            if not stem or any(c in _NOT_NAME_CHARS for c in stem) or stem[-1] in _OFFICE_END \
                    or any(c in _OFFICE_IN for c in stem):
                continue
            name = text[left:p1]
            if name in _GENERIC:
                continue
            conf = 0.8 if (left > start and not is_han(text[left - 1])) or town_span or left == start or len(stem) < 6 else 0.55
            if gazetteer and gazetteer.villages:
                conf = min(conf, 0.6)  # a place the org tree does not know
            hit = PlaceHit(name, said_town or "", known=False, start=left, end=p1, confidence=conf, township_span=town_span)
        gm = _GROUP.match(text, p1, end)
        if gm and not (gm["g"].endswith("屯") and m.group() == "屯"):
            g = gm["g"].replace(" ", "")
            hit.group = g
            hit.group_span = (gm.start("g"), gm.end("g"))
        hits.append(hit)
    # A village name said without 村 (ASR drops it): the gazetteer stems, 3+ characters.
    if gazetteer and not hits:
        for v in gazetteer.villages:
            stem = v[:-1] if v.endswith("村") else v
            if len(stem) < 3:
                continue
            i = text.find(stem, start, end)
            while i >= 0:
                after = text[i + len(stem) : i + len(stem) + 1]
                if after not in ("镇", "乡"):
                    hits.append(PlaceHit(v, gazetteer.township_of(v) or "", known=True, start=i, end=i + len(stem),
                                         confidence=0.6, verbatim=False))
                    break
                i = text.find(stem, i + 1, end)
        hits.sort(key=lambda h: h.start)
    # A township alone ("在古楼子乡开会"): only when no village was found.
    return hits


def find_township(text: str, gazetteer: Optional[Gazetteer] = None) -> Optional[tuple[str, int, int]]:
    if gazetteer:
        for t in gazetteer.townships:
            i = text.find(t)
            if i >= 0:
                return t, i, i + len(t)
    return None
