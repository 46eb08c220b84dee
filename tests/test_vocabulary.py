"""The pinyin-aware vocabulary corrector (recognize.speech.vocabulary), on text and on pieces."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from recognize.transcript import Piece, RecognizedText, word
from recognize.speech.vocabulary import Vocabulary, apply, correct_text, correct_transcript, corrections_in

ROOT = Path(__file__).resolve().parents[1]
COUNTY = Vocabulary.build(
    names=["李春生", "孙建国", "王秀兰", "张大爷"],
    places=["宽甸县", "古楼子乡", "南荒沟村", "大古岭村", "步达远镇", "步达远村", "石柱子村"],
)


def fixed(text: str, vocab: Vocabulary = COUNTY) -> str:
    return apply(text, correct_text(text, vocab))


@pytest.mark.parametrize("heard, meant", [
    ("我到南黄沟村走访", "我到南荒沟村走访"),        # homophone, another tone
    ("鼓楼子乡的干部都来了", "古楼子乡的干部都来了"),  # homophone, same tone
    ("明天去不达远开会", "明天去步达远开会"),          # a township said without 镇
    ("和李村生一起入户", "和李春生一起入户"),          # near-homophone: c / ch
    ("王秀莲反映", "王秀兰反映"),                      # near-homophone: an / ian
    ("步达远寸的路", "步达远村的路"),                  # the stem right, the suffix misheard
])
def test_names_that_sound_right_are_restored(heard, meant):
    assert fixed(heard) == meant


@pytest.mark.parametrize("clean", [
    "我们商量先由村委会组织群众修补，再向乡里申请道路硬化资金。",
    "今天到南荒沟村走访了张大爷，他说孙建国书记来过。",
    "步达远镇政府在步达远村旁边。",
    "他不打算远行。",
    "鼓励大家多种蓝莓。",
])
def test_clean_text_is_left_alone(clean):
    assert correct_text(clean, COUNTY) == []


def test_two_syllable_names_need_the_same_tones():
    vocab = Vocabulary.build(names=["石门"])
    assert fixed("时门那边", vocab) == "石门那边"     # shí = shí
    assert fixed("是们都说", vocab) == "是们都说"     # shì ≠ shí


def test_learned_corrections_apply_only_after_being_made_more_than_once():
    once = Vocabulary.build(places=["南荒沟村"], corrections=[("大延", "大爷")])
    assert fixed("张大延说", once) == "张大延说"
    twice = Vocabulary.build(places=["南荒沟村"], corrections=[("大延", "大爷")] * 2)
    assert fixed("张大延说", twice) == "张大爷说"
    (c,) = correct_text("张大延说", twice)
    assert c.source == "learned"


def test_learned_corrections_never_change_a_name_in_the_vocabulary():
    vocab = Vocabulary.build(names=["黄沟"], places=["黄沟村"], corrections=[("黄沟", "荒沟")] * 3)
    assert vocab.learned == ()  # its "before" is itself a name
    vocab = Vocabulary.build(places=["南黄沟村"], corrections=[("黄沟", "荒沟")] * 3)
    assert fixed("到南黄沟村去，黄沟那边", vocab) == "到南黄沟村去，荒沟那边"


def test_a_corrected_piece_marks_what_changed_and_keeps_times_and_offsets():
    first = Piece("我到南黄沟村走访", 0.9, start=0.0, end=2.0, words=[
        word("我", 0.0, 0.2, 0.9, False, 0, 1), word("到", 0.2, 0.3, 0.9, False, 1, 2),
        word("南黄", 0.3, 0.8, 0.4, True, 2, 4), word("沟村", 0.8, 1.1, 0.9, False, 4, 6),
        word("走访", 1.1, 2.0, 0.9, False, 6, 8)])
    second = Piece("不达远", 0.8, start=2.5, end=3.5, words=[word("不达远", 2.5, 3.5, 0.5, True, 0, 3)])
    t = RecognizedText.join([first, second], sep="，", engine="faster-whisper")
    out = correct_transcript(t, COUNTY)
    assert out.text == "我到南荒沟村走访，步达远" and out.engine == "faster-whisper"
    for p in out.pieces:
        assert out.text[p.char_start:p.char_end] == p.text
        for w in p.words:
            assert p.text[w["char_start"]:w["char_end"]] == w["text"]
    merged = out.pieces[0].words[2]
    assert merged["text"] == "南荒沟村" and merged["corrected_from"] == "南黄沟村"
    assert (merged["start"], merged["end"], merged["flagged"]) == (0.3, 1.1, False)
    assert [c["before"] + ">" + c["after"] for c in corrections_in(out)] == ["南黄沟村>南荒沟村", "不达远>步达远"]
    assert t.text == "我到南黄沟村走访，不达远"  # the input is not changed


def test_simulated_homophone_set_is_restored_without_new_errors():
    """The set built by scripts/make_homophone_set.py (bench/asr.py --vocab prints it)."""
    county = json.loads((ROOT / "bench" / "data" / "homophone_county.json").read_text("utf-8"))
    vocab = Vocabulary.build(names=county["cadres"] + county["villagers"],
                             places=county["townships"] + county["villages"] + [county["county"]])
    rows = [json.loads(line) for line in (ROOT / "bench" / "data" / "homophone_set.jsonl").open(encoding="utf-8")]
    slipped = [r for r in rows if r["slipped"]]
    clean = [r for r in rows if not r["slipped"]]
    assert len(slipped) >= 100 and len(clean) >= 50
    restored = sum(fixed(r["heard"], vocab) == r["reference"] for r in slipped)
    assert restored >= 0.95 * len(slipped)
    assert all(fixed(r["heard"], vocab) == r["reference"] for r in clean)


def test_a_near_homophone_heard_with_confidence_is_kept_a_homophone_is_not():
    def piece(text, probability):
        return Piece(text, 0.9, start=0.0, end=1.0, words=[word(text, 0.0, 1.0, probability, False, 0, len(text))])

    vocab = Vocabulary.build(names=["潘立新"], places=["南荒沟村"])
    sure_pang = correct_transcript(RecognizedText.join([piece("庞立新", 0.97)]), vocab)
    assert sure_pang.text == "庞立新"  # pang and pan sound different, and Whisper was sure
    unsure = correct_transcript(RecognizedText.join([piece("庞立新", 0.6)]), vocab)
    assert unsure.text == "潘立新"
    # 黄 and 荒 sound the same: Whisper's confidence says nothing about which was meant.
    assert correct_transcript(RecognizedText.join([piece("南黄沟村", 0.97)]), vocab).text == "南荒沟村"
