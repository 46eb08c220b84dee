"""Reading order of the text boxes found on a page: skew, rows, columns.

Works on the detector's polygons alone (and, for one decision, the boxes' texts), so it is
tested without a model:

1. The page's skew comes from the boxes themselves: the direction of the long side of
   every elongated box, weighted by its length. A page of square boxes (one character to a
   square on squared paper, where a box's own direction is arbitrary) gets it from the
   angle at which the box centres line up in the tightest rows.
2. Every box is measured along that direction (u, across the page) and across it (v).
3. Two columns are read one after the other when an empty gutter runs down the page
   between two text blocks of real width; lines that span the gutter above the blocks (a
   title) come first. A form whose left column is printed labels (时间：) is read row by
   row instead.
4. Boxes join a row when they overlap its nearest box along v by half a line's thickness
   and do not sit on top of a box already in it; rows run top to bottom, each left to right.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

# Boxes this many times longer than thick show the writing's direction.
ELONGATED = 1.8
# Skews searched for a page of square boxes, and the step (degrees).
MAX_SKEW_DEG = 20.0
SKEW_STEP_DEG = 0.5
# A box joins a row when it overlaps the row's nearest box by this part of the thinner one.
ROW_OVERLAP = 0.5
# ...and overlaps no box of the row along the line by more than this part of the narrower.
SIDE_OVERLAP = 0.3
# A column is at least this part of the text's width, with at least this many boxes.
MIN_COLUMN_SHARE = 0.25
MIN_COLUMN_BOXES = 3
# The gutter between columns is at least this many line thicknesses wide (a gap between
# words, where the detector splits a line, is narrower).
MIN_GUTTER = 2.0


@dataclass(frozen=True)
class Box:
    u0: float
    u1: float
    v0: float
    v1: float

    @property
    def vc(self) -> float:
        return (self.v0 + self.v1) / 2

    @property
    def uc(self) -> float:
        return (self.u0 + self.u1) / 2

    @property
    def thickness(self) -> float:
        return self.v1 - self.v0

    @property
    def width(self) -> float:
        return self.u1 - self.u0


def _long_side(poly: np.ndarray) -> tuple[float, float, float]:
    """(angle in radians of the box's long side, long, short) from its minimum-area
    rectangle; the angle lies within +-45 degrees of the horizontal, or is nan."""
    import cv2

    (_cx, _cy), (w, h), deg = cv2.minAreaRect(poly.astype(np.float32))
    if w < h:
        w, h, deg = h, w, deg + 90.0
    deg = (deg + 90.0) % 180.0 - 90.0  # -90..90
    return (math.radians(deg) if abs(deg) <= 45 else math.nan), float(w), float(h)


def _weighted_median(values: list[float], weights: list[float]) -> float:
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    cum = np.cumsum(w)
    return float(v[int(np.searchsorted(cum, cum[-1] / 2))])


def skew(polys: Sequence[np.ndarray]) -> float:
    """The angle (radians, y down: positive when lines run down to the right) of the rows."""
    angles, weights, thick = [], [], []
    for p in polys:
        if len(p) < 3:
            continue
        angle, long, short = _long_side(p)
        thick.append(short)
        if long >= ELONGATED * max(short, 1.0) and not math.isnan(angle):
            angles.append(angle)
            weights.append(long)
    if angles:
        return _weighted_median(angles, weights)
    if len(polys) < 3:
        return 0.0
    return _skew_from_centres(np.array([p.mean(axis=0) for p in polys]), float(np.median(thick) or 1.0))


def _skew_from_centres(centres: np.ndarray, thickness: float) -> float:
    """The angle at which the centres' heights across the rows bunch up most."""
    best, best_score = 0.0, -1.0
    for deg in sorted(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, SKEW_STEP_DEG), key=abs):
        t = math.radians(deg)
        v = -centres[:, 0] * math.sin(t) + centres[:, 1] * math.cos(t)
        _, counts = np.unique(np.floor(v / (0.5 * thickness)), return_counts=True)
        score = float(np.sum(counts.astype(np.float64) ** 2))
        if score > best_score + 1e-9:
            best, best_score = t, score
    return best


def measure(polys: Sequence[np.ndarray], angle: float) -> list[Box]:
    c, s = math.cos(angle), math.sin(angle)
    out = []
    for p in polys:
        u = p[:, 0] * c + p[:, 1] * s
        v = -p[:, 0] * s + p[:, 1] * c
        out.append(Box(float(u.min()), float(u.max()), float(v.min()), float(v.max())))
    return out


def _rows(idx: list[int], boxes: list[Box]) -> list[list[int]]:
    rows: list[list[int]] = []
    for i in sorted(idx, key=lambda i: boxes[i].vc):
        b = boxes[i]
        best, best_overlap = None, 0.0
        for row in rows:
            if any(min(boxes[j].u1, b.u1) - max(boxes[j].u0, b.u0) >= SIDE_OVERLAP * min(boxes[j].width, b.width)
                   for j in row):
                continue
            near = boxes[min(row, key=lambda j: max(0.0, boxes[j].u0 - b.u1, b.u0 - boxes[j].u1))]
            overlap = min(near.v1, b.v1) - max(near.v0, b.v0)
            if overlap >= ROW_OVERLAP * min(near.thickness, b.thickness) and overlap > best_overlap:
                best, best_overlap = row, overlap
        if best is None:
            rows.append([i])
        else:
            best.append(i)
    rows = [sorted(r, key=lambda j: boxes[j].u0) for r in rows]
    return sorted(rows, key=lambda r: float(np.median([boxes[j].vc for j in r])))


def _gutter(idx: list[int], boxes: list[Box], thickness: float) -> float | None:
    """The u of an empty gutter between two columns of real width, or None."""
    lo, hi = min(boxes[i].u0 for i in idx), max(boxes[i].u1 for i in idx)
    span = hi - lo
    best, best_width = None, 0.0
    reach = lo
    for i in sorted(idx, key=lambda i: boxes[i].u0):
        b = boxes[i]
        gap = b.u0 - reach
        if gap >= MIN_GUTTER * thickness and gap > best_width:
            cut = reach + gap / 2
            left = [j for j in idx if boxes[j].u1 <= cut]
            right = [j for j in idx if boxes[j].u0 >= cut]
            if (len(left) >= MIN_COLUMN_BOXES and len(right) >= MIN_COLUMN_BOXES
                    and cut - lo >= MIN_COLUMN_SHARE * span and hi - cut >= MIN_COLUMN_SHARE * span):
                best, best_width = cut, gap
        reach = max(reach, b.u1)
    return best


@dataclass(frozen=True)
class Layout:
    angle: float  # the rows' direction, radians
    boxes: list  # each polygon measured along (u) and across (v) that direction
    rows: list  # indices of the boxes, grouped into written lines, in reading order

    def to_image(self, u: float, v: float) -> tuple[float, float]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return u * c - v * s, u * s + v * c


def layout(polys: Sequence[np.ndarray], texts: Sequence[str],
           is_label: Callable[[str], bool] = lambda t: False) -> Layout:
    polys = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polys]
    if not polys:
        return Layout(0.0, [], [])
    angle = skew(polys)
    boxes = measure(polys, angle)
    return Layout(angle, boxes, _reading_rows(boxes, texts, is_label))


def reading_rows(polys: Sequence[np.ndarray], texts: Sequence[str],
                 is_label: Callable[[str], bool] = lambda t: False) -> list[list[int]]:
    """Indices of the boxes grouped into written lines, in reading order."""
    return layout(polys, texts, is_label).rows


def _reading_rows(boxes: list[Box], texts: Sequence[str], is_label: Callable[[str], bool]) -> list[list[int]]:
    idx = list(range(len(boxes)))
    thickness = float(np.median([b.thickness for b in boxes]))
    lo, hi = min(b.u0 for b in boxes), max(b.u1 for b in boxes)
    # lines across most of the width above the text (a title, a printed header) are not
    # part of either column: look for the gutter below them
    wide = [i for i in idx if boxes[i].width > 0.6 * (hi - lo)]
    body_top = min((boxes[i].v0 for i in idx if i not in wide), default=0.0)
    head = [i for i in wide if boxes[i].v1 <= body_top + 0.5 * thickness]
    body = [i for i in idx if i not in head]
    cut = _gutter(body, boxes, thickness) if len(body) >= 2 * MIN_COLUMN_BOXES else None
    if cut is not None:
        left = [i for i in body if boxes[i].u1 <= cut]
        right = [i for i in body if boxes[i].u0 >= cut]
        labels = sum(is_label(texts[i]) for i in left)
        if labels < 0.5 * len(left):  # not a form's column of printed labels
            return _rows(head, boxes) + _rows(left, boxes) + _rows(right, boxes)
    return _rows(idx, boxes)
