"""Which recognized characters of a photo the reviewer should look at.

Every character gets a calibrated confidence (the chance it is read right): a logistic model
over what the recognizer says of it (its CTC probability, the gap to its second-best
reading, its weaker neighbour's probability, the line's score, whether it is a punctuation
mark). The weights and the flag threshold are data
(`recognize/data/handwriting_flags.json`), fitted on the development lines and pages with
cross-validation by `bench/ocr_flags.py --fit`; characters below the threshold are flagged.
"""
from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

DATA = Path(__file__).parent.parent / "data" / "handwriting_flags.json"
FEATURES = ("logit_p", "logit_margin", "logit_neighbour", "logit_line", "punct")


@dataclass(frozen=True)
class FlagModel:
    weights: tuple[float, ...]  # one per FEATURES
    bias: float
    flag_below: float  # calibrated confidence under which a character is flagged


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(text: str, probs: Sequence[float], line_score: float,
             margins: Sequence[float] | None = None) -> list[list[float]]:
    """One feature row per character of a line (see FEATURES); `margins`: the recognizer's
    best minus second-best class per character (its probability where not given)."""
    margins = probs if margins is None else margins
    rows = []
    for k, (ch, p, m) in enumerate(zip(text, probs, margins)):
        near = [probs[j] for j in (k - 1, k + 1) if 0 <= j < len(probs)]
        rows.append([_logit(p), _logit(m), _logit(min(near) if near else p), _logit(line_score),
                     float(unicodedata.category(ch)[0] in "PS")])
    return rows


@lru_cache(maxsize=1)
def load(path: Path = DATA) -> FlagModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path}: features {data['features']} != {FEATURES}")
    return FlagModel(tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["flag_below"]))


def confidences(text: str, probs: Sequence[float], line_score: float, model: FlagModel | None = None,
                margins: Sequence[float] | None = None) -> list[float]:
    """The calibrated confidence of each character of a line."""
    model = model or load()
    out = []
    for row in features(text, probs, line_score, margins):
        z = model.bias + sum(w * x for w, x in zip(model.weights, row))
        out.append(1.0 / (1.0 + math.exp(-z)))
    return out
