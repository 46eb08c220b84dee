"""Words for the index and for a query: Chinese has no spaces, so texts are segmented by LAC
(recognize.ner, the one segmenter of the project), and names (people, and places) also go in as
single characters, so a name LAC splits differently in the record and in the query is still
found. Plain functions; no database."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from recognize import ner

_WORDY = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_CJK = re.compile(r"^[\u3400-\u9fff]+$")
# Query words this long that may be a name are also matched as their characters.
_NAME_LENGTHS = range(2, 5)


def _clean(token: str) -> str:
    token = unicodedata.normalize("NFKC", token).strip().lower()
    return "".join(ch for ch in token if _WORDY.match(ch))


def segment(text: str) -> list[str]:
    """LAC's words of `text` (lower case, punctuation dropped)."""
    out = []
    for tok in ner.tokens(text or ""):
        word = _clean(tok.text)
        if word:
            out.append(word)
    return out


def index_words(texts: Iterable[str], names: Iterable[str] = (), codes: Iterable[str] = ()) -> str:
    """The words of a record: segmented texts, the people LAC finds in them and the given names
    (people, places) whole and as single characters, and codes as they are."""
    words: list[str] = []
    names = [n for n in names if n]
    for text in texts:
        if not text:
            continue
        words += segment(text)
        names += [p.text for p in ner.persons(text)]
    for name in names:
        clean = _clean(name)
        if clean:
            words.append(clean)
            words += [ch for ch in clean if _CJK.match(ch)]
    words += [_clean(c) for c in codes if c]
    seen, out = set(), []
    for w in words:
        if w and w not in seen:
            seen.add(w)
            out.append(w)
    return " ".join(out)


@dataclass(frozen=True)
class Query:
    """All groups must match; a group matches when any of its alternatives does; an
    alternative is a word, or (for a possible name) all of its characters."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]
    marks: tuple[str, ...]  # what to highlight in a hit

    @property
    def empty(self) -> bool:
        return not self.groups


def parse(q: str) -> Query:
    groups, marks = [], []
    for part in (q or "").split()[:8]:
        for word in segment(part)[:8]:
            alternatives: list[tuple[str, ...]] = [(word,)]
            if _CJK.match(word) and len(word) in _NAME_LENGTHS:
                alternatives.append(tuple(word))
            groups.append(tuple(alternatives))
            marks.append(word)
        raw = _clean(part)
        if raw and raw not in marks:
            marks.append(raw)
    return Query(tuple(groups), tuple(sorted(set(marks), key=len, reverse=True)))


def fts5_match(query: Query) -> str:
    """The query in FTS5 syntax (every word quoted)."""
    def q(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    return " AND ".join(
        "(" + " OR ".join("(" + " AND ".join(q(w) for w in alt) + ")" for alt in group) + ")"
        for group in query.groups)


def tsquery(query: Query) -> str:
    """The query in PostgreSQL to_tsquery syntax (words are letters and digits only)."""
    def q(word: str) -> str:
        return "'" + word + "'"

    return " & ".join(
        "(" + " | ".join("(" + " & ".join(q(w) for w in alt) + ")" for alt in group) + ")"
        for group in query.groups)
