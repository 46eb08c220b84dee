"""Fitting and measuring the speech word flags (``recognize/speech/flags.py``), for
``bench/asr.py --flags`` / ``--fit-flags``.

A memo is a list of (transcript, reference, name). Every word gets the feature row of
``flags.features`` and a label (it holds a wrong character, or a reference character was lost
next to it); an error is caught when a flagged word holds it (a deletion: when a word beside
it is flagged). The memos are few, so the fit is a strongly regularised logistic regression and
every figure printed for the fitted score is leave-one-memo-out: weights and threshold fitted on
the other memos, applied to the held-out one.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from recognize.speech import flags
from recognize.speech.text import normalize_for_cer

TARGET_FLAGGED = 0.20  # the share of words a reviewer is asked to look at, at most


def wrong_chars(hyp: str, ref: str) -> tuple[set[int], list[int]]:
    """Hypothesis positions that are wrong (substituted or inserted), and the hypothesis
    positions before which a reference character was deleted (one edit-distance path)."""
    n, m = len(hyp), len(ref)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (hyp[i - 1] != ref[j - 1]))
    wrong, deleted = set(), []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i][j] == d[i - 1][j - 1] + (hyp[i - 1] != ref[j - 1]):
            if hyp[i - 1] != ref[j - 1]:
                wrong.add(i - 1)
            i, j = i - 1, j - 1
        elif i > 0 and d[i][j] == d[i - 1][j] + 1:
            wrong.add(i - 1)
            i -= 1
        else:
            deleted.append(i)
            j -= 1
    return wrong, deleted


def label(transcript, reference: str, vocab=None) -> dict:
    """{"words", "rows", "labels", "errors"}: errors are sets of word indices (any flagged
    catches it)."""
    words = [w for p in transcript.pieces for w in (p.words or [])]
    owner = []  # per normalised character: the index of the word holding it, or None
    base = 0
    for p in transcript.pieces:
        at = [None] * len(p.text)
        for k, w in enumerate(p.words or []):
            for c in range(w["char_start"], w["char_end"]):
                at[c] = base + k
        base += len(p.words or [])
        owner.extend(at[c] for c, ch in enumerate(p.text) if normalize_for_cer(ch))
    hyp = "".join(normalize_for_cer(ch) for p in transcript.pieces for ch in p.text if normalize_for_cer(ch))
    wrong, deleted = wrong_chars(hyp, normalize_for_cer(reference))
    errors = [{owner[i]} - {None} for i in sorted(wrong)]
    errors += [{owner[k] for k in (i - 1, i) if 0 <= k < len(owner)} - {None} for i in deleted]
    weight = [0.0] * len(words)  # how many errors a word holds (a shared deletion: a share)
    for e in errors:
        for k in e:
            weight[k] += 1 / len(e)
    memo_text = "".join(p.text for p in transcript.pieces)
    return {"words": words, "rows": flags.features(words, memo_text, vocab),
            "labels": [weight[k] > 0 for k in range(len(words))],
            "weights": [weight[k] or 1.0 for k in range(len(words))], "errors": errors}


def quality(memos: list[dict], flagged: Callable[[dict, int], bool]) -> tuple[int, int, int, int]:
    """(errors caught, errors, words flagged, words); `flagged(memo, k)` for word k."""
    caught = errs = marked = words = 0
    for m in memos:
        marks = [flagged(m, k) for k in range(len(m["words"]))]
        words += len(marks)
        marked += sum(marks)
        errs += len(m["errors"])
        caught += sum(any(marks[k] for k in e) for e in m["errors"])
    return caught, errs, marked, words


def _fit(x: np.ndarray, y: np.ndarray, sw: np.ndarray, l2: float, steps: int = 4000) -> np.ndarray:
    """Logistic regression for P(right) by gradient descent on standardised features, a wrong
    word weighted by the errors it holds (the measure counts errors, not words); returns
    [bias, weights...] in the original units."""
    t = 1.0 - y
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-6] = 1.0  # a feature constant in the training memos keeps weight 0
    xs = (x - mu) / sd
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xs @ w + b)))
        g = (p - t) * sw / sw.mean()
        w -= 0.3 * (xs.T @ g / len(t) + l2 * w)
        b -= 0.3 * g.mean()
    weights = w / sd
    return np.concatenate([[b - float(mu @ weights)], weights])


def _scores(w: np.ndarray, rows) -> np.ndarray:
    x = np.asarray(rows, dtype=np.float64).reshape(-1, len(flags.FEATURES))
    return 1 / (1 + np.exp(-(w[0] + x @ w[1:])))


def _threshold(memos: list[dict], scored: list[np.ndarray]) -> float:
    """The threshold catching the most errors with at most TARGET_FLAGGED of the words flagged
    (the lowest such, so the fewest words)."""
    best, best_caught = 0.0, -1
    for th in sorted({round(float(s), 4) for sc in scored for s in sc} | {0.0}):
        th = th + 1e-6
        caught, _e, marked, words = quality(memos, lambda m, k: scored[memos.index(m)][k] < th)
        if marked > TARGET_FLAGGED * words:
            break
        if caught > best_caught:
            best, best_caught = th, caught
    return round(best, 4)


def fit_model(memos: list[dict], l2: float, active: tuple[str, ...] = flags.FEATURES) -> flags.FlagModel:
    """Weights for the `active` features (the others stay 0) and the threshold, on `memos`."""
    x = np.vstack([np.asarray(m["rows"], dtype=np.float64).reshape(-1, len(flags.FEATURES)) for m in memos])
    x[:, [k for k, f in enumerate(flags.FEATURES) if f not in active]] = 0.0
    y = np.concatenate([np.asarray(m["labels"], dtype=np.float64) for m in memos])
    sw = np.concatenate([np.asarray(m["weights"], dtype=np.float64) for m in memos])
    w = _fit(x, y, sw, l2)
    th = _threshold(memos, [_scores(w, m["rows"]) for m in memos])
    return flags.FlagModel(tuple(float(v) for v in w[1:]), float(w[0]), th)


def leave_one_out(memos: list[dict], l2: float, active: tuple[str, ...] = flags.FEATURES) -> list[np.ndarray]:
    """Per memo: its words' flags from a model fitted on the other memos."""
    out = []
    for i, m in enumerate(memos):
        model = fit_model(memos[:i] + memos[i + 1:], l2, active)
        sc = np.asarray(flags.scores(m["rows"], model))
        out.append(sc < model.flag_below)
    return out


def write(model: flags.FlagModel, memos: list[dict], note: str, out: Path = flags.DATA) -> None:
    data = {"features": list(flags.FEATURES), "weights": [round(v, 5) for v in model.weights],
            "bias": round(model.bias, 5), "flag_below": model.flag_below, "fitted_on": note}
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    flags.load.cache_clear()
