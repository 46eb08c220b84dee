"""Decoding and validating page photos: JPEG, PNG, WebP, HEIC/HEIF.

Everything that can go wrong with an uploaded picture ends here as a RecognitionError with a
message for the user (Chinese first), never as a crash of the worker:

- `check_image(data)` is the cheap check for intake, before the original is stored: it reads
  only the header (type, size), plus the end marker of a JPEG, and returns the media type.
- `load_image(path)` decodes fully, applies the EXIF orientation and gives the upright RGB
  picture that recognition works on; the original file is never modified.

Pillow's decompression-bomb limit is set explicitly here (`MAX_IMAGE_PIXELS`), and anything
above it is refused, not just warned about. Files over `max_bytes` are refused too (the
caller's limit: MAX_IMAGE_BYTES of the settings, MINXIN_MAX_IMAGE_BYTES; 30 MiB by default).
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from recognize.options import PageOptions
from recognize.transcript import RecognitionError

try:  # HEIC/HEIF from iPhones
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF = False

# 50 megapixels: more than any phone camera (48 MP sensors bin to 12 MP by default).
MAX_IMAGE_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# Smallest sides a picture may have: a written character needs some 8 pixels of height to
# be told apart at all, and a line of text some 16 of length. Anything larger is read (a
# tight crop of one line is often under 32 pixels high; recognition upscales it).
MIN_SIDE = 8
MIN_LONG_SIDE = 16
DEFAULT_MAX_BYTES = PageOptions.max_image_bytes

MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",  # phones write multi-picture JPEGs; the first frame is the photo
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}

# Pillow raises these for malformed data; none of them may escape as a crash.
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
                  MemoryError, Image.DecompressionBombError)


def _sniff(data: bytes) -> str | None:
    """Media type from the first bytes, independent of the file name."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis",
                                                  b"hevm", b"hevs", b"mif1", b"msf1", b"avif"):
        return "image/heic"
    return None


def _describe(data: bytes) -> str:
    if data[:5] == b"%PDF-":
        return "PDF 文件，不是图片 (a PDF, not an image)"
    if not data:
        return "空文件 (empty file)"
    return "不支持的图片格式，请上传 JPEG、PNG、WebP 或 HEIC (unsupported image format)"


def _open(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Image.Image, str]:
    """Open the header, checking type and size; nothing is decoded yet."""
    if len(data) > max_bytes:
        raise RecognitionError(
            f"图片文件过大：{len(data) // (1024 * 1024)} MB，上限 {max_bytes // (1024 * 1024)} MB "
            "(image file too large)"
        )
    media = _sniff(data)
    if media is None:
        raise RecognitionError(f"无法识别图片：{_describe(data)}")
    if media == "image/heic" and not HEIF:  # pragma: no cover
        raise RecognitionError("无法识别图片：未安装 HEIC 解码器 (HEIC decoder missing)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RecognitionError(
            f"图片像素过多，疑似解压炸弹，已拒绝（上限 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素）"
            "(image has too many pixels: refused as a decompression bomb)"
        ) from None
    except _DECODE_ERRORS as exc:
        raise RecognitionError(f"无法解码图片：文件已损坏或不是图片 (cannot decode image: {exc})") from None
    if img.format not in MEDIA_TYPES:
        raise RecognitionError(f"无法识别图片：{_describe(data)}")
    if width * height > MAX_IMAGE_PIXELS:
        raise RecognitionError(
            f"图片像素过多（{width}×{height}），疑似解压炸弹，已拒绝 "
            "(image has too many pixels: refused as a decompression bomb)"
        )
    if min(width, height) < MIN_SIDE or max(width, height) < MIN_LONG_SIDE:
        raise RecognitionError(
            f"图片太小（{width}×{height}），至少需要 {MIN_SIDE}×{MIN_LONG_SIDE} 像素才能辨认文字 "
            f"(image too small to read: under {MIN_SIDE}×{MIN_LONG_SIDE} pixels)")
    return img, MEDIA_TYPES[img.format]


def check_image(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Cheap validation for intake: the media type, or RecognitionError.

    Reads the header only (format, dimensions, pixel limit, size limit); a JPEG must also
    end with its end-of-image marker, which catches uploads cut off in transit.
    """
    img, media = _open(data, max_bytes)
    if media == "image/jpeg" and b"\xff\xd9" not in data[-1024:]:
        raise RecognitionError("无法解码图片：JPEG 文件不完整，可能上传中断 (truncated JPEG)")
    # A PNG ends with its IEND chunk (trailing bytes, e.g. an appended archive, are tolerated).
    if media == "image/png" and b"IEND\xaeB`\x82" not in data:
        raise RecognitionError("无法解码图片：PNG 文件不完整，可能上传中断 (truncated PNG)")
    img.close()
    return media


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of an image file, refusing files over the size limit before reading them."""
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise RecognitionError(f"图片文件过大：{size // (1024 * 1024)} MB (image file too large)")
        return Path(path).read_bytes()
    except OSError as exc:
        raise RecognitionError(f"无法读取图片文件 (cannot read image file: {exc.strerror})") from None


def load_image(source: str | Path | bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Image.Image:
    """Decode fully into an upright RGB picture (EXIF orientation applied).

    The original file is not touched; the returned image is a new, normalized copy.
    """
    data = read_file(source, max_bytes) if isinstance(source, (str, Path)) else source
    img, _media = _open(data, max_bytes)
    try:
        img.load()
        upright = ImageOps.exif_transpose(img)
        if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
            # screenshots and scans with transparency: ink on white, not on black
            rgba = upright.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB")
        return upright.convert("RGB")
    except _DECODE_ERRORS as exc:
        raise RecognitionError(f"无法解码图片：文件已损坏或不完整 (cannot decode image: {exc})") from None
