"""The analyzer: every recognizer over one text, their findings merged.

Recognizers are listed in ``RECOGNIZERS`` (a new kind of personal data is a new small module
there).  Overlapping findings become one span: the union, the higher score, and the number kind
over a name kind (a plate that LAC also read as a person stays a plate).  A name found inside a
word the county names (``keep``: a village, a township) is dropped.
"""
from __future__ import annotations

import re
from typing import Iterable

from recognize.privacy.findings import Context, Finding
from recognize.privacy.recognizers import accounts, email, house, nicknames, numbers, person, pinyin_names, plate, rural_house

RECOGNIZERS = (numbers, house, rural_house, plate, email, accounts, person, nicknames, pinyin_names)
NAME_KINDS = ("name", "known", "given", "cadre")


def merge(findings: Iterable[Finding]) -> list[Finding]:
    found = sorted(findings, key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Finding] = []
    for f in found:
        if f.end <= f.start:
            continue
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end <= last.end:
                if f.score > last.score or f.context:
                    out[-1] = Finding(last.start, last.end, last.kind, max(last.score, f.score), last.recognizer,
                                      tuple(dict.fromkeys(last.context + f.context)))
                continue
            kind = last.kind if last.kind not in NAME_KINDS else (f.kind if f.kind not in NAME_KINDS else last.kind)
            out[-1] = Finding(last.start, f.end, kind, max(last.score, f.score),
                              last.recognizer if kind == last.kind else f.recognizer,
                              tuple(dict.fromkeys(last.context + f.context)))
            continue
        out.append(f)
    return out


def analyze(text: str, known: Iterable[str] = (), *, keep: Iterable[str] = (),
            recognizers=RECOGNIZERS) -> list[Finding]:
    """Every personal candidate in ``text``, merged, in text order; offsets into ``text``."""
    raw = text or ""
    if not raw.strip():
        return []
    ctx = Context.of(raw, [k.strip() for k in known if k and k.strip()])
    found: list[Finding] = []
    for r in recognizers:
        found += r.recognize(ctx)
    keep_spans = [(m.start(), m.end()) for k in keep if k for m in re.finditer(re.escape(k), raw)]
    # a word the county names (a village, a township) is never a person, whatever LAC thinks
    found = [f for f in found if not (f.kind == "name" and any(a <= f.start and f.end <= b for a, b in keep_spans))]
    return merge(found)
