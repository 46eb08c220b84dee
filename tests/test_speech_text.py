"""Fast unit tests of the speech plumbing that needs no model: text clean-up, prompts,
VAD windows and the CTranslate2 model.bin reader."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognize.speech import text as T
from recognize.speech.transcribe import confidence
from recognize.speech.vad import SAMPLE_RATE, Window, pack_windows, speech_regions


@pytest.mark.parametrize("raw, want", [
    ("3月12日上午,我到南荒沟村. 他说:路不好走!", "3月12日上午，我到南荒沟村。他说：路不好走！"),
    ("问题? 没有", "问题？没有"),
    ("每亩3.5元, 10:30到村", "每亩3.5元，10:30到村"),  # decimals and clock times keep theirs
    ("路修好了.", "路修好了。"),
    ("hello, world. ok", "hello, world. ok"),  # not Chinese: untouched
])
def test_half_width_marks_in_chinese_text_become_full_width(raw, want):
    assert T.full_width_punct(raw) == want


def test_traditional_output_becomes_simplified_with_punctuation_kept():
    assert T.to_simplified("他反映村裡的路，一下雨就沒法走。") == "他反映村里的路，一下雨就没法走。"


def test_cer_ignores_punctuation_spaces_and_script():
    assert T.cer("甚至出現交易，几乎 停滯的情況。", "甚至出现交易几乎停滞的情况") == 0.0
    assert T.cer("甚至出现交易几乎停制的情况", "甚至出现交易几乎停滞的情况") == pytest.approx(1 / 13)
    assert T.cer("", "换一首歌") == 1.0


def test_collapse_repeats_removes_hallucinated_loops_only():
    assert T.collapse_repeats("谢谢大家谢谢大家谢谢大家谢谢大家") == "谢谢大家"
    assert T.collapse_repeats("路修好了，路修好了，路修好了") == "路修好了"
    assert T.collapse_repeats("啊啊啊啊啊啊啊") == "啊"
    # Ordinary speech with a word said twice stays as it was.
    assert T.collapse_repeats("好好学习，天天向上") == "好好学习，天天向上"
    assert T.collapse_repeats("村里的路一下雨就没法走") == "村里的路一下雨就没法走"


def test_subtitle_credits_are_hallucinations_but_speech_is_not():
    assert T.is_hallucination("請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目")
    assert T.is_hallucination("字幕由Amara.org社区提供")
    assert not T.is_hallucination("谢谢张大爷的配合")


def test_prompt_has_vocabulary_and_stays_short():
    prompt = T.build_prompt("zh", ["南荒沟村", "张建国", "南荒沟村", " "], base=False)
    assert prompt == "可能提到：南荒沟村、张建国。"
    assert T.build_prompt("zh", [], base=True) == T.BASE_PROMPT_ZH
    assert T.build_prompt("zh", [], base=False) is None
    long = T.build_prompt("zh", [f"村名{i:03d}" for i in range(200)], base=True)
    assert len(long) < len(T.BASE_PROMPT_ZH) + T.MAX_VOCAB_CHARS + 10


def test_prompt_echo_is_detected_and_real_speech_is_not():
    vocab = ["南荒沟村", "李家屯", "张建国", "王秀兰"]
    prompt = T.build_prompt("zh", vocab, base=True)
    assert T.is_prompt_echo("以下是普通话的句子。", prompt, vocab)
    assert T.is_prompt_echo("以下是普通話的句子", prompt, vocab)
    assert T.is_prompt_echo("可能提到南荒沟村、李家屯、张建国、王秀兰", prompt, vocab)
    assert T.is_prompt_echo("南荒沟村李家屯张建国王秀兰", prompt, vocab)
    # A cadre naming a village from the vocabulary in a real sentence is not an echo.
    assert not T.is_prompt_echo("今天上午到南荒沟村走访了张建国家", prompt, vocab)
    assert not T.is_prompt_echo("南荒沟村", prompt, vocab)
    assert not T.is_prompt_echo("甚至出现交易几乎停滞的情况", prompt, vocab)
    assert not T.is_prompt_echo("以下是普通话的句子", None, vocab)


def test_confidence_combines_logprob_and_no_speech():
    assert confidence(0.0, 0.0) == 1.0
    assert confidence(-0.3, 0.02) == pytest.approx(np.exp(-0.3) * 0.98, abs=1e-4)
    assert confidence(-5.0, 0.9) < 0.01
    assert 0.0 <= confidence(-1e9, 2.0) <= 1.0


def test_silence_and_near_silence_have_no_speech_regions():
    assert speech_regions(np.zeros(16000 * 5, dtype=np.float32)) == []
    quiet = (np.random.default_rng(1).standard_normal(16000 * 5) * 1e-4).astype(np.float32)
    assert speech_regions(quiet) == []


def test_white_noise_has_no_speech_regions():
    noise = (np.random.default_rng(2).standard_normal(16000 * 5) * 0.05).astype(np.float32)
    assert speech_regions(noise) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40 * SAMPLE_RATE), st.integers(1, 60 * SAMPLE_RATE)),
        min_size=0,
        max_size=30,
    )
)
def test_windows_keep_every_speech_sample_in_order_and_fit(spec):
    # Build non-overlapping increasing regions from (gap, length) pairs.
    regions, pos = [], 0
    for gap, length in spec:
        pos += gap
        regions.append((pos, pos + length))
        pos += length
    windows = pack_windows(regions, window_seconds=29.0)
    limit = 29.0 * SAMPLE_RATE
    flat = [r for w in windows for r in w.regions]
    # Same samples, same order (long regions may be split into consecutive pieces).
    assert sum(e - s for s, e in flat) == sum(e - s for s, e in regions)
    assert all(a[1] <= b[0] for a, b in zip(flat, flat[1:]))
    for w in windows:
        assert w.regions and w.end - w.start <= limit
        assert w.start == w.regions[0][0] and w.end == w.regions[-1][1]
    assert all(a.end <= b.start for a, b in zip(windows, windows[1:]))


def test_window_keeps_the_recording_and_maps_times_back():
    sr = SAMPLE_RATE
    source = np.arange(700 * sr, dtype=np.float32)
    w = Window(60 * sr, 75 * sr, [(60 * sr, 64 * sr), (70 * sr, 75 * sr)])
    audio = w.audio(source)
    assert len(audio) == 15 * sr and audio[0] == 60 * sr  # pauses kept as recorded
    assert w.to_original(3.5) == pytest.approx(63.5)
    assert w.to_original(99.0) == pytest.approx(75.0)
    # What is left after 2 s: the rest of the first region and the second one.
    rest = w.rest_after(2.0)
    assert (rest.start, rest.end) == (62 * sr, 75 * sr)
    assert rest.regions == [(62 * sr, 64 * sr), (70 * sr, 75 * sr)]
    assert w.rest_after(13.5) is None  # 1.5 s of speech left: below the 2 s minimum


def _write_ct2(path, variables, aliases=()):
    """Write a model.bin in CTranslate2's layout (binary version 6)."""
    ids = {np.dtype("float32"): 0, np.dtype("int8"): 1, np.dtype("float16"): 4}

    def s(text):
        raw = text.encode()
        return struct.pack("<H", len(raw) + 1) + raw + b"\0"

    out = struct.pack("<I", 6) + s("WhisperSpec") + struct.pack("<I", 3)
    out += struct.pack("<I", len(variables))
    for name, arr in variables.items():
        out += s(name) + struct.pack("<B", arr.ndim)
        out += b"".join(struct.pack("<I", d) for d in arr.shape)
        out += struct.pack("<B", ids[arr.dtype]) + struct.pack("<I", arr.nbytes) + arr.tobytes()
    out += struct.pack("<I", len(aliases))
    for a, t in aliases:
        out += s(a) + s(t)
    path.write_bytes(out)


def test_ct2_reader_handles_float16_int8_scales_and_aliases(tmp_path):
    from recognize.speech.whisper_convert import ConversionError, read_ct2_model

    w = np.arange(12, dtype=np.float16).reshape(3, 4)
    q = np.array([[10, -20], [30, 127]], dtype=np.int8)
    scale = np.array([10.0, 127.0], dtype=np.float32)
    _write_ct2(
        tmp_path / "model.bin",
        {"a/weight": w, "b/weight": q, "b/weight_scale": scale, "n": np.array(8, np.int8)},
        aliases=[("c/weight", "a/weight")],
    )
    spec, rev, v = read_ct2_model(tmp_path / "model.bin")
    assert (spec, rev) == ("WhisperSpec", 3)
    assert v["a/weight"].dtype == np.float16 and np.array_equal(v["a/weight"], w)
    assert np.array_equal(v["c/weight"], w)
    np.testing.assert_allclose(v["b/weight"], [[1.0, -2.0], [30 / 127, 1.0]], rtol=1e-6)
    assert "b/weight_scale" not in v and int(v["n"]) == 8

    (tmp_path / "bad.bin").write_bytes((tmp_path / "model.bin").read_bytes()[:-7])
    with pytest.raises(ConversionError):
        read_ct2_model(tmp_path / "bad.bin")


def test_energy_regions_find_a_loud_burst_but_not_steady_hiss():
    from recognize.speech.vad import energy_regions

    rng = np.random.default_rng(5)
    x = (rng.standard_normal(SAMPLE_RATE * 20) * 0.001).astype(np.float32)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    x[12 * SAMPLE_RATE : 13 * SAMPLE_RATE] += 0.2 * np.sin(2 * np.pi * 300 * t)
    [(s, e)] = energy_regions(x)
    assert 11.6 <= s / SAMPLE_RATE <= 12.0 and 13.0 <= e / SAMPLE_RATE <= 13.4
    hiss = (rng.standard_normal(SAMPLE_RATE * 20) * 0.05).astype(np.float32)
    assert energy_regions(hiss) == []
