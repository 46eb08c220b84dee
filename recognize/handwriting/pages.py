"""Page cleanup before OCR, each step a switch so the benchmark can measure it.

Every step returns the new picture together with the 3x3 matrix that maps points of its
input onto its output; `Prepared.to_original` maps OCR polygons back onto the upright
original photo, so the review screen can draw them over what the user uploaded.

Steps (see `Cleanup`):
- `max_side`: downscale huge photos so the longer side is at most this many pixels.
- `min_side`: upscale small pictures (a tight crop of one line) so the shorter side is at
  least this many pixels, instead of refusing them.
- `find_page`: find the sheet in the photo (largest bright quadrilateral) and warp it flat.
- `deskew`: rotate by the angle that makes the rows of writing horizontal.
- `flatten_light`: divide out shadows and uneven light, stretch the contrast.
- `pad`: a border of the paper's own colour around the picture. The text detector finds
  nothing in a tight crop whose writing touches the edges; with a border it does.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np


@dataclass(frozen=True)
class Cleanup:
    max_side: int = 1600  # 0: keep the size
    find_page: bool = False
    deskew: bool = False
    flatten_light: bool = False
    min_side: int = 0  # 0: never upscale
    pad: bool = False

    def but(self, **changes) -> "Cleanup":
        return replace(self, **changes)


NO_CLEANUP = Cleanup(max_side=0)


@dataclass
class Prepared:
    image: np.ndarray  # BGR, what OCR reads
    matrix: np.ndarray = field(default_factory=lambda: np.eye(3))  # original -> image
    steps: list[str] = field(default_factory=list)

    def apply(self, image: np.ndarray, matrix: np.ndarray, step: str) -> None:
        self.image = image
        self.matrix = matrix @ self.matrix
        self.steps.append(step)

    def to_original(self, points) -> list[list[float]]:
        """Map points of the prepared image back onto the original photo."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        back = cv2.perspectiveTransform(pts, np.linalg.inv(self.matrix)).reshape(-1, 2)
        return [[round(float(x), 1), round(float(y), 1)] for x, y in back]


def rotation_matrix(quarter_turns: int, width: int, height: int) -> np.ndarray:
    """Matrix of np.rot90(img, -quarter_turns), i.e. clockwise turns, on pixel coordinates."""
    k = quarter_turns % 4
    if k == 0:
        return np.eye(3)
    if k == 1:  # clockwise: (x, y) -> (h - 1 - y, x)
        return np.array([[0, -1, height - 1], [1, 0, 0], [0, 0, 1]], float)
    if k == 2:
        return np.array([[-1, 0, width - 1], [0, -1, height - 1], [0, 0, 1]], float)
    return np.array([[0, 1, 0], [-1, 0, width - 1], [0, 0, 1]], float)


def rotate(prep: Prepared, quarter_turns: int) -> Prepared:
    """A copy of `prep` turned clockwise by quarter turns."""
    h, w = prep.image.shape[:2]
    out = Prepared(prep.image, prep.matrix.copy(), list(prep.steps))
    if quarter_turns % 4:
        img = np.ascontiguousarray(np.rot90(prep.image, -(quarter_turns % 4)))
        out.apply(img, rotation_matrix(quarter_turns, w, h), f"rotate{90 * (quarter_turns % 4)}")
    return out


def _downscale(img: np.ndarray, max_side: int):
    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return None
    out = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    sx, sy = out.shape[1] / w, out.shape[0] / h
    return out, np.diag([sx, sy, 1.0])


# Upscaling stops here: past it a few pixels become blur, not letters.
MAX_UPSCALE = 8.0


def _upscale(img: np.ndarray, min_side: int):
    h, w = img.shape[:2]
    scale = min(MAX_UPSCALE, min_side / min(h, w))
    if scale <= 1:
        return None
    out = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    return out, np.diag([out.shape[1] / w, out.shape[0] / h, 1.0])


def pad_width(img: np.ndarray) -> int:
    """24 pixels (what made tight crops readable), more for a taller strip: about a third
    of a line's height, up to 48."""
    return int(min(48, max(24, 0.3 * min(img.shape[:2]))))


def paper_colour(img: np.ndarray) -> tuple[int, ...]:
    """The median colour of the picture's outermost pixels: the paper around the writing."""
    ring = np.concatenate([img[:2].reshape(-1, 3), img[-2:].reshape(-1, 3),
                           img[:, :2].reshape(-1, 3), img[:, -2:].reshape(-1, 3)])
    return tuple(int(v) for v in np.median(ring, axis=0))


def _pad(img: np.ndarray):
    p = pad_width(img)
    out = cv2.copyMakeBorder(img, p, p, p, p, cv2.BORDER_CONSTANT, value=paper_colour(img))
    return out, np.array([[1, 0, p], [0, 1, p], [0, 0, 1]], float)


def _order_corners(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(1), np.diff(pts, axis=1).ravel()
    return np.float32([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]])


def find_page_quad(img: np.ndarray) -> np.ndarray | None:
    """Corners (tl, tr, br, bl) of the sheet of paper, or None when no clear sheet shows."""
    h, w = img.shape[:2]
    scale = 600 / max(h, w)
    small = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    # paper is the low-saturation region (a shadow darkens it but leaves it grey, where
    # brightness alone would cut the shaded part off); close the writing inside it
    sat = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[:, :, 1], (5, 5), 0)
    _, mask = cv2.threshold(sat, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    c = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(c)
    if area < 0.25 * small.shape[0] * small.shape[1] or area > 0.98 * small.shape[0] * small.shape[1]:
        return None
    quad = cv2.approxPolyDP(cv2.convexHull(c), 0.02 * cv2.arcLength(c, True), True)
    if len(quad) != 4:
        return None
    # a corner on the photo's edge means the sheet runs out of the picture: its outline
    # there is the frame, not the paper, and warping would cut writing off
    margin = 0.01 * max(small.shape[:2])
    xs, ys = quad[:, 0, 0], quad[:, 0, 1]
    if (xs.min() < margin or ys.min() < margin or xs.max() > small.shape[1] - 1 - margin
            or ys.max() > small.shape[0] - 1 - margin):
        return None
    return _order_corners(quad.reshape(4, 2).astype(np.float32) / scale)


def _warp_page(img: np.ndarray):
    quad = find_page_quad(img)
    if quad is None:
        return None
    tl, tr, br, bl = quad
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    dst = np.float32([(0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1)])
    m = cv2.getPerspectiveTransform(quad, dst)
    return cv2.warpPerspective(img, m, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE), m


def skew_angle(img: np.ndarray, limit: float = 8.0, step: float = 0.5) -> float:
    """Degrees to rotate (counter-clockwise positive, as cv2) so rows of ink run level.

    Projection profile: the angle at which the row sums of dark pixels are most peaked.
    """
    h, w = img.shape[:2]
    scale = 800 / max(h, w)
    gray = cv2.cvtColor(cv2.resize(img, (round(w * scale), round(h * scale))), cv2.COLOR_BGR2GRAY)
    ink = cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    center = (ink.shape[1] / 2, ink.shape[0] / 2)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-limit, limit + step / 2, step):
        m = cv2.getRotationMatrix2D(center, float(angle), 1.0)
        rows = cv2.warpAffine(ink, m, ink.shape[::-1], flags=cv2.INTER_NEAREST).sum(1).astype(np.float64)
        score = float(np.sum(np.diff(rows) ** 2))
        if score > best_score:
            best, best_score = float(angle), score
    return best


def _deskew(img: np.ndarray):
    angle = skew_angle(img)
    if abs(angle) < 0.25:
        return None
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, np.vstack([m, [0, 0, 1]])


def flatten_light(img: np.ndarray) -> np.ndarray:
    """Divide each channel by its estimated background (paper) and stretch the contrast."""
    h, w = img.shape[:2]
    k = max(15, (min(h, w) // 30) | 1)
    out = np.empty_like(img)
    for c in range(img.shape[2]):
        ch = img[:, :, c]
        background = cv2.medianBlur(cv2.dilate(ch, np.ones((7, 7), np.uint8)), k)
        out[:, :, c] = cv2.divide(ch, background, scale=255)
    return cv2.normalize(out, None, 0, 255, cv2.NORM_MINMAX)


def prepare(rgb: np.ndarray, cleanup: Cleanup = Cleanup()) -> Prepared:
    """Run the switched-on cleanup steps on an upright RGB page."""
    prep = Prepared(np.ascontiguousarray(rgb[:, :, ::-1]))
    if cleanup.max_side:
        done = _downscale(prep.image, cleanup.max_side)
        if done:
            prep.apply(*done, "downscale")
    if cleanup.min_side:
        done = _upscale(prep.image, cleanup.min_side)
        if done:
            prep.apply(*done, "upscale")
    if cleanup.find_page:
        done = _warp_page(prep.image)
        if done:
            prep.apply(*done, "find_page")
    if cleanup.deskew:
        done = _deskew(prep.image)
        if done:
            prep.apply(*done, "deskew")
    if cleanup.flatten_light:
        prep.apply(flatten_light(prep.image), np.eye(3), "flatten_light")
    if cleanup.pad:
        prep.apply(*_pad(prep.image), "pad")
    return prep


def content_box(prep: Prepared, width: int, height: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of the original picture inside the prepared one (without the pad)."""
    corners = np.float64([[0, 0], [width, 0], [width, height], [0, height]])
    pts = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), prep.matrix).reshape(-1, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
