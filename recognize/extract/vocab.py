"""The extractor's rules as data: one TOML file per kind in ``recognize/extract/data/``.

labels.toml (labels per field, OCR misreadings, the cadres' shorthand), cues.toml (cue phrases
per field, role words), methods.toml (the visit methods), categories.toml (the categories and
their keywords); the surnames are the shared lexicon's (``recognize.lexicon``).  Each file is read once per process.  The visit methods and the
categories are defined here for the whole project: ledger/ and webapp/ import them from here.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def load(kind: str) -> dict:
    """The parsed data file ``<kind>.toml``."""
    with open(DATA_DIR / f"{kind}.toml", "rb") as fh:
        return tomllib.load(fh)


def pattern(kind: str, key: str = "patterns", file: str = "cues") -> re.Pattern:
    """One regular expression from a list of alternatives in a data file, in file order."""
    return re.compile("|".join(load(file)[kind][key]))


def words(kind: str, file: str = "cues") -> tuple[str, ...]:
    return tuple(load(file)[kind]["words"])


VISIT_METHODS: tuple[str, ...] = tuple(m["name"] for m in load("methods")["method"])
CATEGORIES: tuple[str, ...] = tuple(c["name"] for c in load("categories")["category"])


def method_patterns(name: str, strength: str) -> re.Pattern:
    m = next(m for m in load("methods")["method"] if m["name"] == name)
    return re.compile("|".join(m[strength])) if m[strength] else re.compile(r"(?!x)x")


def category_keywords() -> dict[str, dict[str, float]]:
    """category -> {keyword: weight} from categories.toml ('水泥路:3' -> 3.0, '桥' -> 1.0)."""
    out: dict[str, dict[str, float]] = {}
    for c in load("categories")["category"]:
        table: dict[str, float] = {}
        for line in c.get("keywords", []):
            for item in line.split():
                word, _, w = item.partition(":")
                table[word] = float(w) if w else 1.0
        out[c["name"]] = table
    return out
