"""Handwritten diary pages -> RecognizedText, offline: PP-OCRv6 small (`ppocr_v6`, the default)
or PaddleOCR PP-OCRv5 mobile (`paddle_v5`), chosen by `PageOptions.engine`
(MINXIN_HANDWRITING_ENGINE); each kept loaded between jobs.

Per page: decode and turn upright (`recognize.handwriting.images`), clean up (`recognize.handwriting.pages`: small
pictures upscaled, a border of paper colour all round), OCR, turn the page if it lies
sideways or upside down, then put the boxes in reading order (`recognize.handwriting.reading_order`:
skew from the boxes, rows along it, two columns, printed labels kept with their cells),
merge fragments of one written line and keep a lone label (时间：…) with what follows it.
A picture that is a strip of one to three lines (a tight crop) is read line by line by the
recognizer alone across its whole width. Polygons are given in pixels of the upright
original photo.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from recognize.handwriting import flags, images, paddle_v5, pages, ppocr_v6, reading_order
from recognize.options import PageOptions
from recognize.speech.text import full_width_punct, to_simplified  # shared Chinese text clean-up
from recognize.transcript import Piece, ProgressCallback, RecognitionError, RecognizedText, word

LABELS = ("时间", "地点", "受访对象", "反映问题", "解决思路", "心得体会")

# Production cleanup: what the benchmark (bench/ocr.py --cleanup-study) showed on the real,
# camera-captured lines and the rendered pages. Small pictures are upscaled (short side 64)
# and every picture gets a border of its paper colour: without one the detector found no
# box at all in tight line crops. Deskew (9.7% CER against 5.5% on the real lines, one
# line read as nothing) and light flattening (5.9%) hurt; finding the page changed nothing
# on them and cost characters on shaded rendered pages; downscaling is left to the
# detector's own input size (longest side 960). Those three stay off.
DEFAULT_CLEANUP = pages.Cleanup(max_side=0, min_side=64, pad=True)
# Lines read with less confidence than this are noise (ruling, smudges, bleed-through).
MIN_LINE_SCORE = 0.5
@dataclass
class Line:
    text: str
    score: float
    points: np.ndarray  # polygon in prepared-image coordinates, (n, 2); quads run tl, tr, br, bl
    # PP-OCRv6: each character's probability and quadrilateral (prepared-image coordinates);
    # None where the engine gives none (PaddleOCR v5)
    char_scores: Optional[list[float]] = None
    char_quads: Optional[list[np.ndarray]] = None
    char_margins: Optional[list[float]] = None  # best minus second-best class, per character

    def stripped(self) -> "Line":
        """The line less the whitespace at either end (with its characters' scores)."""
        lead = len(self.text) - len(self.text.lstrip())
        keep = len(self.text.strip())
        if lead == 0 and keep == len(self.text):
            return self
        cut = (lambda xs: xs[lead:lead + keep] if xs is not None else None)
        return Line(self.text.strip(), self.score, self.points, cut(self.char_scores), cut(self.char_quads),
                    cut(self.char_margins))

    @property
    def top(self) -> float:
        return float(self.points[:, 1].min())

    @property
    def bottom(self) -> float:
        return float(self.points[:, 1].max())

    @property
    def left(self) -> float:
        return float(self.points[:, 0].min())

    @property
    def right(self) -> float:
        return float(self.points[:, 0].max())

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        x, y = self.points.mean(axis=0)
        return float(x), float(y)

    @property
    def slope(self) -> float:
        """dy/dx of the written line (0 for a level one)."""
        if len(self.points) != 4:
            return 0.0
        tl, tr, br, bl = self.points
        dx = (tr[0] - tl[0] + br[0] - bl[0]) / 2
        return float((tr[1] - tl[1] + br[1] - bl[1]) / 2 / dx) if dx > 1 else 0.0

    @property
    def thickness(self) -> float:
        """Height of the writing across the line (not of its tilted bounding box)."""
        if len(self.points) != 4:
            return self.height
        tl, tr, br, bl = self.points
        return float((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2)

    def y_at(self, x: float) -> float:
        """Height of the line's middle at column x, following its slant."""
        cx, cy = self.center
        return cy + self.slope * (x - cx)


class PaddleV5:
    """PP-OCRv5 mobile through PaddleOCR (PaddleX's ONNX Runtime engine): line scores only."""

    engine = paddle_v5.ENGINE
    model = paddle_v5.MODEL

    def load(self, cache: Optional[Path] = None) -> None:
        paddle_v5.get_engine(cache)

    def read(self, crops: list[np.ndarray]) -> list[ppocr_v6.Reading]:
        """The recognizer alone on crops that each hold one written line (no detection): the
        engine's own recognition model, so nothing more is loaded."""
        if not crops:
            return []
        rec = paddle_v5.get_engine().paddlex_pipeline._pipeline.text_rec_model
        with paddle_v5.predict_lock:
            res = list(rec(crops))
        return [ppocr_v6.Reading(str(r["rec_text"]), float(r["rec_score"]), (), ()) for r in res]

    def lines(self, image: np.ndarray, orientation: bool = True) -> tuple[list[Line], list[int]]:
        engine = paddle_v5.get_engine()
        with paddle_v5.predict_lock:
            res = engine.predict(image, use_textline_orientation=orientation)[0]
        angles = list(res.get("textline_orientation_angles") or [])
        lines = [Line(t, float(s), np.asarray(p, dtype=np.float64).reshape(-1, 2))
                 for t, s, p in zip(res["rec_texts"], res["rec_scores"], res["rec_polys"])]
        return lines, angles


class OnnxV6:
    """PP-OCRv6 small from the rapidocr wheel, run here (recognize.handwriting.ppocr_v6): every
    character with its probability and its box."""

    engine = "onnxruntime"
    model = ppocr_v6.MODEL

    def load(self, cache: Optional[Path] = None) -> None:
        ppocr_v6.get_engine()

    def read(self, crops: list[np.ndarray]) -> list[ppocr_v6.Reading]:
        return ppocr_v6.get_engine().read(crops) if crops else []

    def lines(self, image: np.ndarray, orientation: bool = True) -> tuple[list[Line], list[int]]:
        eng = ppocr_v6.get_engine()
        quads = eng.detect(image)
        crops = [ppocr_v6.crop_quad(image, q) for q in quads]
        angles = eng.angles(crops) if orientation else []
        if 1 in angles:  # read a line judged upside down turned over, as PaddleOCR does
            crops = [np.ascontiguousarray(np.rot90(c, 2)) if a == 1 else c for c, a in zip(crops, angles)]
        out = []
        for k, (quad, r) in enumerate(zip(quads, eng.read(crops))):
            along = quad if not (angles and angles[k] == 1) else quad[[2, 3, 0, 1]]
            out.append(_line_from(r, quad, along))
        return out, angles


def _line_from(r: ppocr_v6.Reading, points: np.ndarray, quad: Optional[np.ndarray] = None) -> Line:
    """A Line from a reading of the crop `quad` (tl, tr, br, bl as read); `points`: its polygon."""
    quad = points if quad is None else quad
    if r.char_scores and len(r.char_scores) == len(r.text) and len(quad) == 4:
        margins = list(r.char_margins) if len(r.char_margins) == len(r.text) else list(r.char_scores)
        return Line(r.text, r.score, points, list(r.char_scores), ppocr_v6.char_quads(quad, r.char_spans), margins)
    return Line(r.text, r.score, points)


ENGINES = {"ppocr-v6": OnnxV6, "ppocr-v5": PaddleV5}
DEFAULT_OCR_ENGINE = "ppocr-v6"  # by measurement: bench/ocr.py (see README, Handwriting)
_ocrs: dict[str, object] = {}


def ocr_engine(name: str = "") -> "OnnxV6 | PaddleV5":
    name = name or DEFAULT_OCR_ENGINE
    if name not in ENGINES:
        raise RecognitionError(f"未知的手写识别引擎 {name}（可选：{', '.join(ENGINES)}）(unknown handwriting engine)")
    if name not in _ocrs:
        _ocrs[name] = ENGINES[name]()
    return _ocrs[name]


def _mostly_sideways(lines: list[Line]) -> bool:
    tall = [ln for ln in lines if ln.height > 1.5 * ln.width]
    wide = [ln for ln in lines if ln.width > 1.5 * ln.height]
    return len(tall) >= 2 and len(tall) > 2 * len(wide)


def _mostly_upside_down(lines: list[Line], angles: list[int]) -> bool:
    """Most text (by characters) sits in lines the orientation model reads as turned 180°."""
    if len(angles) != len(lines) or not lines:
        return False
    flipped = sum(len(ln.text) for ln, a in zip(lines, angles) if a == 1)
    return flipped > 0.5 * sum(len(ln.text) for ln in lines) and flipped >= 4


def _read_upright(ocr, prep: pages.Prepared) -> tuple[pages.Prepared, list[Line]]:
    """OCR the page, turning it a quarter or half turn first when it lies that way."""
    lines, angles = ocr.lines(prep.image)
    if _mostly_sideways(lines):
        prep = pages.rotate(prep, 1)
        lines, angles = ocr.lines(prep.image)
    if _mostly_upside_down(lines, angles):
        prep = pages.rotate(prep, 2)
        lines, angles = ocr.lines(prep.image)
    if 1 in angles:
        lines = _second_look_unturned(ocr, prep, lines, angles)
    return prep, lines


def _second_look_unturned(ocr, prep: pages.Prepared, lines: list[Line], angles: list[int]) -> list[Line]:
    """Read the lines the orientation model turned over once more as they lie.

    The page is upright by now, and a notebook page is written one way up, so a line
    judged upside down is more likely the classifier's mistake: on closely ruled pages it
    flips whole lines, which then read as nothing. Keep whichever reading is surer."""
    plain, _ = ocr.lines(prep.image, orientation=False)
    if len(plain) != len(lines):
        return lines
    out = []
    for ln, other, angle in zip(lines, plain, angles):
        same_box = ln.points.shape == other.points.shape and np.allclose(ln.points, other.points)
        out.append(other if angle == 1 and same_box and other.score > ln.score else ln)
    return out


def _is_label(text: str) -> bool:
    return text.rstrip("：:;； ") in LABELS


def _fix_label_colon(text: str) -> str:
    for label in LABELS:
        if text.startswith(label) and text[len(label):len(label) + 1] in (":", ";", "；"):
            return label + "：" + text[len(label) + 1:]
    return text


def _merge(group: list[Line]) -> Line:
    if len(group) == 1:
        return group[0]
    chars = sum(max(1, len(ln.text)) for ln in group)
    score = sum(ln.score * max(1, len(ln.text)) for ln in group) / chars
    per_char = all(ln.char_scores is not None for ln in group)
    return Line("".join(ln.text for ln in group), score, np.vstack([ln.points for ln in group]),
                [s for ln in group for s in ln.char_scores] if per_char else None,
                [q for ln in group for q in ln.char_quads] if per_char else None,
                [m for ln in group for m in ln.char_margins] if per_char else None)


def _looks_like_label(text: str) -> bool:
    """A printed or written field label: one of the diary's, or any short text ending in a
    colon (姓名：, 单位：)."""
    t = text.strip()
    return _is_label(t) or (t.endswith(("：", ":")) and len(t) <= 8)


def group_rows(lines: list[Line], image: Optional[np.ndarray] = None, ocr=None) -> list[Line]:
    """The written lines in reading order (recognize.handwriting.reading_order: the page's skew from
    the boxes, two columns, rows by overlap), each with its fragments joined left to right.
    Given the page, writing the detector missed between two fragments of a row is read too."""
    lay = reading_order.layout([ln.points for ln in lines], [ln.text for ln in lines], _looks_like_label)
    groups = [[lines[i] for i in row] for row in lay.rows]
    if image is not None and lay.rows:
        groups = _fill_gaps(ocr or ocr_engine(), image, lay, lines, groups)
    return [_merge(group) for group in groups]


# A gap between two fragments of a row narrower than this many line thicknesses, holding
# ink that is not a ruling (a form's cell border), is read by the recognizer alone: the
# detector misses thin characters (一, 二, 三) and ones a writer circled.
MAX_GAP = 6.0
MIN_GAP = 0.8
# What a lone vertical stroke in a gap reads as: PP-OCRv6 reads a form's cell border between
# a label and the writing as 1 where its rule test let it through (a tilted, blurred border).
VERTICAL_STROKES = frozenset("1lI|丨!")


def _gap_crop(image: np.ndarray, lay: reading_order.Layout, u0: float, u1: float, v0: float, v1: float):
    """The page between u0..u1 and v0..v1 of the layout's frame, cut out level."""
    c, s = math.cos(lay.angle), math.sin(lay.angle)
    m = np.array([[c, s, -u0], [-s, c, -v0]], dtype=np.float64)
    size = (max(1, int(round(u1 - u0))), max(1, int(round(v1 - v0))))
    return cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _holds_writing(crop: np.ndarray, thickness: float) -> bool:
    """Ink in the crop beyond rulings: long thin strokes across it (a cell border, a
    printed line) do not count."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    paper = float(np.percentile(gray, 90))
    ink = (gray < paper - 60).astype(np.uint8)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = ink.shape
    area = 0
    for x, y, cw, ch, a in stats[1:n]:
        if ch >= 0.8 * h and cw <= 0.2 * thickness:
            continue  # a vertical rule
        if cw >= 0.8 * w and ch <= 0.2 * thickness:
            continue  # a horizontal rule
        area += int(a)
    return area >= 0.04 * thickness * thickness


def _fill_gaps(ocr, image: np.ndarray, lay: reading_order.Layout, lines: list[Line],
               groups: list[list[Line]]) -> list[list[Line]]:
    thickness = float(np.median([b.thickness for b in lay.boxes]))
    todo = []  # (group index, position, crop, (u0, u1, v0, v1))
    for g, row in enumerate(lay.rows):
        for k in range(len(row) - 1):
            a, b = lay.boxes[row[k]], lay.boxes[row[k + 1]]
            gap = b.u0 - a.u1
            if not MIN_GAP * thickness <= gap <= MAX_GAP * thickness:
                continue
            v0, v1 = min(a.v0, b.v0), max(a.v1, b.v1)
            crop = _gap_crop(image, lay, a.u1, b.u0, v0, v1)
            if crop.shape[0] >= 4 and crop.shape[1] >= 4 and _holds_writing(crop, thickness):
                todo.append((g, k + 1, crop, (a.u1, b.u0, v0, v1)))
    found: dict[int, list[tuple[int, Line]]] = {}
    for (g, pos, _crop, (u0, u1, v0, v1)), r in zip(todo, ocr.read([t[2] for t in todo])):
        if r.text.strip() in VERTICAL_STROKES:
            continue  # a cell border between a printed label and its writing, not a character
        if any(ch.isalnum() for ch in r.text) and r.score >= MIN_LINE_SCORE:
            quad = np.array([lay.to_image(u, v) for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))])
            found.setdefault(g, []).append((pos, _line_from(r, quad).stripped()))
    out = []
    for g, group in enumerate(groups):
        group = list(group)
        for pos, ln in sorted(found.get(g, []), key=lambda t: -t[0]):  # from the right: positions hold
            group.insert(pos, ln)
        out.append(group)
    return out


def join_labels(rows: list[Line]) -> list[Line]:
    """A lone label (时间：) is kept with the line after it."""
    out: list[Line] = []
    for ln in rows:
        if out and _is_label(out[-1].text) and not _is_label(ln.text):
            out[-1] = _merge([out[-1], ln])
        else:
            out.append(ln)
    return out


def order_lines(lines: list[Line]) -> list[Line]:
    """Top to bottom; fragments on one written line joined left to right; a lone label
    joined with the line after it."""
    return join_labels(group_rows(lines))


# A picture holding at most this many written lines that fill its height is a strip (a
# tight crop of a line or a few, a torn-out strip): each line is read by the recognizer
# alone across the whole width. On 21 real camera-captured line crops that read 5.5% CER
# against 6.7% for the detector's boxes, which clip the first or last character.
MAX_STRIP_LINES = 3
# Rows fill the strip when its height is at most this many line thicknesses per row.
STRIP_FILL = 2.5
# A line-shaped picture (width at least this many times the height) whose boxes cover less
# than half its width is read as a strip too: the detector missed part of the writing.
LINE_SHAPED = 1.5
MIN_STRIP_SCORE = 0.3


def _box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def _ink_bands(gray: np.ndarray) -> list[tuple[int, int]]:
    """Rows of a strip holding ink (split by horizontal projection), or the whole height."""
    h, w = gray.shape
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if not 0.002 < ink.mean() < 0.4:  # blank, or no clear ink/paper split
        return [(0, h)]
    rows = ink.sum(axis=1) > max(2, 0.01 * w)
    runs, start = [], None
    for y, on in enumerate(list(rows) + [False]):
        if on and start is None:
            start = y
        elif not on and start is not None:
            runs.append([start, y])
            start = None
    if not runs:
        return [(0, h)]
    tallest = max(b - a for a, b in runs)
    merged = [runs[0]]
    for a, b in runs[1:]:  # a gap inside a line (between strokes) is short
        if a - merged[-1][1] < 0.25 * tallest:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    tallest = max(b - a for a, b in merged)
    bands = [(a, b) for a, b in merged if b - a >= 0.3 * tallest]
    if len(bands) > MAX_STRIP_LINES:
        return [(0, h)]
    margin = int(0.2 * tallest)
    return [(max(0, a - margin), min(h, b + margin)) for a, b in bands]


def _read_strip(ocr, image: np.ndarray, box: tuple[float, float, float, float], rows: list[Line]) -> Optional[list[Line]]:
    """The lines of `image` read as a strip, or None when it is not one (a page)."""
    x0, y0, x1, y1 = box
    cw, ch = x1 - x0, y1 - y0
    n = len(rows)
    if n > MAX_STRIP_LINES or cw < 1 or ch < 1:
        return None
    if n:
        thick = float(np.median([r.thickness for r in rows]))
        covered = sum(min(r.right, x1) - max(r.left, x0) for r in rows) / (n * cw)
        fills = ch <= STRIP_FILL * n * thick
        if not (fills or (cw >= LINE_SHAPED * ch and covered < 0.5)):
            return None
        bands = []
        for i, r in enumerate(rows):
            top = max(y0, r.top - 0.3 * thick)
            bottom = min(y1, r.bottom + 0.3 * thick)
            if i:  # never into the line above or below
                top = max(top, (rows[i - 1].bottom + r.top) / 2)
            if i + 1 < n:
                bottom = min(bottom, (r.bottom + rows[i + 1].top) / 2)
            bands.append((top, bottom))
    else:
        if cw < LINE_SHAPED * ch:
            return None
        ix0, iy0 = int(x0), int(y0)
        gray = cv2.cvtColor(image[iy0:int(y1), ix0:int(x1)], cv2.COLOR_BGR2GRAY)
        bands = [(iy0 + a, iy0 + b) for a, b in _ink_bands(gray)]
    crops, kept = [], []
    for top, bottom in bands:
        crop = image[int(top):int(np.ceil(bottom)), int(x0):int(np.ceil(x1))]
        if crop.shape[0] >= 4 and crop.shape[1] >= 4:
            crops.append(np.ascontiguousarray(crop))
            kept.append((top, bottom))
    out, unsure = [], []
    for i, (r, (top, bottom)) in enumerate(zip(ocr.read(crops), kept)):
        line = _line_from(r, _box(x0, top, x1, bottom))
        if any(ch.isalnum() for ch in r.text) and r.score >= MIN_STRIP_SCORE:
            out.append(line)
        elif n:  # the recognizer made nothing of the band: keep what the boxes read
            out.append(rows[i])
        elif any(ch.isalnum() for ch in r.text):
            unsure.append(line)
    if not out and unsure:
        # a strip with ink never comes back empty: its surest reading, with its low
        # confidence, is for the reviewer to judge
        out.append(max(unsure, key=lambda ln: ln.score))
    return out


def _hull(points: list[list[float]]) -> list[list[float]]:
    import cv2

    pts = np.asarray(points, dtype=np.float32)
    if len(pts) <= 4:
        return [[float(x), float(y)] for x, y in pts]
    hull = cv2.convexHull(pts).reshape(-1, 2)
    return [[round(float(x), 1), round(float(y), 1)] for x, y in hull]


def _carry(before: str, after: str, items: list) -> list:
    """Per-character `items` of `before` carried over to `after` (a clean-up that kept most
    characters in place: t2s, label colons, full-width punctuation); a changed stretch takes
    the first item of what it replaced."""
    if len(before) == len(after):
        return list(items)
    import difflib

    out: list = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(items[a0:a1])
        elif b1 > b0:
            src = items[a0:a1] or items[max(0, a0 - 1):a0] or items[:1]
            out.extend(src[min(k, len(src) - 1)] for k in range(b1 - b0))
    return out


def _char_words(ln: Line, text: str, prep: pages.Prepared, w: int, h: int) -> Optional[list[dict]]:
    """Piece.words of a line: one entry per character with its calibrated confidence
    ("probability") and the recognizer's own ("recognizer"); an unsure one is flagged and
    carries its box on the photo (recognize.handwriting.flags)."""
    if ln.char_scores is None or len(ln.char_scores) != len(ln.text):
        return None
    pairs = _carry(ln.text, text, list(zip(ln.char_scores, ln.char_quads, ln.char_margins or ln.char_scores)))
    keep = [k for k, ch in enumerate(text) if not ch.isspace()]
    model = flags.load()
    conf = flags.confidences("".join(text[k] for k in keep), [pairs[k][0] for k in keep], ln.score, model,
                             [pairs[k][2] for k in keep])
    words = []
    for k, c in zip(keep, conf):
        flagged = c < model.flag_below
        extra = {"recognizer": round(pairs[k][0], 4), "margin": round(pairs[k][2], 4)}
        if flagged:
            extra["polygon"] = [[min(max(x, 0.0), w - 1.0), min(max(y, 0.0), h - 1.0)]
                                for x, y in prep.to_original(pairs[k][1])]
        words.append(word(text[k], None, None, round(c, 4), flagged, k, k + 1, **extra))
    return words


def read_page(rgb: np.ndarray, page: int = 0, cleanup: pages.Cleanup = DEFAULT_CLEANUP, ocr=None) -> list[Piece]:
    """The lines of one upright RGB page, as pieces with polygons on that page."""
    ocr = ocr or ocr_engine()
    h, w = rgb.shape[:2]
    prep, lines = _read_upright(ocr, pages.prepare(rgb, cleanup))
    pieces = []
    # a "line" of punctuation alone is a stray mark (a dash of ink, a ruling fleck)
    kept = [ln for ln in lines if any(ch.isalnum() for ch in ln.text) and ln.score >= MIN_LINE_SCORE]
    rows = group_rows(kept, prep.image, ocr)
    strip = _read_strip(ocr, prep.image, pages.content_box(prep, w, h), rows)
    for ln in join_labels(strip if strip is not None else rows):
        ln = ln.stripped()
        text = full_width_punct(_fix_label_colon(to_simplified(ln.text)))
        polygon = [[min(max(x, 0.0), w - 1.0), min(max(y, 0.0), h - 1.0)]
                   for x, y in prep.to_original(ln.points)]
        pieces.append(Piece(text=text, confidence=round(ln.score, 4), page=page,
                            polygon=_hull(polygon), words=_char_words(ln, text, prep, w, h)))
    return pieces


def read_pages_with(
    paths: Sequence[str | Path],
    cleanup: pages.Cleanup = DEFAULT_CLEANUP,
    *,
    progress: Optional[ProgressCallback] = None,
    options: Optional[PageOptions] = None,
) -> RecognizedText:
    """`read_pages` with a chosen cleanup (the benchmark compares them)."""
    if not paths:
        raise RecognitionError("没有可识别的图片 (no page images)")
    options = options or PageOptions()
    limit = options.max_image_bytes
    started = time.perf_counter()
    for path in paths:  # a bad page fails the capture before any OCR time is spent
        images.check_image(images.read_file(path, max_bytes=limit), max_bytes=limit)
    ocr = ocr_engine(options.engine)
    ocr.load(options.model_cache)  # loaded once per process
    pieces: list[Piece] = []
    sizes: list[tuple[int, int]] = []
    for i, path in enumerate(paths):  # decoded one at a time: a capture may hold many photos
        rgb = np.asarray(images.load_image(path, max_bytes=limit))
        sizes.append((int(rgb.shape[1]), int(rgb.shape[0])))
        pieces.extend(read_page(rgb, i, cleanup, ocr))
        if progress:
            progress((i + 1) / len(paths))
    return RecognizedText.join(
        pieces, "\n", language="zh", engine=ocr.engine, model=ocr.model,
        seconds=round(time.perf_counter() - started, 3), page_sizes=sizes,
    )


def read_pages(paths: Sequence[str | Path], *, progress: Optional[ProgressCallback] = None,
               options: Optional[PageOptions] = None) -> RecognizedText:
    """OCR the photos of one capture, in order, into one RecognizedText (`options`: the model cache
    and the largest photo accepted, recognize.options.PageOptions)."""
    return read_pages_with(paths, DEFAULT_CLEANUP, progress=progress, options=options)
