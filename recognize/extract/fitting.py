"""Fitting the sequence model and the calibration: cross-validated, so confidence is learned on
notes the model did not train on.

- ``cross_validate(cases, rules)``: the note's fields read by a sequence model trained on the
  other folds (out-of-fold), for every case;
- ``fit_calibration(cases, oof)``: a logistic model per field over ``calibration.signals``
  fitted on those out-of-fold readings, and the review threshold chosen on held-out folds of
  them (the lowest probability at which unflagged fields stay >= ``calibration.TARGET`` right);
- ``build(cases, rules, out_dir)``: both, then the final sequence model on every case.

Used by ``scripts/train_extractor_model.py`` (the base model shipped in ``data/``), by
``learn.train`` (a county's model from its confirmed entries) and by ``bench/extract.py``.
A case is ``{"text", "now", "expected": {field: value}}`` as in tests/data/extraction_*.jsonl.
"""
from __future__ import annotations

import dataclasses
import json
import random
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from recognize.extract import Extraction, calibration, read_and_calibrate, sequence
from recognize.extract.learn import COUNTY_WEIGHT, MIN_EXAMPLES, Example, Trained
from recognize.extract.textutil import char_f1
from recognize.privacy import redact

FOLDS = 5
SEED = 0
CRF_PARAMS = {"c1": 0.2, "c2": 0.01}
RulesFn = Callable[[dict], dict]  # a case -> extract_entry(..., reading=False).to_dict()


def load_cases(paths: Iterable[Path]) -> list[dict]:
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    case = json.loads(line)
                    case.setdefault("set", Path(path).stem)
                    out.append(case)
    return out


def field_right(fld: str, got: dict, exp, text: str) -> bool:
    """The project's measure (shared/eval/README.md): exact for date, person, method and
    category; the expected village inside the extracted place; character F1 >= 0.8 for text;
    every expected PII string gone from what a public page shows."""
    val = got.get(fld)
    if fld in calibration.TEXT_FIELDS:
        return char_f1(val or "", exp or "") >= 0.8
    if fld == "place":
        return bool(val) and exp in val if exp else not val
    if fld == "pii":
        shown = redact(text, extra=got.get("pii") or [])
        return all(s not in shown for s in exp or [])
    return (val or "") == (exp or "")


def as_extraction(d: dict) -> Extraction:
    names = {f.name for f in dataclasses.fields(Extraction)}
    return Extraction(**{k: json.loads(json.dumps(v)) for k, v in d.items() if k in names})


def folds_of(cases: Sequence[dict], k: int = FOLDS, seed: int = SEED) -> list[int]:
    """Each case's fold; copies of one note (a county's notes weighed more) share a fold, so a
    note is never scored by a model that trained on its copy."""
    texts = sorted({c["text"] for c in cases})
    random.Random(seed).shuffle(texts)
    of = {t: pos % k for pos, t in enumerate(texts)}
    return [of[c["text"]] for c in cases]


def group_of(case: dict) -> Optional[str]:
    """The style a note was written in (helpers' notes) or else its source file: the unit a
    fold leaves out, so that an out-of-fold reading is of a style the model did not train on."""
    return case.get("style") or case.get("set")


def group_folds(cases: Sequence[dict], k: int = FOLDS, seed: int = SEED) -> list[int]:
    """Leave-one-group-out folds (GroupKFold-like, one fold per style or source file).  Notes
    with no group (a county's confirmed entries) keep the note-wise folds of ``folds_of``,
    numbered after the groups'.  Fitting the calibration and the threshold on these readings is
    what keeps a new style from being over-trusted: cross-validation that mixes styles promised
    98% right among unflagged fields where unseen styles gave 96%."""
    groups = sorted({g for g in map(group_of, cases) if g})
    of = {g: n for n, g in enumerate(groups)}
    loose = [i for i, c in enumerate(cases) if not group_of(c)]
    by_text = folds_of([cases[i] for i in loose], k, seed) if loose else []
    out = [of.get(group_of(c) or "", -1) for c in cases]
    for i, f in zip(loose, by_text):
        out[i] = len(groups) + f
    return out


BASE_NOTES = calibration.vocab.DATA_DIR / "base_notes.jsonl.gz"


def base_cases(path: Path = BASE_NOTES) -> list[dict]:
    """The labelled notes the base model trained on that may ship with the package (the project's
    own sets and the helpers' notes): a county's model trains on them beside its own entries."""
    import gzip

    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except OSError:
        return []


def write_base_cases(cases: Sequence[dict], path: Path = BASE_NOTES) -> None:
    import gzip

    with gzip.GzipFile(filename="", mode="wb", fileobj=open(path, "wb"), mtime=0) as fh:  # same bytes each time
        for c in cases:
            fh.write((json.dumps({k: c[k] for k in ("id", "now", "text", "expected", "set", "style") if k in c},
                                 ensure_ascii=False) + "\n").encode("utf-8"))


def _read(tg, case: dict, rules_dict: dict, ctg=None) -> dict:
    readings = sequence.read(tg, case["text"], rules_dict) if tg is not None else {}
    ex = read_and_calibrate(as_extraction(rules_dict), case["text"], tg, None, readings, category_tagger=ctg)
    crd = sequence.read_category(ctg, case["text"], rules_dict)
    return {"got": ex.to_dict(), "rules": rules_dict,
            "readings": {**readings, "category": crd} if crd is not None else readings}


def cross_validate(cases: Sequence[dict], rules: Sequence[dict], *, k: int = FOLDS, seed: int = SEED,
                   fold: Optional[list[int]] = None, extra: Sequence[tuple[dict, dict]] = ()) -> list[dict]:
    """Out-of-fold readings: case i read by a sequence model trained on the other folds (plus
    `extra` (case, rules) pairs that are never scored, e.g. the base data under a county's)."""
    fold = fold or group_folds(cases, k, seed)
    out: list = [None] * len(cases)
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(set(fold)):
            items = [(c["text"], c["expected"], r) for c, r, g in zip(cases, rules, fold) if g != f]
            items += [(c["text"], c["expected"], r) for c, r in extra]
            tg = sequence.tagger(sequence.train(items, Path(tmp) / f"fold{f}.crfsuite", **CRF_PARAMS)) if items else None
            cpath = sequence.train_category(items, Path(tmp) / f"cat{f}.crfsuite") if items else None
            ctg = sequence.tagger(cpath) if cpath else None
            for i, g in enumerate(fold):
                if g == f:
                    out[i] = _read(tg, cases[i], rules[i], ctg)
    return out


def _rows(cases: Sequence[dict], oof: Sequence[dict]):
    """(case index, field, signals, right) for every scored field."""
    rows = []
    for i, (case, o) in enumerate(zip(cases, oof)):
        for fld in calibration.FIELDS:
            if fld in case["expected"]:
                xs = calibration.signals(fld, o["got"], o["rules"], o["readings"])
                rows.append((i, fld, xs, field_right(fld, o["got"], case["expected"][fld], case["text"])))
    return rows


def _fit_fields(rows) -> dict:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    fields = {}
    for fld in calibration.FIELDS:
        xs = [r[2] for r in rows if r[1] == fld]
        ys = [int(r[3]) for r in rows if r[1] == fld]
        if not xs:
            continue
        if len(set(ys)) < 2:  # always right (or wrong) here: a constant, shrunk towards doubt
            rate = (sum(ys) + 1) / (len(ys) + 2)
            fields[fld] = {"coef": [0.0] * len(xs[0]), "intercept": float(np.log(rate / (1 - rate))), "n": len(ys)}
            continue
        lr = LogisticRegression(C=1.0, max_iter=1000)
        lr.fit(np.asarray(xs, dtype=float), np.asarray(ys))
        fields[fld] = {"coef": [round(float(w), 5) for w in lr.coef_[0]],
                       "intercept": round(float(lr.intercept_[0]), 5), "n": len(ys)}
    return fields


def choose_threshold(probs: Sequence[float], rights: Sequence[bool], target: float = calibration.TARGET) -> float:
    """The lowest probability τ such that the fields at or above τ are at least `target` right
    (1.0 and above: nothing can be left unflagged)."""
    pairs = sorted(zip(probs, rights), key=lambda x: -x[0])
    best, right = 1.01, 0
    for n, (p, ok) in enumerate(pairs, 1):
        right += ok
        if (n == len(pairs) or pairs[n][0] < p) and right / n >= target:
            best = p
    return round(best, 4)


def held_out_probabilities(cases: Sequence[dict], oof: Sequence[dict], *, k: int = FOLDS, seed: int = SEED,
                           fold: Optional[list[int]] = None) -> list[tuple[int, str, float, bool]]:
    """(case, field, probability, right) with each case's calibration fitted on the other folds."""
    rows = _rows(cases, oof)
    fold = fold or group_folds(cases, k, seed)
    out = []
    for f in sorted(set(fold)):
        fitted = {"fields": _fit_fields([r for r in rows if fold[r[0]] != f])}
        for i, fld, xs, ok in rows:
            if fold[i] == f:
                p = calibration.probability(fitted, fld, xs)
                out.append((i, fld, 0.0 if p is None else p, ok))
    return out


def fit_calibration(cases: Sequence[dict], oof: Sequence[dict], *, k: int = FOLDS, seed: int = SEED,
                    fold: Optional[list[int]] = None) -> dict:
    """The calibration to store: per-field weights fitted on every out-of-fold reading, and the
    threshold chosen on calibrated probabilities of held-out folds."""
    held = held_out_probabilities(cases, oof, fold=fold or group_folds(cases, k, seed))
    threshold = choose_threshold([p for _, _, p, _ in held], [ok for *_, ok in held])
    unflagged = [ok for _, _, p, ok in held if p >= threshold]
    return {
        "fields": _fit_fields(_rows(cases, oof)),
        "threshold": threshold,
        "target": calibration.TARGET,
        "held_out": {"fields": len(held), "unflagged": round(len(unflagged) / max(1, len(held)), 4),
                     "accuracy_unflagged": round(sum(unflagged) / max(1, len(unflagged)), 4),
                     "folds": "leave one style or source file out"},
        "notes": len(cases),
    }


def build(cases: Sequence[dict], rules: Sequence[dict], out_dir: Path) -> dict:
    """Write ``sequence.crfsuite`` and ``calibration.json`` into `out_dir`; return the calibration."""
    out_dir = Path(out_dir)
    fold = group_folds(cases)
    oof = cross_validate(cases, rules, fold=fold)
    cal = fit_calibration(cases, oof, fold=fold)
    items = [(c["text"], c["expected"], r) for c, r in zip(cases, rules)]
    sequence.train(items, out_dir / "sequence.crfsuite", **CRF_PARAMS)
    sequence.train_category(items, out_dir / "category.crfsuite")
    (out_dir / "calibration.json").write_text(json.dumps(cal, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return cal


def fit_county(trained: Trained, examples: Sequence[Example], rules: Callable[[Example], dict], *,
               base: Optional[Sequence[dict]] = None) -> Trained:
    """A county's model with its own sequence model and calibration: trained (cross-validated,
    folds by note) on the shipped base notes plus its confirmed entries counted COUNTY_WEIGHT
    times.  Fewer than MIN_EXAMPLES entries: the shipped ones stay (nothing added)."""
    if len(examples) < MIN_EXAMPLES:
        return trained
    base = base_cases() if base is None else list(base)
    own = [{"text": ex.text, "now": ex.now, "expected": dict(ex.fields)} for ex in examples]
    views = [rules(Example(c["text"], c.get("now"), {})) for c in base]
    own_views = [rules(ex) for ex in examples]
    with tempfile.TemporaryDirectory() as tmp:
        cal = build(list(base) + own * COUNTY_WEIGHT, views + own_views * COUNTY_WEIGHT, Path(tmp))
        trained.sequence_model = (Path(tmp) / "sequence.crfsuite").read_bytes()
    trained.calibration = cal
    return trained
