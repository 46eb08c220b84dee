"""Decoding voice-memo uploads: every phone/browser format, from committed files made once from a real clip.

The files under tests/data/audio were encoded once (tests/data/audio/README.md says how) so that a
PyAV wheel without some encoder (18.x dropped AMR-NB's) cannot break these tests: the product
only needs the decoders.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recognize.speech.audio import SAMPLE_RATE, decode_audio
from recognize.transcript import RecognitionError

AUDIO = Path(__file__).parent / "data" / "audio"
# What phones and browsers send: AMR-NB (Android), 3GP, M4A/AAC (iPhone, Android), MP3,
# Ogg/Opus (Firefox MediaRecorder), WebM/Opus (Chrome MediaRecorder), FLAC, WAV.
FORMATS = ["wav", "mp3", "m4a", "aac", "amr", "3gp", "ogg", "webm", "flac"]


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    """The lossless original (16 kHz mono PCM WAV) the lossy files were encoded from."""
    return decode_audio(AUDIO / "memo.wav")


def test_reference_clip_decodes_to_16k_mono_float32(clip):
    assert clip.dtype == np.float32 and clip.ndim == 1
    # 4.2 s of 16-bit mono 16 kHz speech.
    assert len(clip) == 67263
    assert 0.05 < float(np.abs(clip).max()) <= 1.0


@pytest.mark.parametrize("ext", FORMATS)
def test_each_upload_format_decodes_with_the_right_duration(clip, ext):
    path = AUDIO / f"memo.{ext}"
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


def test_stereo_48k_is_mixed_down_and_resampled(clip):
    audio = decode_audio(AUDIO / "memo_stereo48k.m4a")
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


def test_truncated_m4a_is_refused(tmp_path):
    data = (AUDIO / "memo.m4a").read_bytes()
    cut = tmp_path / "cut_half.m4a"
    cut.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: gone
    with pytest.raises(RecognitionError, match=r"^无法解码音频"):
        decode_audio(cut)


def test_too_long_is_refused_with_the_limit_in_the_message():
    path = AUDIO / "memo.ogg"
    with pytest.raises(RecognitionError, match=r"^录音过长.*\(recording too long: 4 s, the limit is 2 s"):
        decode_audio(path, max_seconds=2)
    # Within the limit it decodes.
    assert len(decode_audio(path, max_seconds=10)) > 0


def test_too_long_without_a_duration_header_is_stopped_while_decoding():
    """ADTS AAC has no duration in a header: the limit is enforced while decoding."""
    path = AUDIO / "tone_8s.aac"
    with pytest.raises(RecognitionError, match=r"^录音过长"):
        decode_audio(path, max_seconds=3)
