"""Which recognized characters of a photo the reviewer should look at.

Every character gets a calibrated confidence (the chance it is read right): a logistic model
over what the recognizer says of it (its CTC probability, the gap to its second-best
reading, its weaker neighbour's probability, the line's score, whether it is a punctuation
mark). The weights and the flag threshold are data
(`recognize/data/handwriting_flags.json`), fitted on the development lines and pages with
cross-validation by `bench/ocr_flags.py --fit`; characters below the threshold are flagged.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from recognize.flagging import FlagModel, load_model, logit, probabilities

DATA = Path(__file__).parent.parent / "data" / "handwriting_flags.json"
FEATURES = ("logit_p", "logit_margin", "logit_neighbour", "logit_line", "punct")




def features(text: str, probs: Sequence[float], line_score: float,
             margins: Sequence[float] | None = None) -> list[list[float]]:
    """One feature row per character of a line (see FEATURES); `margins`: the recognizer's
    best minus second-best class per character (its probability where not given)."""
    margins = probs if margins is None else margins
    rows = []
    for k, (ch, p, m) in enumerate(zip(text, probs, margins)):
        near = [probs[j] for j in (k - 1, k + 1) if 0 <= j < len(probs)]
        rows.append([logit(p), logit(m), logit(min(near) if near else p), logit(line_score),
                     float(unicodedata.category(ch)[0] in "PS")])
    return rows


@lru_cache(maxsize=1)
def load(path: Path = DATA) -> FlagModel:
    return load_model(path, FEATURES)


def confidences(text: str, probs: Sequence[float], line_score: float, model: FlagModel | None = None,
                margins: Sequence[float] | None = None) -> list[float]:
    """The calibrated confidence of each character of a line."""
    return probabilities(model or load(), features(text, probs, line_score, margins))
