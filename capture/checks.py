"""Checks at the upload door that need more than the first bytes: a file name safe to store and
send back in a header, an image that decodes to its last pixel, a recording whose length is
known and within the limit. Each refusal says why (IntakeError from capture.intake)."""
from __future__ import annotations

import io
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


def decode_image(data: bytes, max_bytes: Optional[int] = None) -> None:
    """Decode every pixel (a valid header over garbage fails here, not at recognition).
    Raises recognize.transcript.RecognitionError with the reason."""
    from recognize.handwriting.images import load_image

    load_image(data, max_image_bytes() if max_bytes is None else max_bytes).close()


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
