"""Decoding voice-memo uploads: every phone/browser format, made from a real clip with PyAV."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from recognize.speech.audio import SAMPLE_RATE, decode_audio
from recognize.transcript import RecognitionError


def shared_dir() -> Path:
    env = os.environ.get("MINXIN_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


CLIP = shared_dir() / "eval" / "audio" / "BAC009S0764W0121.wav"
needs_clip = pytest.mark.skipif(
    not CLIP.is_file(), reason=f"real eval clip not found at {CLIP} (set MINXIN_SHARED_DIR)"
)


def encode(audio: np.ndarray, path: Path, fmt: str, codec: str, rate: int, bit_rate=None):
    """Encode 16 kHz mono float32 ``audio`` into ``path`` with PyAV."""
    import av

    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = "mono"
        if bit_rate:
            stream.bit_rate = bit_rate
        cc = stream.codec_context
        resampler = av.AudioResampler(
            format=cc.format.name, layout="mono", rate=rate, frame_size=cc.frame_size or None
        )
        frame = av.AudioFrame.from_ndarray(
            audio.reshape(1, -1).astype(np.float32), format="flt", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        for f in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


# (extension, container, encoder, sample rate, bit rate): what phones and browsers send.
FORMATS = [
    ("wav", "wav", "pcm_s16le", 16000, None),
    ("mp3", "mp3", "libmp3lame", 22050, None),
    ("m4a", "ipod", "aac", 44100, None),  # iPhone / Android voice memo
    ("aac", "adts", "aac", 16000, None),
    ("amr", "amr", "libopencore_amrnb", 8000, 12200),  # Android AMR-NB
    ("3gp", "3gp", "libopencore_amrnb", 8000, 12200),
    ("ogg", "ogg", "libopus", 48000, None),  # browser MediaRecorder (Firefox)
    ("webm", "webm", "libopus", 48000, None),  # browser MediaRecorder (Chrome)
    ("flac", "flac", "flac", 16000, None),
]


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    if not CLIP.is_file():
        pytest.skip(f"real eval clip not found at {CLIP} (set MINXIN_SHARED_DIR)")
    return decode_audio(CLIP)


@needs_clip
def test_reference_clip_decodes_to_16k_mono_float32(clip):
    assert clip.dtype == np.float32 and clip.ndim == 1
    # 134,570-byte 16-bit mono 16 kHz wav with a 44-byte header.
    assert len(clip) == (134570 - 44) // 2
    assert 0.05 < float(np.abs(clip).max()) <= 1.0


@needs_clip
@pytest.mark.parametrize("ext,fmt,codec,rate,bit_rate", FORMATS, ids=[f[0] for f in FORMATS])
def test_each_upload_format_decodes_with_the_right_duration(
    clip, tmp_path, ext, fmt, codec, rate, bit_rate
):
    path = tmp_path / f"memo.{ext}"
    encode(clip, path, fmt, codec, rate, bit_rate)
    assert path.stat().st_size > 1000
    audio = decode_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    expected = len(clip) / SAMPLE_RATE
    # Lossy codecs add encoder delay/padding (AAC ~0.05-0.09 s): allow 0.15 s.
    assert abs(len(audio) / SAMPLE_RATE - expected) < 0.15, (ext, len(audio) / SAMPLE_RATE)
    # The speech is still there: the loudness envelope follows the original (lossy
    # encoders shift it by their delay, so take the best lag within +-0.2 s).
    assert envelope_similarity(audio, clip) > 0.9, ext


def envelope_similarity(a: np.ndarray, b: np.ndarray, block: int = 320) -> float:
    def env(x):
        x = np.abs(x[: len(x) // block * block])
        return x.reshape(-1, block).mean(1)

    ea, eb = env(a), env(b)
    best = -1.0
    for lag in range(-10, 11):
        x, y = (ea[lag:], eb) if lag >= 0 else (ea, eb[-lag:])
        n = min(len(x), len(y))
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


@needs_clip
def test_stereo_48k_is_mixed_down_and_resampled(clip, tmp_path):
    import av

    path = tmp_path / "stereo.m4a"
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=48000)
        stream.layout = "stereo"
        cc = stream.codec_context
        rs = av.AudioResampler(format=cc.format.name, layout="stereo", rate=48000,
                               frame_size=cc.frame_size)
        frame = av.AudioFrame.from_ndarray(clip.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for f in rs.resample(frame) + rs.resample(None):
            for p in stream.encode(f):
                out.mux(p)
        for p in stream.encode(None):
            out.mux(p)
    audio = decode_audio(path)
    assert abs(len(audio) / SAMPLE_RATE - len(clip) / SAMPLE_RATE) < 0.15
    assert envelope_similarity(audio, clip) > 0.9


def test_zero_bytes_is_refused(tmp_path):
    path = tmp_path / "empty.m4a"
    path.write_bytes(b"")
    with pytest.raises(RecognitionError, match=r"^音频文件为空.*\(the audio file is empty"):
        decode_audio(path)


def test_random_bytes_named_m4a_is_refused(tmp_path):
    path = tmp_path / "memo.m4a"
    path.write_bytes(np.random.default_rng(0).bytes(40_000))
    with pytest.raises(RecognitionError, match=r"^无法解码音频.*\(cannot decode audio"):
        decode_audio(path)


def test_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("今天到南荒沟村走访，这不是音频。\n" * 50, encoding="utf-8")
    with pytest.raises(RecognitionError, match=r"^无法解码音频"):
        decode_audio(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(RecognitionError, match=r"^找不到音频文件"):
        decode_audio(tmp_path / "nope.wav")


@needs_clip
def test_truncated_m4a_is_refused(clip, tmp_path):
    path = tmp_path / "cut.m4a"
    encode(clip, path, "ipod", "aac", 44100)
    data = path.read_bytes()
    cut = tmp_path / "cut_half.m4a"
    cut.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: gone
    with pytest.raises(RecognitionError, match=r"^无法解码音频"):
        decode_audio(cut)


@needs_clip
def test_too_long_is_refused_with_the_limit_in_the_message(clip, tmp_path):
    path = tmp_path / "memo.ogg"
    encode(clip, path, "ogg", "libopus", 48000)
    with pytest.raises(RecognitionError, match=r"^录音过长.*\(recording too long: 4 s, the limit is 2 s"):
        decode_audio(path, max_seconds=2)
    # Within the limit it decodes.
    assert len(decode_audio(path, max_seconds=10)) > 0


def test_too_long_without_a_duration_header_is_stopped_while_decoding(tmp_path):
    """ADTS AAC has no duration in a header: the limit is enforced while decoding."""
    path = tmp_path / "long.aac"
    tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(16000 * 8) / 16000)).astype(np.float32)
    encode(tone, path, "adts", "aac", 16000)
    with pytest.raises(RecognitionError, match=r"^录音过长"):
        decode_audio(path, max_seconds=3)
