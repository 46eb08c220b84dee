"""Checks at the upload door that need more than the first bytes: a file name safe to store and
send back in a header, an image that decodes to its last pixel, a recording whose length is
known and within the limit. Each refusal says why (IntakeError from capture.intake)."""
from __future__ import annotations

import io
import threading
import unicodedata
from typing import Optional

from core.settings import default

UNNAMED = "未命名"
DEFAULT_MAX_AUDIO_SECONDS = 30 * 60
# Control, format (bidi overrides, zero-width) and line/paragraph separators: nothing a person
# typed on purpose, and NUL/CR/LF break the download's Content-Disposition under gunicorn.
_DROP = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def clean_name(name: Optional[str]) -> str:
    """The file name as stored: the last path part, no control characters, at most 255."""
    text = "".join(ch for ch in (name or "") if unicodedata.category(ch) not in _DROP)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = " ".join(text.split())
    if text in ("", ".", ".."):
        return UNNAMED
    return text[:255]


# Full decodes at intake in one process at once: each holds up to a 50-megapixel picture.
DECODES_AT_ONCE = 2
_decoding = threading.BoundedSemaphore(DECODES_AT_ONCE)
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def decode_image(data: bytes, max_bytes: Optional[int] = None) -> None:
    """Every pixel's data is read (a valid header over garbage fails here, not at recognition),
    in memory bounded by the file, not by the size the header claims: a PNG's compressed rows
    are inflated piece by piece and counted, a JPEG is decoded at 1/8 scale (draft mode), other
    formats decoded in their own mode. At most DECODES_AT_ONCE at a time per process. The
    header (type, pixel and byte limits) was checked before this (recognize.handwriting.images.check_image).
    Raises recognize.transcript.RecognitionError with the reason."""
    from recognize.transcript import RecognitionError

    with _decoding:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            problem = _png_rows_problem(data)
            if problem:
                raise RecognitionError(f"无法解码图片：PNG 数据已损坏 (cannot decode image: {problem})")
            return
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.format in ("JPEG", "MPO"):
                    img.draft(img.mode, (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
        except Exception as exc:  # Pillow raises many kinds for damaged data
            raise RecognitionError(f"无法解码图片：文件已损坏或不完整 (cannot decode image: {exc})") from None


def _png_rows_problem(data: bytes) -> Optional[str]:
    """Why the PNG's pixel data is not whole (CRCs, the inflated length the header implies),
    or None. Reads 1 MiB of inflated rows at a time."""
    import struct
    import zlib

    pos, inflate, inflated, expected, done = 8, zlib.decompressobj(), 0, None, False
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4 or zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            return f"chunk {kind!r} cut off or damaged"
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _c, _f, interlace = struct.unpack(">IIBBBBB", body[:13])
            bits = _PNG_CHANNELS.get(color, 0) * depth
            if not bits:
                return "unknown colour type"
            passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
            expected = 0
            for x0, y0, dx, dy in passes:
                w, h = -(-(width - x0) // dx) if width > x0 else 0, -(-(height - y0) // dy) if height > y0 else 0
                if w and h:
                    expected += h * (1 + -(-(w * bits) // 8))
        elif kind == b"IDAT":
            if expected is None:
                return "IDAT before IHDR"
            try:
                piece = inflate.decompress(body, 1 << 20)
                while True:
                    inflated += len(piece)
                    if inflated > expected:
                        return "more pixel data than the header says"
                    if not inflate.unconsumed_tail:
                        break
                    piece = inflate.decompress(inflate.unconsumed_tail, 1 << 20)
            except zlib.error as exc:
                return str(exc)
        elif kind == b"IEND":
            done = True
            break
    if expected is None or not done:
        return "no IHDR or IEND"
    try:
        inflated += len(inflate.flush())
    except zlib.error as exc:
        return str(exc)
    if not inflate.eof or inflated != expected:
        return f"pixel data {inflated} bytes, the header says {expected}"
    return None


def audio_seconds(data: bytes, give_up_after: float) -> float:
    """The recording's length: from the container when it says, else by decoding (stopping
    once past `give_up_after`). Raises ValueError when no length can be found."""
    import av

    with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        if container.duration and container.duration > 0:
            return container.duration / 1_000_000
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        total = 0.0
        for frame in container.decode(stream):
            total += frame.samples / float(frame.sample_rate or 1)
            if total > give_up_after:
                break
        if total <= 0:
            raise ValueError("no audio samples")
        return total


def max_image_bytes() -> int:
    """MAX_IMAGE_BYTES of the running app (jobs.operations holds its settings), else the default."""
    try:
        from jobs.operations import settings

        return int(settings().get("MAX_IMAGE_BYTES") or default("MAX_IMAGE_BYTES"))
    except RuntimeError:  # not configured (a script using intake on its own)
        return int(default("MAX_IMAGE_BYTES"))


def max_audio_seconds() -> float:
    """MAX_AUDIO_SECONDS of the running app (jobs.operations holds its settings), else the default."""
    try:
        from jobs.operations import settings

        return float(settings().get("MAX_AUDIO_SECONDS") or DEFAULT_MAX_AUDIO_SECONDS)
    except RuntimeError:  # not configured (a script using intake on its own)
        return float(DEFAULT_MAX_AUDIO_SECONDS)
