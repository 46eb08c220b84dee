"""Problem category: a transparent keyword model a county can extend.

Each category has keywords with weights.  The text is scanned once, taking at every position
the longest keyword of any category (so 路灯 counts for 基础设施, not for a 路 of 道路桥梁,
and 农药 for 农业技术, not for a 药 of 医疗卫生).  Keywords found in the problem count
three times, in the plan one and a half times, elsewhere once.  The category with the
highest score wins; with no keyword at all the entry is 其他.

Extending: a JSON file (the county's, named by ``MINXIN_CATEGORY_KEYWORDS`` and handed in by
the composition root through :func:`use_keywords_file`, or passed to :func:`load_model`) of
the form ``{"饮水": {"水窖": 2, "吃水难": 3}, "其他": {}}`` adds keywords or changes weights (weight 0 removes a keyword).  ``{"replace": true,
"categories": {...}}`` replaces the built-in table instead of extending it.  A keyword may
also be listed under ``"ignore"``: it is consumed by the scan but counts for nothing (e.g.
思路 so its 路 is not a road).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from recognize.extract import vocab

CATEGORIES = vocab.CATEGORIES


def _kw(spec: str) -> dict[str, float]:
    """'水泥路:3 坑洼:2 桥' -> {'水泥路': 3, '坑洼': 2, '桥': 1}"""
    out = {}
    for item in spec.split():
        word, _, w = item.partition(":")
        out[word] = float(w) if w else 1.0
    return out


DEFAULT_KEYWORDS: dict[str, dict[str, float]] = vocab.category_keywords()
# Consumed by the scan but counting for nothing: words that contain a keyword by accident.
DEFAULT_IGNORE = tuple(vocab.load("categories")["ignore"])


@dataclass
class CategoryModel:
    keywords: dict[str, dict[str, float]]
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        table: dict[str, list[tuple[str, float]]] = {}
        for cat, words in self.keywords.items():
            if cat not in CATEGORIES:
                raise ValueError(f"unknown category {cat!r}; use one of {', '.join(CATEGORIES)}")
            for w, weight in words.items():
                if w and weight:
                    table.setdefault(w, []).append((cat, float(weight)))
        for w in self.ignore:
            table.setdefault(w, [])
        self._table = table
        self._maxlen = max((len(w) for w in table), default=1)
        self._first = {w[0] for w in table}

    def scores(self, text: str, weight: float = 1.0, into: Optional[dict] = None, hits: Optional[list] = None) -> dict[str, float]:
        into = {} if into is None else into
        i, n = 0, len(text)
        while i < n:
            if text[i] not in self._first:
                i += 1
                continue
            found = None
            for L in range(min(self._maxlen, n - i), 0, -1):
                w = text[i : i + L]
                if w in self._table:
                    found = w
                    break
            if found is None:
                i += 1
                continue
            for cat, wt in self._table[found]:
                into[cat] = into.get(cat, 0.0) + wt * weight
                if hits is not None:
                    hits.append((i, i + len(found), cat))
            i += len(found)
        return into

    def classify(self, parts: list[tuple[str, float]]) -> tuple[str, float, dict[str, float]]:
        """parts: (text, weight).  Returns (category, confidence, scores)."""
        total: dict[str, float] = {}
        for text, weight in parts:
            if text:
                self.scores(text, weight, total)
        if not total or max(total.values()) <= 0:
            return "其他", 0.3, total
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], CATEGORIES.index(kv[0])))
        best, top = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        conf = 0.5 + 0.45 * (top - second) / top
        return best, round(min(conf, 0.95), 2), total


def _merge(base: dict[str, dict[str, float]], extra: dict) -> tuple[dict[str, dict[str, float]], list[str]]:
    ignore = list(extra.get("ignore", []))
    cats = extra.get("categories", {k: v for k, v in extra.items() if k not in ("ignore", "replace", "categories")})
    merged = {} if extra.get("replace") else {k: dict(v) for k, v in base.items()}
    for cat, words in cats.items():
        if isinstance(words, list):
            words = {w: 1.0 for w in words}
        slot = merged.setdefault(cat, {})
        for w, weight in words.items():
            if weight:
                slot[w] = float(weight)
            else:
                slot.pop(w, None)
    return merged, ignore


_keywords_file: Optional[str] = None


def use_keywords_file(path: Optional[str]) -> None:
    """The county's keyword file for this process (None: the built-in table alone)."""
    global _keywords_file
    _keywords_file = str(path) if path else None


def load_model(path: Optional[str] = None) -> CategoryModel:
    keywords = {k: dict(v) for k, v in DEFAULT_KEYWORDS.items()}
    ignore = list(DEFAULT_IGNORE)
    path = path if path is not None else _keywords_file
    if path:
        with open(path, encoding="utf-8") as fh:
            extra = json.load(fh)
        keywords, more = _merge(keywords, extra)
        ignore += more
    return CategoryModel(keywords, tuple(ignore))


@lru_cache(maxsize=8)
def _cached(path: Optional[str], mtime: float) -> CategoryModel:
    return load_model(path or "")


def default_model() -> CategoryModel:
    """The built-in table plus the county's file (`use_keywords_file`; cached)."""
    path = _keywords_file
    mtime = os.path.getmtime(path) if path and os.path.exists(path) else 0.0
    return _cached(path, mtime)
