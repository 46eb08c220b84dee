"""PP-OCRv6 small (detection + recognition) as ONNX, run by the project's own onnxruntime code.

The models come inside the `rapidocr` wheel (3.10.0: `rapidocr/models/PP-OCRv6_det_small.onnx`,
`PP-OCRv6_rec_small.onnx`, and the v2 angle classifier); the recognizer's character list is in
its ONNX metadata (key `character`). Nothing is downloaded: only the files are read, rapidocr's
own pipeline is not used (its default settings read nothing on tight crops), except its DB
post-processing (boxes from the detector's probability map), which is plain numpy/OpenCV.

The recognizer is decoded here (CTC, greedy) so that every character keeps its probability
and its place along the line: the flags on the review screen and the boxes of unsure
characters on the photo come from them.
"""
from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from recognize.transcript import ModelMissing

DET_FILE = "PP-OCRv6_det_small.onnx"
REC_FILE = "PP-OCRv6_rec_small.onnx"
CLS_FILE = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
MODEL = "PP-OCRv6_small"

# Detection: the longest side scaled to 960 (rapidocr's default, the shortest side raised to
# 736, read nothing on tight line crops and took up to 15 s); DB thresholds are the model's.
DET_LIMIT = 960
DET_THRESH = 0.3
DET_BOX_THRESH = 0.5
DET_UNCLIP = 2.0  # as for v5: 1.5-1.6 cut the comma or full stop that ends a line
REC_HEIGHT = 48
REC_MIN_WIDTH = 320
REC_BATCH = 8
CLS_SHAPE = (48, 192)


@dataclass(frozen=True)
class Reading:
    """The recognizer's reading of one line crop."""

    text: str
    score: float  # mean of the characters' probabilities (PaddleOCR's line score)
    char_scores: tuple[float, ...]  # one per character of `text`
    # each character's extent along the crop, as fractions 0..1 of its width
    char_spans: tuple[tuple[float, float], ...]
    # per character, the gap between the recognizer's best and second-best class (mean over its
    # frames): a character it hesitated over has a small one even when its own probability is high
    char_margins: tuple[float, ...] = ()


def wheel_dir() -> Path:
    try:
        spec = importlib.util.find_spec("rapidocr")
    except (ImportError, ValueError):  # a broken or blocked install
        spec = None
    if spec is None or not spec.origin:
        raise ModelMissing("手写识别模型未安装：缺少 rapidocr 包（PP-OCRv6），请运行 `pip install rapidocr==3.10.0`"
                           "（或 make setup），然后运行 `minxin requeue` "
                           "(PP-OCRv6 models missing: install rapidocr, then run `minxin requeue`)")
    return Path(spec.origin).parent / "models"


def _session(path: Path, threads: int):
    import onnxruntime as ort

    if not path.is_file() or path.stat().st_size < 1024:
        raise ModelMissing(f"手写识别模型文件缺失或已损坏：{path}，请重新安装 rapidocr "
                           f"（`pip install --force-reinstall rapidocr==3.10.0`），然后运行 `minxin requeue` "
                           f"(handwriting model file missing or truncated: reinstall rapidocr)")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelMissing(f"手写识别模型无法加载（模型文件可能已损坏）：{path}: {exc} "
                           f"(handwriting model could not be loaded)") from exc


def _normalise(img: np.ndarray) -> np.ndarray:
    """BGR uint8 -> CHW float32 in [-1, 1] (mean 0.5, std 0.5, as both v6 models were trained)."""
    return ((img.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)


class Engine:
    """The three sessions, loaded once per process; calls from worker threads take turns."""

    def __init__(self, folder: Optional[Path] = None, threads: int = 0):
        folder = folder or wheel_dir()
        threads = threads or min(8, max(1, (__import__("os").cpu_count() or 1)))
        self.det = _session(folder / DET_FILE, threads)
        self.rec = _session(folder / REC_FILE, threads)
        self.cls = _session(folder / CLS_FILE, threads)
        meta = self.rec.get_modelmeta().custom_metadata_map
        chars = meta.get("character", "").split("\n")
        if len(chars) < 1000:
            raise ModelMissing(f"手写识别模型缺少字符表 ({REC_FILE}: no character list in its metadata)")
        # CTC: index 0 is the blank; the model's last class is a space
        self.characters = ["", *chars, " "]
        self.lock = threading.Lock()
        from rapidocr.ch_ppocr_det.utils import DBPostProcess

        self.db = DBPostProcess(thresh=DET_THRESH, box_thresh=DET_BOX_THRESH, max_candidates=1000,
                                unclip_ratio=DET_UNCLIP, use_dilation=True, score_mode="fast")

    # --- detection
    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Quadrilaterals (tl, tr, br, bl) of the text lines in a BGR image, in its pixels."""
        h, w = image.shape[:2]
        ratio = min(1.0, DET_LIMIT / max(h, w))
        rh = max(32, int(round(h * ratio / 32) * 32))
        rw = max(32, int(round(w * ratio / 32) * 32))
        x = _normalise(cv2.resize(image, (rw, rh)))[None]
        with self.lock:
            pred = self.det.run(None, {self.det.get_inputs()[0].name: x})[0]
        boxes, _scores = self.db(pred, (h, w))
        return [np.asarray(b, dtype=np.float64).reshape(4, 2) for b in boxes]

    # --- recognition
    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """The recognizer alone on crops that each hold one line (BGR), widest last in a batch."""
        out: list[Optional[Reading]] = [None] * len(crops)
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(1, crops[i].shape[0]))
        for b in range(0, len(order), REC_BATCH):
            idx = order[b:b + REC_BATCH]
            widths = [max(1, int(math.ceil(REC_HEIGHT * crops[i].shape[1] / max(1, crops[i].shape[0]))))
                      for i in idx]
            full = max(REC_MIN_WIDTH, max(widths))
            batch = np.zeros((len(idx), 3, REC_HEIGHT, full), dtype=np.float32)
            for k, (i, cw) in enumerate(zip(idx, widths)):
                batch[k, :, :, :cw] = _normalise(cv2.resize(crops[i], (cw, REC_HEIGHT)))
            with self.lock:
                probs = self.rec.run(None, {self.rec.get_inputs()[0].name: batch})[0]
            for k, (i, cw) in enumerate(zip(idx, widths)):
                out[i] = self._decode(probs[k], cw / full)
        return [r for r in out if r is not None]

    def _decode(self, probs: np.ndarray, used: float) -> Reading:
        """Greedy CTC: a character per run of one class that is not the blank, its probability
        the mean of the run's frames. `used`: the share of the frames that cover the crop (the
        rest is padding), to place the characters along the crop."""
        best = probs.argmax(axis=1)
        conf = probs.max(axis=1)
        second = np.partition(probs, -2, axis=1)[:, -2]
        n = len(best)
        text, scores, spans, margins = [], [], [], []
        t = 0
        while t < n:
            c = int(best[t])
            e = t
            while e + 1 < n and best[e + 1] == c:
                e += 1
            if c != 0:
                text.append(self.characters[c] if c < len(self.characters) else "")
                scores.append(float(conf[t:e + 1].mean()))
                margins.append(float((conf[t:e + 1] - second[t:e + 1]).mean()))
                spans.append((t, e + 1))
            t = e + 1
        frames = max(1.0, n * used)
        # a character's extent: halfway to its neighbours' frames
        bounds = []
        for k, (s, e) in enumerate(spans):
            lo = 0.0 if k == 0 else (spans[k - 1][1] + s) / 2
            hi = frames if k == len(spans) - 1 else (e + spans[k + 1][0]) / 2
            bounds.append((min(1.0, lo / frames), min(1.0, hi / frames)))
        score = float(np.mean(scores)) if scores else 0.0
        return Reading("".join(text), score, tuple(scores), tuple(bounds), tuple(margins))

    # --- orientation (the v2 angle classifier): 1 where a line reads upside down
    def angles(self, crops: Sequence[np.ndarray]) -> list[int]:
        if not crops:
            return []
        h, w = CLS_SHAPE
        batch = np.zeros((len(crops), 3, h, w), dtype=np.float32)
        for k, crop in enumerate(crops):
            cw = min(w, max(1, int(math.ceil(h * crop.shape[1] / max(1, crop.shape[0])))))
            batch[k, :, :, :cw] = _normalise(cv2.resize(crop, (cw, h)))
        with self.lock:
            probs = self.cls.run(None, {self.cls.get_inputs()[0].name: batch})[0]
        return [int(p.argmax() == 1 and p[1] > 0.9) for p in probs]


def crop_quad(image: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The line inside a quadrilateral, warped level (PaddleOCR's get_rotate_crop_image)."""
    q = quad.astype(np.float32)
    w = int(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3])))
    h = int(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2])))
    w, h = max(w, 1), max(h, 1)
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(q, dst)
    crop = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if h / w >= 1.5:  # written top to bottom, or a box standing on end
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


def char_quads(quad: np.ndarray, spans: Sequence[tuple[float, float]]) -> list[np.ndarray]:
    """Each character's quadrilateral inside a line's (tl, tr, br, bl), from its extent along it."""
    tl, tr, br, bl = np.asarray(quad, dtype=np.float64)
    out = []
    for a, b in spans:
        out.append(np.array([tl + (tr - tl) * a, tl + (tr - tl) * b, bl + (br - bl) * b, bl + (br - bl) * a]))
    return out


_engine: Optional[Engine] = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine
