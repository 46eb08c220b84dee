"""Decode any voice-memo upload to 16 kHz mono float32 with PyAV (ffmpeg inside its wheel).

Phones and browsers send wav, mp3, m4a/aac, amr, ogg/opus, webm/opus and flac; all go
through the same path, so no system ffmpeg is needed. Anything that cannot be decoded
raises ``RecognitionError`` with a message meant for the person who uploaded it
(Chinese first, English in parentheses).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from recognize.transcript import RecognitionError

SAMPLE_RATE = 16000


def _fmt_minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def too_long_error(seconds: float, max_seconds: float) -> RecognitionError:
    return RecognitionError(
        f"录音过长：{_fmt_minutes(seconds)} 分钟，超过上限 {_fmt_minutes(max_seconds)} 分钟，"
        f"请分段上传 (recording too long: {seconds:.0f} s, the limit is {max_seconds:.0f} s; "
        f"please upload it in parts)"
    )


def decode_audio(
    path: str | os.PathLike,
    *,
    sample_rate: int = SAMPLE_RATE,
    max_seconds: float | None = None,
) -> np.ndarray:
    """Decode the first audio stream of ``path`` to mono float32 at ``sample_rate``.

    Raises ``RecognitionError`` when the file is missing, empty, not audio, damaged, or
    (with ``max_seconds``) longer than allowed. A recording longer than the limit is
    refused from its container header when it has one, else as soon as decoding passes
    the limit, so an oversized upload never fills memory.
    """
    import av  # PyAV; imported here so importing this module stays cheap

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RecognitionError(f"找不到音频文件 (audio file not found): {path.name}") from exc
    if size == 0:
        raise RecognitionError("音频文件为空（0 字节） (the audio file is empty: 0 bytes)")

    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise RecognitionError(
            "无法解码音频：文件不是可识别的音频格式或已损坏 "
            f"(cannot decode audio: not a recognizable audio format, or damaged: {_why(exc)})"
        ) from exc

    with container:
        streams = [s for s in container.streams if s.type == "audio"]
        if not streams:
            raise RecognitionError(
                "无法解码音频：文件里没有音频轨 (cannot decode audio: the file has no audio track)"
            )
        stream = streams[0]
        stream.thread_type = "AUTO"
        if max_seconds is not None and container.duration:
            declared = container.duration / 1_000_000  # AV_TIME_BASE microseconds
            if declared > max_seconds + 1:
                raise too_long_error(declared, max_seconds)

        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        total = 0
        limit = None if max_seconds is None else int((max_seconds + 1) * sample_rate)
        damaged: Exception | None = None
        try:
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler work from sample counts
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if limit is not None and total > limit:
                    raise too_long_error(total / sample_rate, max_seconds)
            for out in resampler.resample(None):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += chunk.size
        except RecognitionError:
            raise
        except (av.FFmpegError, ValueError, MemoryError) as exc:
            damaged = exc

    if damaged is not None:
        raise RecognitionError(
            "无法解码音频：文件已损坏或不完整 "
            f"(cannot decode audio: the file is damaged or truncated: {_why(damaged)})"
        ) from damaged

    if total == 0:
        raise RecognitionError(
            "无法解码音频：文件里没有声音数据 (cannot decode audio: no audio data in the file)"
        )
    audio = np.concatenate(chunks).astype(np.float32, copy=False)
    if not np.isfinite(audio).all():
        audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(audio, -1.0, 1.0)


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
