"""The calibrated word score of recognize/speech/flags.py: its features on hand-made words
(fast), the shipped model, and the real model on a real clip (slow)."""
from __future__ import annotations

import json

import pytest

from recognize.speech import flags
from recognize.speech.vocabulary import Vocabulary
from recognize.transcript import Piece, word
from tests.test_speech_models import AUDIO, needs_clips

F = {name: k for k, name in enumerate(flags.FEATURES)}


def _word(text, p, mean=None, near=False, at=0):
    return word(text, 0.0, 0.1, p, False, at, at + len(text), mean_probability=p if mean is None else mean,
                near_cut=near)


def test_features_name_what_separates_right_from_wrong():
    vocab = Vocabulary.build(names=["张大雁"], places=["南荒沟村"])
    words = [_word("这个", 0.3, near=True), _word("南荒沟村", 0.7, 0.9), _word("张大延", 0.6), _word("羞捕", 0.6),
             _word("这个", 0.9), _word("能", 0.7), _word("卡", 0.5), _word("情况", 1.0)]
    rows = flags.features(words, "".join(w["text"] for w in words), vocab)
    col = {name: [row[k] for row in rows] for name, k in F.items()}
    assert col["repeated"] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert col["county_name"] == [0, 1, 0, 0, 0, 0, 0, 0]
    assert col["homophone"] == [0, 0, 1, 0, 0, 0, 0, 0]  # sounds like 张大雁, is not it
    assert col["unknown"][3] == 1 and col["unknown"][7] == 0  # 羞捕 is no word; 情况 is
    assert col["near_cut"] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert col["fragment"] == [0, 0, 0, 0, 0, 1, 1, 0]  # lone characters side by side
    assert col["length"][1] == 4 and col["length"][5] == 1
    assert col["logit_min"][1] < col["logit_mean"][1]


def test_near_cut():
    assert flags.near_cut(1.0, 1.4, [1.6]) and not flags.near_cut(1.0, 1.4, [2.0, 0.5])


def test_the_old_probability_rule_is_one_model_of_this_shape():
    # Weight 1 on the logit of the lowest probability, nothing else: the score is the probability.
    model = flags.FlagModel(tuple(float(n == "logit_min") for n in flags.FEATURES), 0.0, 0.55)
    piece = Piece(text="停制的", confidence=0.5, start=0, end=1,
                  words=[_word("停制", 0.32), _word("的", 0.99, at=2)])
    flags.score_pieces([piece], model=model)
    assert [w["score"] for w in piece.words] == pytest.approx([0.32, 0.99], abs=1e-3)
    assert [w["flagged"] for w in piece.words] == [True, False]
    flags.score_pieces([piece], model=model, flag_below=0.0)
    assert not any(w["flagged"] for w in piece.words)


def test_the_shipped_model_and_its_default_threshold():
    data = json.loads(flags.DATA.read_text("utf-8"))
    model = flags.load()
    assert tuple(data["features"]) == flags.FEATURES and len(model.weights) == len(flags.FEATURES)
    assert 0.0 < model.flag_below < 1.0
    from recognize.speech import transcribe as speech

    assert speech.flag_below() == model.flag_below  # MINXIN_SPEECH_FLAG_BELOW unset
    # Surer words score higher, all else equal; a word unknown to the dictionary scores lower.
    sure, unsure = flags.scores(flags.features([_word("情况", 0.95)], "情况") + flags.features([_word("情况", 0.3)], "情况"))
    assert sure > unsure
    known, unknown = flags.scores(flags.features([_word("情况", 0.7)], "情况") + flags.features([_word("羞捕", 0.7)], "羞捕"))
    assert unknown < known


def test_a_data_file_of_other_features_is_refused(tmp_path):
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"features": ["logit_min"], "weights": [1.0], "bias": 0.0, "flag_below": 0.5}))
    with pytest.raises(ValueError):
        flags.load.__wrapped__(path)


@pytest.mark.slow
@needs_clips
def test_real_clip_words_carry_their_score_and_the_misheard_one_scores_lowest():
    from recognize.speech import transcribe as speech
    t = speech.transcribe_audio(AUDIO / "BAC009S0764W0121.wav")
    words = [w for p in t.pieces for w in p.words]
    threshold = speech.flag_below()
    assert all(w["flagged"] == (w["score"] < threshold) for w in words)
    (bad,) = [w for w in words if "制" in w["text"]]  # 停滞 heard as 停制
    assert bad["flagged"] and bad["score"] == min(w["score"] for w in words)
    assert sum(w["flagged"] for w in words) <= 0.2 * len(words)


def test_bench_labels_each_error_to_the_word_holding_it():
    import importlib.util

    from recognize.transcript import RecognizedText

    spec = importlib.util.spec_from_file_location("asr_flags", flags.DATA.parents[2] / "bench" / "asr_flags.py")
    asr_flags = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(asr_flags)
    piece = Piece(text="交易几乎停制，情况", confidence=0.5, start=0, end=2,
                  words=[_word("交易", 0.7), _word("几乎", 0.9, at=2), _word("停制", 0.3, at=4), _word("情况", 1.0, at=7)])
    memo = asr_flags.label(RecognizedText(text=piece.text, pieces=[piece]), "交易几乎停滞情况好")
    assert memo["errors"] == [{2}, {3}]  # 制 for 滞; 好 lost after 情况
    assert memo["labels"] == [False, False, True, True]
    assert asr_flags.quality([memo], lambda m, k: k == 2) == (1, 2, 1, 4)
    assert asr_flags.quality([memo], lambda m, k: k >= 2) == (2, 2, 2, 4)
    assert asr_flags.quality([memo], lambda m, k: False) == (0, 2, 0, 4)
