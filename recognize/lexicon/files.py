"""Reading the lexicon's data files (``recognize/lexicon/data/``), once per process."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def load(kind: str) -> dict:
    """The parsed data file ``<kind>.toml``."""
    with open(DATA_DIR / f"{kind}.toml", "rb") as fh:
        return tomllib.load(fh)


@lru_cache(maxsize=None)
def word_list(name: str) -> frozenset[str]:
    """A one-word-a-line file (``#`` starts a comment)."""
    out = set()
    for line in (DATA_DIR / name).read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.update(line.split())
    return frozenset(out)


def _surnames() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    data = load("surnames")
    return (frozenset("".join(data["single"]["lines"])), tuple(data["compound"]["words"]),
            frozenset("".join(data.get("rare", {}).get("lines", []))))


# The surnames extraction reads people by; the redactor adds RARE_SURNAMES.
SURNAMES, COMPOUND_SURNAMES, RARE_SURNAMES = _surnames()


def common_words() -> frozenset[str]:
    return word_list("common_words.txt")


def products() -> frozenset[str]:
    return word_list("products.txt")


def kin_suffixes() -> tuple[str, ...]:
    return tuple(load("names")["kin_suffixes"])


def old_not_person() -> frozenset[str]:
    return frozenset(load("names")["old_not_person"])


def place_finals() -> str:
    return load("places")["place_finals"]


def not_person_after() -> str:
    return load("places")["not_person_after"]


def nicknames() -> dict:
    """Nickname forms and the words that show a word is said as a person (nicknames.toml)."""
    return load("nicknames")
