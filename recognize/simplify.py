"""Traditional -> simplified Chinese, right in context, for OCR and Whisper output alike.

OpenCC's t2s table converts character by character (plus its phrase list), so it leaves a
character alone that is simplified too in another word: 著 stays 著 in 带著 and 看著, where
simplified Chinese writes the aspect particle 着. The fixes are data
(`recognize/data/t2s_context.tsv`): fixed phrases, phrases that stay as they are, and
characters that change after certain others. Every fix keeps the text's length.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "t2s_context.tsv"


@dataclass(frozen=True)
class ContextTable:
    phrases: dict  # phrase -> replacement (guards map to themselves)
    after: dict  # char -> (replacement, frozenset of chars it must follow)
    longest: int


def load_table(path: Path = TABLE) -> ContextTable:
    phrases: dict[str, str] = {}
    after: dict[str, tuple[str, frozenset]] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("="):
            phrases[line[1:]] = line[1:]
            continue
        fields = line.split("\t")
        if line.startswith("@") and len(fields) == 3 and fields[2].startswith("after="):
            char, repl = fields[0][1:], fields[1]
            if len(char) != 1 or len(repl) != 1:
                raise ValueError(f"{path}:{n}: a rule changes one character into one")
            after[char] = (repl, frozenset(fields[2][len("after="):]))
        elif len(fields) == 2 and len(fields[0]) == len(fields[1]) > 0:
            phrases[fields[0]] = fields[1]
        else:
            raise ValueError(f"{path}:{n}: expected PHRASE<TAB>SAME-LENGTH REPLACEMENT, "
                             f"@CHAR<TAB>REPL<TAB>after=CHARS or =PHRASE: {raw!r}")
    return ContextTable(phrases, after, max((len(p) for p in phrases), default=1))


@lru_cache(maxsize=1)
def _table() -> ContextTable:
    return load_table()


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # opencc-python-reimplemented

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def context_chars() -> frozenset:
    """Characters the context fixes may change (what OpenCC's own table leaves alone)."""
    table = _table()
    chars = {a for p, r in table.phrases.items() for a, b in zip(p, r) if a != b}
    return frozenset(chars | set(table.after))


def fix_in_context(text: str, table: ContextTable | None = None) -> str:
    """Apply the context table to text OpenCC has already simplified."""
    table = table or _table()
    out: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(table.longest, len(text) - i), 0, -1):
            repl = table.phrases.get(text[i:i + size])
            if repl is not None:
                out.append(repl)
                i += size
                break
        else:
            ch = text[i]
            rule = table.after.get(ch)
            out.append(rule[0] if rule and i and text[i - 1] in rule[1] else ch)
            i += 1
    return "".join(out)


def to_simplified(text: str) -> str:
    """Traditional -> simplified: OpenCC t2s, then the context fixes; punctuation kept."""
    if not text:
        return text
    return fix_in_context(_t2s().convert(text))
