"""Confidence that means a probability, and the fields a person should check (``review``).

Each field's confidence is a logistic model over a few signals of the extraction (the rules'
own score, the sequence model's marginals, whether the rules and the sequence model agree,
whether the field is a default or has evidence), fitted on cross-validated predictions: notes
the sequence model did not train on (``recognize.extract.fitting``).  ``threshold`` is the
lowest calibrated probability at which the fields left unflagged on those held-out notes were
still at least ``TARGET`` right; every field below it goes into ``review``.

The calibration is data (``data/calibration.json``, or a county's own in its learned model):
a list of weights per field.  Applying it is plain arithmetic, no scikit-learn at run time.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Optional

from recognize.extract import vocab
from recognize.extract.textutil import char_f1

# The fields a draft's review may name: those a supervisor confirms (visit_time and the
# place's parts follow the date and the place).
FIELDS = ("visit_date", "place", "interviewee", "visit_method", "category", "problem", "solution", "reflections", "pii")
TEXT_FIELDS = ("problem", "solution", "reflections")
TARGET = 0.98
BASE_CALIBRATION = vocab.DATA_DIR / "calibration.json"


def signals(fld: str, ex: dict, rules: dict, readings: dict) -> list[float]:
    """The numbers the calibration of `fld` weighs (same order at fitting and at use).

    `ex` is the extraction as shown, `rules` the rules' own reading before the sequence model,
    `readings` the sequence model's ``FieldReading`` per text field (may be empty)."""
    conf = float((rules.get("confidence") or {}).get(fld, 0.0))
    value = ex.get(fld)
    empty = float(not value)
    has_ev = float(fld in (ex.get("evidence") or {}))
    if fld in TEXT_FIELDS:
        rd = readings.get(fld)
        prob = rd.prob if rd else 0.5
        edge = rd.edge if rd else 0.5
        agree = float(char_f1(rules.get(fld) or "", ex.get(fld) or "") >= 0.8)
        length = min(1.0, math.log1p(len(value or "")) / 5)
        return [conf, prob, edge, agree, empty, length, prob * agree]
    if fld == "visit_method":
        # an unstated method is the default 入户走访: whether that is a doubt is for the data to say
        return [conf, has_ev, float(value == "入户走访"), float(value == "入户走访" and not has_ev)]
    if fld == "interviewee":
        return [conf, has_ev, empty, float(ex.get("visit_method") in ("集体座谈", "民意调查"))]
    if fld == "visit_date":
        return [conf, has_ev, float(conf <= 0.3)]
    if fld == "place":
        return [conf, has_ev, empty, float(bool(ex.get("place_known")))]
    if fld == "pii":
        n = len(value or [])
        return [conf, float(n == 0), min(1.0, n / 4), float(bool(ex.get("interviewee")))]
    if fld == "category":
        crd = readings.get("category")
        return [conf, has_ev, float(value == "其他"), crd.prob if crd else 0.5,
                float(crd.value == value) if crd else 0.5]
    return [conf]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def probability(cal: dict, fld: str, xs: list[float]) -> Optional[float]:
    """The calibrated probability that `fld` is right, or None when `cal` has no model for it."""
    m = (cal.get("fields") or {}).get(fld)
    if not m or len(m["coef"]) != len(xs):
        return None
    return _sigmoid(m["intercept"] + sum(w * x for w, x in zip(m["coef"], xs)))


def apply(cal: Optional[dict], ex: dict, rules: dict, readings: dict) -> tuple[dict[str, float], list[str]]:
    """(calibrated confidence per field, the fields to review).  Without a calibration the
    extractor's own scores stand and nothing is flagged by it."""
    conf: dict[str, float] = {}
    review: list[str] = []
    if not cal:
        return conf, review
    threshold = float(cal.get("threshold", 1.0))
    ran = rules.get("confidence") or {}
    for fld in FIELDS:
        if fld not in ran:
            continue  # a stage not run here (PII when the pipeline runs the detector itself)
        p = probability(cal, fld, signals(fld, ex, rules, readings))
        if p is None:
            continue
        conf[fld] = round(p, 3)
        if p < threshold:
            review.append(fld)
    return conf, review


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> Optional[dict]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load(path: Path = BASE_CALIBRATION) -> Optional[dict]:
    """The calibration stored at `path` (cached by modification time), or None."""
    try:
        return _read(str(path), Path(path).stat().st_mtime)
    except OSError:
        return None
