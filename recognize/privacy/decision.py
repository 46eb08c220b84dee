"""The one decision: from a finding's score, mask it (sure), ask the supervisor, or keep it."""
from __future__ import annotations

from dataclasses import dataclass

from recognize.privacy.findings import Finding

MASK, ASK, KEEP = "mask", "ask", "keep"


@dataclass(frozen=True)
class Thresholds:
    mask: float = 0.8  # at or above: masked without a question
    ask: float = 0.5  # at or above (and below ``mask``): the publish step asks


DEFAULT = Thresholds()


def decide(f: Finding, thresholds: Thresholds = DEFAULT) -> str:
    if f.score >= thresholds.mask:
        return MASK
    if f.score >= thresholds.ask:
        return ASK
    return KEEP
