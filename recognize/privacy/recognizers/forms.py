"""The everyday forms a note calls a person by: 老X, 老X头, X婶, X大爷, X老三 (a surname and a
kinship or rank word from ``recognize/lexicon/data/names.toml``)."""
from __future__ import annotations

import re
from functools import lru_cache

from recognize import lexicon, ner
from recognize.privacy.text import is_han

_SURNAME_CLASS = "".join(sorted(lexicon.SURNAMES | lexicon.RARE_SURNAMES))


@lru_cache(maxsize=1)
def _form_res() -> tuple[re.Pattern, re.Pattern]:
    kin = "|".join(sorted(lexicon.kin_suffixes(), key=len, reverse=True))
    old = re.compile(rf"老[{_SURNAME_CLASS}]头?")
    kinform = re.compile(rf"(?:{'|'.join(lexicon.COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}])(?:{kin})")
    return old, kinform


def _token_starts(text: str) -> set[int]:
    return {t.start for t in ner.tokens(text)}


def spans(text: str) -> list[tuple[int, int]]:
    old, kinform = _form_res()
    not_person = lexicon.old_not_person()
    starts = _token_starts(text)
    out = []
    for m in old.finditer(text):
        if text[m.start():m.start() + 2] in not_person and not m.group().endswith("头"):
            continue
        if m.start() > 0 and is_han(text[m.start() - 1]) and m.start() not in starts:
            continue  # 养老金, 敬老院: 老 inside a word
        out.append((m.start(), m.end()))
    for m in kinform.finditer(text):
        s = m.start()
        # the surname must begin a word (东边大爷: 边 ends 东边, no person)
        if s in starts or s == 0 or not is_han(text[s - 1]):
            out.append((s, m.end()))
    return out
