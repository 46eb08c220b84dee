"""What both recognizers' flags share: a logistic model over a few features per character (photos)
or word (memos), fitted by cross-validation, kept as weights in a data file, read here, and turned
into a calibrated probability of being right (recognize/handwriting/flags.py,
recognize/speech/flags.py)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


@dataclass(frozen=True)
class FlagModel:
    weights: tuple[float, ...]  # one per feature
    bias: float
    flag_below: float  # calibrated probability under which the character or word is flagged


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def load_model(path: Path, features: tuple[str, ...]) -> FlagModel:
    """The model in `path`, refused when it was fitted on other features than these."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != features:
        raise ValueError(f"{path}: features {data['features']} != {features}")
    return FlagModel(tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["flag_below"]))


def probabilities(model: FlagModel, rows: Sequence[Sequence[float]]) -> list[float]:
    out = []
    for row in rows:
        z = model.bias + sum(w * x for w, x in zip(model.weights, row))
        out.append(1.0 / (1.0 + math.exp(-z)))
    return out
