"""Text helpers shared by the extractors.

Every transform here keeps the length of the text, so a character offset found in the
normalized text is the same offset in the transcript the reviewer sees (evidence spans).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from functools import lru_cache

from recognize import simplify

# Full-width ASCII (！ to ～) and the ideographic space map 1:1 onto half-width.
_FW = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FW[0x3000] = 0x20
# Keep the Chinese colon/comma/semicolon etc. as they are: only digits and letters matter
# for numbers, and the section splitter knows both colon widths.
for _ch in "：，；！？（）":
    _FW.pop(ord(_ch), None)

PUNCT = "。，,；;：:！!？?、…“”\"'‘’（）()《》【】[]·.—-~～ \t\r\n\u3000"
SENT_END = "。！!？?；;\n…"
SPACE = " \t\r\n\u3000"
HAN_RE = re.compile(r"[\u4e00-\u9fff]")


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc  # opencc-python-reimplemented

        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover - the package is a project dependency
        return None


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset:
    """Characters OpenCC's t2s table changes; text without any needs no conversion."""
    try:
        import opencc

        path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
        chars = set()
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                key, _, val = line.rstrip("\n").partition("\t")
                if len(key) == 1 and key not in val.split():
                    chars.add(key)
        return frozenset(chars)
    except Exception:  # pragma: no cover - fall back to converting every text
        return frozenset()


def normalize(text: str) -> str:
    """Half-width digits/letters, simplified characters; same length as the input."""
    out = text.translate(_FW)
    conv = _t2s()
    trad = _traditional_chars() | simplify.context_chars()
    if conv is not None and (not trad or any(c in trad for c in out)):
        simp = simplify.fix_in_context(conv.convert(out))
        if len(simp) == len(out):
            out = simp
    return out


# 三道河村，不对，是二道河村: the speaker corrects what they just said
_CORRECTION = re.compile(r"\s*[，,]?\s*(?:不对|说错了|错了)\s*[，,]?\s*(?:应该)?是")


def correction_after(text: str, end: int) -> int:
    """Where the corrected value starts when what ends at `end` is taken back, else -1."""
    m = _CORRECTION.match(text, end)
    return m.end() if m else -1


def trim_span(text: str, start: int, end: int, chars: str = PUNCT) -> tuple[int, int]:
    """Shrink [start, end) past leading/trailing punctuation and spaces."""
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences of text[start:end] as absolute spans, ends exclusive, delimiter included."""
    end = len(text) if end is None else end
    spans = []
    s = start
    i = start
    while i < end:
        if text[i] in SENT_END:
            j = i + 1
            while j < end and text[j] in SENT_END:
                j += 1
            spans.append((s, j))
            s = i = j
            continue
        i += 1
    if s < end:
        spans.append((s, end))
    return spans


def sentence_start(text: str, pos: int, floor: int = 0, stops: str = SENT_END) -> int:
    """Start of the sentence holding `pos` (of the clause, with stops=PUNCT)."""
    i = pos
    while i > floor and text[i - 1] not in stops:
        i -= 1
    return i


def sentence_end(text: str, pos: int, ceil: int | None = None) -> int:
    ceil = len(text) if ceil is None else ceil
    i = pos
    while i < ceil and text[i] not in SENT_END:
        i += 1
    return i


def char_f1(pred: str, gold: str) -> float:
    pred, gold = pred or "", gold or ""
    if not pred and not gold:
        return 1.0
    if not pred or not gold:
        return 0.0
    common = sum((Counter(pred) & Counter(gold)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)
