"""The county's learned extractor model (recognize/extract/learn.py, diary/training.py).

The notes here are written for these tests (not taken from any eval set).  The county's own
convention the rules cannot know: its supervisors file wildlife damage (野猪拱苞米, 黑熊掀蜂箱)
under 社会保障, because the compensation (野生动物致害补偿) is paid through that channel.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ops.demo_county import load as load_demo_county
from recognize.extract import Gazetteer, extract_entry, learn

NOW = "2025-09-03T18:00:00"
ROOT = Path(__file__).resolve().parents[1]
GAZ = Gazetteer(units=load_demo_county().units)

_PEOPLE = ["关玉山", "单福海", "衣秀琴", "隋长林", "鞠淑华", "栾德顺", "迟凤英", "宫喜才"]
_WILD = [
    ("野猪夜里下山把两亩苞米拱倒了一大片", "联系林业站核定损失"),
    ("黑熊把他家的蜂箱掀翻了三个", "给林业站打电话报损"),
    ("狍子把刚出苗的大豆啃了半块地", "帮他填野生动物致害补偿的申请表"),
    ("獾子把园子里的地瓜刨得乱七八糟", "拍了照片报给镇里核损"),
    ("野猪把山坡上的土豆地糟蹋了", "联系保险公司和林业站一起来看"),
    ("山上下来的野猪拱了他家的玉米", "把受损的亩数报到镇林业站"),
]
_OTHER = [
    ("自来水管冻裂了家里断水", "联系水务站来换管", "饮水"),
    ("屯口的路灯坏了两盏晚上看不见路", "找电工来修", "基础设施"),
    ("屋顶的瓦掉了好几片一下雨就漏", "上报危房鉴定", "住房"),
    ("孙子上初中的校车停了", "跟教育办反映", "教育"),
]


def _note(name: str, problem: str, plan: str) -> str:
    return f"走访村民{name}，他反映{problem}，我准备{plan}。"


def _county_examples() -> list[learn.Example]:
    out = []
    for (name, (p, s)) in zip(itertools.cycle(_PEOPLE), _WILD * 4):
        out.append(learn.Example(_note(name, p, s), NOW, {"problem": p, "solution": s, "reflections": "", "category": "社会保障"}))
    for (name, (p, s, c)) in zip(itertools.cycle(reversed(_PEOPLE)), _OTHER * 4):
        out.append(learn.Example(_note(name, p, s), NOW, {"problem": p, "solution": s, "reflections": "", "category": c}))
    return out


def _rules(ex: learn.Example) -> dict:
    return extract_entry(ex.text, ex.now, GAZ, reading=False).to_dict()


@pytest.fixture(scope="module")
def trained():
    return learn.train(_county_examples(), _rules)


def test_the_model_learns_the_countys_category_and_replaces_the_rules_only_there(trained):
    acc = trained.accuracy["category"]
    assert acc["rules"] < 0.7 < acc["model"], acc  # the rules do not know the convention; the model does
    assert trained.use["category"] is True
    # the clause roles: the rules are right on these plain notes, so they keep those fields
    assert trained.use["problem"] is False and trained.use["solution"] is False

    fresh = "今天到石柱子村走访村民姜有田，他说野猪把他家半亩花生拱了，我打算帮他报林业站核损。"
    by_rules = extract_entry(fresh, NOW, GAZ)
    by_model = extract_entry(fresh, NOW, GAZ, model=trained)
    assert by_rules.category != "社会保障" and by_rules.proposed_by["category"] == "rules"
    assert by_model.category == "社会保障" and by_model.proposed_by["category"] == "model"
    assert by_model.problem == by_rules.problem and by_model.proposed_by["problem"] == "rules"
    # a pure function of (text, now, gazetteer, model)
    assert extract_entry(fresh, NOW, GAZ, model=trained).to_dict() == by_model.to_dict()


def test_too_few_confirmed_entries_leave_the_rules_alone():
    few = learn.train(_county_examples()[: learn.MIN_EXAMPLES - 1], _rules)
    assert few.fields() == () and few.roles_model is None
    text = _note("关玉山", *_WILD[0])
    assert extract_entry(text, NOW, GAZ, model=few).to_dict() == extract_entry(text, NOW, GAZ).to_dict()


def test_the_fingerprint_changes_with_a_correction_only():
    exs = _county_examples()
    same = list(reversed(exs))
    changed = exs[:-1] + [learn.Example(exs[-1].text, exs[-1].now, {**exs[-1].fields, "category": "其他"})]
    assert learn.fingerprint(exs) == learn.fingerprint(same)
    assert learn.fingerprint(exs) != learn.fingerprint(changed)


def test_save_and_load_round_trip(tmp_path, trained):
    path = tmp_path / "extractor" / "county-1.pkl"
    learn.save(trained, path)
    back = learn.load(path)
    assert back is not None and back.fields() == trained.fields()
    assert learn.stored_fingerprint(path) == trained.fingerprint
    path.write_bytes(b"not a model")
    assert learn.load(path) is None  # a damaged file: the rules alone


def test_clause_roles_learn_a_closing_remark_the_rules_miss():
    """A county whose cadres close every note with a saying and no cue word: once confirmed
    entries show it, the model proposes the reflection (cross-validated better than rules)."""
    sayings = ["山里人家最怕的是没人来问", "小事不小办起来才见真心", "一趟腿勤胜过十张表格",
               "老百姓心里有杆秤", "家家户户的事都连着民心"]
    exs = []
    for i, (name, (p, s)) in enumerate(zip(itertools.cycle(_PEOPLE), _WILD * 5)):
        r = sayings[i % len(sayings)]
        exs.append(learn.Example(f"走访村民{name}，他反映{p}，我准备{s}。{r}。", NOW,
                                 {"problem": p, "solution": s, "reflections": r, "category": "社会保障"}))
    model = learn.train(exs, _rules)
    assert model.accuracy["reflections"]["model"] > model.accuracy["reflections"]["rules"], model.accuracy
    assert model.use["reflections"] is True
    # a saying the county never wrote before
    fresh = "走访村民衣秀琴，他反映野猪把地头的白菜拱了，我准备联系林业站。干部多跑一步群众就少操一份心。"
    got = extract_entry(fresh, NOW, GAZ, model=model)
    assert got.reflections == "干部多跑一步群众就少操一份心" and got.proposed_by["reflections"] == "model"
    assert "干部" not in got.solution


def test_the_county_trains_its_own_sequence_model_and_calibration():
    from recognize.extract import fitting, reading_models, sequence

    examples = _county_examples()
    base = fitting.load_cases([ROOT / "tests" / "data" / "extraction_blind3.jsonl"])[:15]
    county = fitting.fit_county(learn.train(examples, _rules), examples, _rules, base=base)
    assert county.sequence_model and 0.5 < county.calibration["threshold"] <= 1.01
    tg, cal = reading_models(county)
    assert tg is county.sequence_tagger() and tg is not sequence.tagger() and cal is county.calibration
    # the county's notes read by its own model: their problems and plans where the county put them
    right = 0
    for ex in examples[:10]:
        got = extract_entry(ex.text, ex.now, GAZ, model=county)
        right += learn.field_right("problem", got.problem, ex.fields["problem"])
        assert set(got.review) <= set(got.confidence)
    assert right >= 8
    # a county with too few entries keeps the shipped reading
    few = fitting.fit_county(learn.Trained(), examples[:3], _rules, base=base)
    assert not few.sequence_model and reading_models(few)[0] is sequence.tagger()
