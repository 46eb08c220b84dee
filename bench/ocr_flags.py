"""Flags on photos: how many of the wrong characters sit in flagged ones, against how many
characters are flagged; and the fit of recognize/data/handwriting_flags.json.

Used by ``bench/ocr.py`` (its table) and ``bench/ocr.py --fit-flags`` (the fit). An error is
a substituted or inserted character of the output, or a reference character the output lost;
a lost one counts as caught when a character next to where it was lost is flagged. Each
output line is aligned with its best-matching stretch of the reference, so reading order
does not count here (the CER does): a run of wrong characters is aligned again on its own
(a fragment of another line joined by the reading order) and a run of lost ones is left out
(text read elsewhere, or missed by the detector: no character to flag); lines the reference
leaves out (printed text) are not scored. The fit
is a logistic regression (recognize.handwriting.flags.FEATURES) on the development lines and
pages; its threshold is the largest that flags at most TARGET of the characters in 5-fold
cross-validation (folds by image), so the figures it prints are for images the fold never saw.
"""
from __future__ import annotations

import collections
import json
import math
from pathlib import Path
from typing import Callable

import numpy as np

from recognize.handwriting import flags

TARGET_FLAGGED = 0.18  # under the 20%, with room for images never seen


MAX_LINE_CER = 0.5  # a line further than this from every stretch of the reference is not in it


def _semi_global(ref: str, hyp: str):
    """Align `hyp` (one line) with its best-matching stretch of `ref` (free start and end in
    `ref`): reading order and lines the reference leaves out (printed text) do not count,
    only how each line was read. Returns (edit ops, distance): ("sub"|"ins", hyp index) or
    ("del", hyp index it was lost before)."""
    n, m = len(ref), len(hyp)
    r = np.frombuffer(ref.encode("utf-32-le"), dtype=np.uint32)
    d = np.zeros((m + 1, n + 1), dtype=np.int32)
    d[:, 0] = np.arange(m + 1)
    for i in range(1, m + 1):
        diag = d[i - 1, :-1] + (r != ord(hyp[i - 1]))
        up = d[i - 1, 1:] + 1
        row = np.minimum(diag, up)
        # left moves (a reference character lost) in one pass
        out = np.empty(n + 1, dtype=np.int32)
        out[0] = i
        best = i
        for j in range(1, n + 1):
            best = min(row[j - 1], best + 1)
            out[j] = best
        d[i] = out
    j = int(d[m].argmin())
    dist = int(d[m, j])
    ops = []
    i = m
    while i:
        if j and d[i, j] == d[i - 1, j - 1] + (ref[j - 1] != hyp[i - 1]):
            if ref[j - 1] != hyp[i - 1]:
                ops.append(("sub", i - 1))
            i, j = i - 1, j - 1
        elif d[i, j] == d[i - 1, j] + 1:
            ops.append(("ins", i - 1))
            i -= 1
        else:
            ops.append(("del", i))
            j -= 1
    return ops, dist


MIN_FRAGMENT = 3  # wrong characters in a row that may be a piece of another line


def _line_ops(ref: str, hyp: str):
    """`_semi_global`, and a run of MIN_FRAGMENT or more wrong characters aligned again on its
    own, kept where it matches better there: reading order joined it from elsewhere on the page (two columns read as one row),
    which the CER counts, not a misreading. Returns (ops, distance)."""
    ops, dist = _semi_global(ref, hyp)
    # (a tie between inserting a character and substituting it for a neighbour's: both are runs)
    ins = sorted(j for op, j in ops if op in ("ins", "sub"))
    runs, start = [], None
    for k, j in enumerate(ins):
        if start is None:
            start = j
        if k + 1 == len(ins) or ins[k + 1] != j + 1:
            if j + 1 - start >= MIN_FRAGMENT:
                runs.append((start, j + 1))
            start = None
    for a, b in runs:
        sub_ops, sub_dist = _semi_global(ref, hyp[a:b])
        inside = [o for o in ops if o[0] in ("ins", "sub") and a <= o[1] < b]
        if sub_dist < len(inside) and sub_dist <= MAX_LINE_CER * (b - a):
            ops = [o for o in ops if o not in inside] + [(op, j + a) for op, j in sub_ops]
            dist -= len(inside) - sub_dist
    # MIN_FRAGMENT or more reference characters lost at one place: a label or a line the reading
    # order put elsewhere, or writing the detector missed: no character to flag either way
    lost = collections.Counter(j for op, j in ops if op == "del")
    skip = {j for j, n in lost.items() if n >= MIN_FRAGMENT}
    kept = [o for o in ops if not (o[0] == "del" and o[1] in skip)]
    return kept, dist - (len(ops) - len(kept))


def label(ref: str, result, normalise: Callable[[str], str]):
    """Per character with a word entry: (feature row, wrong), the errors (each a set of entry
    indices: any of them flagged catches it) and the entries; lines not in the reference (a
    printed header, a crossed-out line) are left out."""
    refn = normalise(ref)
    rows, labels, errors, words = [], [], [], []
    for piece in result.pieces:
        entries = piece.words or []
        if not entries:
            continue
        chars = []  # (normalised character, entry index within the piece)
        for k, w in enumerate(entries):
            chars.extend((c, k) for c in normalise(w["text"]))
        hyp = "".join(c for c, _ in chars)
        if not hyp:
            continue
        ops, dist = _line_ops(refn, hyp)
        if dist > MAX_LINE_CER * len(hyp):
            continue
        base = len(words)
        wrong = set()
        for op, j in ops:
            near = {chars[k][1] for k in ((j - 1, j) if op == "del" else (j,)) if 0 <= k < len(chars)}
            errors.append({base + k for k in near})
            if op != "del":
                wrong |= near
        rows.extend(flags.features("".join(w["text"] for w in entries), [w["recognizer"] for w in entries],
                                   piece.confidence, [w.get("margin", w["recognizer"]) for w in entries]))
        labels.extend(k in wrong for k in range(len(entries)))
        words.extend(entries)
    return rows, labels, errors, words


def score(labelled) -> tuple[float, float, int, int]:
    """(share of errors caught, share of characters flagged, errors, characters) as shipped."""
    caught = errs = flagged = chars = 0
    for _rows, _labels, errors, words in labelled:
        chars += len(words)
        flagged += sum(bool(w["flagged"]) for w in words)
        errs += len(errors)
        caught += sum(any(words[k]["flagged"] for k in e) for e in errors)
    return caught / max(1, errs), flagged / max(1, chars), errs, chars


def _fit(x: np.ndarray, y: np.ndarray, steps: int = 3000, l2: float = 1e-3) -> np.ndarray:
    """Logistic regression by gradient descent; returns [bias, weights...] for P(right)."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    t = 1.0 - y  # the confidence is the chance of being right
    w = np.zeros(xb.shape[1])
    scale = xb.std(axis=0) + 1e-6
    scale[0] = 1.0
    xs = xb / scale
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xs @ w))
        w -= 0.5 * (xs.T @ (p - t) / len(t) + l2 * w)
    return w / scale


def _predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(w[0] + x @ w[1:])))


def fit(labelled, out: Path, folds: int = 5) -> dict:
    """Fit on all images; the threshold (and the printed figures) from cross-validation."""
    groups = [(np.asarray(r, dtype=np.float64).reshape(-1, len(flags.FEATURES)), np.asarray(l, dtype=np.float64), e)
              for r, l, e, _w in labelled if r]
    oof = [None] * len(groups)
    for f in range(folds):
        train = [g for k, g in enumerate(groups) if k % folds != f]
        w = _fit(np.vstack([g[0] for g in train]), np.concatenate([g[1] for g in train]))
        for k, g in enumerate(groups):
            if k % folds == f:
                oof[k] = _predict(w, g[0])
    conf = np.concatenate(oof)
    candidates = sorted(set(np.round(conf, 4)))
    best = 0.0
    for th in candidates:
        if (conf < th).mean() <= TARGET_FLAGGED:
            best = th
    caught = errs = 0
    for (x, y, errors), c in zip(groups, oof):
        errs += len(errors)
        caught += sum(any(c[k] < best for k in e) for e in errors)
    w = _fit(np.vstack([g[0] for g in groups]), np.concatenate([g[1] for g in groups]))
    data = {"features": list(flags.FEATURES), "weights": [round(float(v), 5) for v in w[1:]],
            "bias": round(float(w[0]), 5), "flag_below": float(best),
            "fitted_on": f"{len(groups)} development images (bench/ocr.py --fit-flags), 5-fold CV: "
                         f"{caught / max(1, errs):.1%} of errors caught, {(conf < best).mean():.1%} of characters flagged"}
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    flags.load.cache_clear()
    return data
