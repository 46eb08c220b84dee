"""Traditional -> simplified in context (recognize.simplify), shared by OCR and Whisper."""
from __future__ import annotations

import pytest

from recognize import simplify
from recognize.extract import textutil
from recognize.speech.text import to_simplified


@pytest.mark.parametrize("traditional,simplified", [
    ("他帶著孩子去鎮上", "他带着孩子去镇上"),
    ("看著我說", "看着我说"),
    ("兩種藥換著喝", "两种药换着喝"),
    ("隨著天氣轉冷", "随着天气转冷"),
    ("睡著了", "睡着了"),
    ("用不著擔心", "用不着担心"),
    ("他很著急", "他很着急"),
    ("拿著名單挨家走", "拿着名单挨家走"),
    ("甚麼時候修路", "什么时候修路"),
    ("祇有三戶", "只有三户"),
])
def test_particle_and_words_become_what_simplified_chinese_writes(traditional, simplified):
    assert to_simplified(traditional) == simplified


@pytest.mark.parametrize("text", ["著名的合作社", "效果顯著", "一部名著", "土著", "帶著名的醫生來", "他著作很多"])
def test_zhu_keeps_its_own_words(text):
    out = to_simplified(text)
    assert "著" in out and "着" not in out


def test_extractor_normalise_applies_the_same_fixes_and_keeps_length():
    text = "受訪對象帶著孩子，效果顯著"
    out = textutil.normalize(text)
    assert out == "受访对象带着孩子，效果显著" and len(out) == len(text)
    # simplified text that only needs the context fix is converted too
    assert textutil.normalize("带著孩子") == "带着孩子"


def test_table_lines_are_checked(tmp_path):
    bad = tmp_path / "t.tsv"
    bad.write_text("甚麼\t什\n", encoding="utf-8")
    with pytest.raises(ValueError, match="t.tsv:1"):
        simplify.load_table(bad)
    good = tmp_path / "g.tsv"
    good.write_text("# c\n@著\t着\tafter=带\n=著名\n", encoding="utf-8")
    table = simplify.load_table(good)
    assert simplify.fix_in_context("带著 带著名 看著", table) == "带着 带著名 看著"
