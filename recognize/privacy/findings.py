"""What a recognizer returns: a scored span of the original text, with the words that raised the score."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from recognize.privacy.text import Copy, copy


@dataclass(frozen=True)
class Finding:
    start: int  # offsets into the original text
    end: int
    kind: str  # name | known | given | mobile | landline | id_card | bank_card | wechat | qq | email | …
    score: float  # 0..1: how sure the recognizer is that this is personal
    recognizer: str  # the module that found it
    context: tuple[str, ...] = ()  # the cue words that raised the score (电话, 他家, 说 …)


@dataclass(frozen=True)
class Context:
    """One text as every recognizer reads it: the original and its two normalised copies."""
    raw: str
    digits: Copy  # every digit spelling as ASCII
    names: Copy  # Han spacing dropped, digits left as written
    known: tuple[str, ...] = ()  # names the caller knows (interviewee, earlier entries)

    @classmethod
    def of(cls, raw: str, known: Iterable[str] = ()) -> "Context":
        return cls(raw, copy(raw, digits=True), copy(raw, digits=False), tuple(known))


@lru_cache(maxsize=1)
def cues() -> dict:
    """Cue words and units of ``recognize/privacy/data/cues.json``."""
    return json.loads((Path(__file__).with_name("data") / "cues.json").read_text("utf-8"))
