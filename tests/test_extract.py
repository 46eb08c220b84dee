"""Field extraction: both entry styles, places, names, method, category, evidence."""
import datetime as dt
import json
from pathlib import Path

import pytest

from ops.demo_county import load as load_demo_county
from recognize.extract import Extraction, Gazetteer, extract_entry
from recognize.extract.category import CATEGORIES, load_model

NOW = dt.datetime(2022, 1, 5, 19, 0)
GAZ = Gazetteer(units=load_demo_county().units)
ROOT = Path(__file__).resolve().parents[1]

LABELLED = (
    "时间：2022年1月3日上午 地点：古楼子乡南荒沟村三组 受访对象：村民李树 "
    "反映问题：家里的井水发浑，喝了闹肚子。解决思路：先送桶装水，再联系疾控中心化验水样。"
    "心得体会：群众吃水无小事。"
)
FREE = (
    "今天上午到南荒沟村走访村民李树，他反映家里的房子屋顶漏雨，墙也裂了。"
    "我的想法是帮他申请危房改造，先找人临时加固。我的体会是群众的小事就是大事。"
)


def test_labelled_entry_full_width_colons():
    ex = extract_entry(LABELLED, NOW, GAZ)
    assert ex.visit_date == "2022-01-03"
    assert ex.visit_time == "上午"
    assert (ex.place, ex.place_village, ex.place_township, ex.place_group, ex.place_known) == (
        "南荒沟村三组", "南荒沟村", "古楼子乡", "三组", True)
    assert ex.interviewee == "李树"
    assert ex.visit_method == "入户走访"
    assert ex.problem == "家里的井水发浑，喝了闹肚子"
    assert ex.solution == "先送桶装水，再联系疾控中心化验水样"
    assert ex.reflections == "群众吃水无小事"
    assert ex.category == "饮水"
    assert "李树" in ex.pii


def test_labelled_entry_half_width_colons_and_no_colons():
    half = LABELLED.replace("：", ":")
    bare = "时间 2022年1月3日 地点 南荒沟村 受访对象 村民李树 反映问题 家里的井水发浑 解决思路 送检 心得体会 吃水无小事"
    for text in (half, bare):
        ex = extract_entry(text, NOW, GAZ)
        assert ex.visit_date == "2022-01-03"
        assert ex.place_village == "南荒沟村" and ex.place.startswith("南荒沟村")
        assert ex.interviewee == "李树"
        assert ex.problem.startswith("家里的井水发浑")
        assert ex.reflections.endswith("无小事")


def test_short_labels_and_ocr_slip_in_a_label():
    text = "1月4日 大古岭村 对像：低保户王玉兰 问题：低保金少了两百。思路：去民政办核实。体会：多上门。"
    ex = extract_entry(text, NOW, GAZ)
    assert ex.interviewee == "王玉兰"
    assert ex.problem == "低保金少了两百"
    assert ex.solution == "去民政办核实"
    assert ex.reflections == "多上门"
    assert ex.category == "社会保障"


def test_free_dictation_cues():
    ex = extract_entry(FREE, NOW, GAZ)
    assert ex.visit_date == "2022-01-05"
    assert ex.place == "南荒沟村" and ex.place_known
    assert ex.interviewee == "李树"
    assert ex.problem == "家里的房子屋顶漏雨，墙也裂了"
    assert ex.solution == "帮他申请危房改造，先找人临时加固"
    assert ex.reflections == "群众的小事就是大事"
    assert ex.category == "住房"


def test_free_dictation_without_punctuation():
    text = "昨天上午去大古岭村走访户主孙志刚他反映家里的老房子屋顶漏雨住着不安全我打算帮他申请危房改造"
    ex = extract_entry(text, NOW, GAZ)
    assert ex.visit_date == "2022-01-04"
    assert ex.interviewee == "孙志刚"
    assert ex.problem == "家里的老房子屋顶漏雨住着不安全"
    assert ex.solution == "帮他申请危房改造"


def test_first_person_action_is_the_plan():
    text = "今天到石柱子村走访村民赵德海，他反映井水发浑。我当场取了水样，准备送县疾控中心化验。"
    ex = extract_entry(text, NOW, GAZ)
    assert ex.problem == "井水发浑"
    assert ex.solution == "当场取了水样，准备送县疾控中心化验"


def test_place_fuzzy_match_one_wrong_character():
    ex = extract_entry("今天到古楼子乡南荒钩村走访村民李树", NOW, GAZ)
    assert ex.place == "南荒沟村"
    assert ex.place_known is True
    assert ex.place_township == "古楼子乡"
    exact = extract_entry("今天到古楼子乡南荒沟村走访村民李树", NOW, GAZ)
    assert ex.confidence["place"] < exact.confidence["place"]  # a corrected match is less sure than an exact one
    s, e = ex.evidence["place"]
    assert "南荒钩村" == "今天到古楼子乡南荒钩村走访村民李树"[s:e]


def test_fuzzy_match_refused_when_another_township_is_said():
    ex = extract_entry("三月十号到大西岔镇小荒沟村走访村民邹立平", NOW, GAZ)
    assert ex.place == "小荒沟村"
    assert ex.place_known is False
    assert ex.place_township == "大西岔镇"


def test_unknown_place_is_reported_as_written_not_guessed():
    ex = extract_entry("今天在青山沟镇青山村三组走访村民张桂芳", NOW, GAZ)
    assert (ex.place, ex.place_village, ex.place_known, ex.place_township, ex.place_group) == (
        "青山村三组", "青山村", False, "青山沟镇", "三组")
    no_gaz = extract_entry("今天在南荒沟村走访村民李树", NOW)
    assert no_gaz.place == "南荒沟村" and no_gaz.place_known is False


def test_village_directly_under_the_county():
    flat = Gazetteer(units=[("宽甸县", "county", None), ("石柱子村", "village", "宽甸县")])
    ex = extract_entry("今天在石柱子村走访村民李树", NOW, flat)
    assert ex.place == "石柱子村" and ex.place_known and ex.place_township is None


def test_common_nouns_are_not_places():
    ex = extract_entry("今天走访村民李树，他反映村里的路灯坏了，申报农村危房改造。", NOW)
    assert ex.place is None


def test_cadre_is_never_the_interviewee():
    gaz = Gazetteer(GAZ.units, cadre_names=["王建国"])
    text = "今天党员王建国陪我到南荒沟村走访村民李树，他反映家里没水吃。"
    assert extract_entry(text, NOW, gaz).interviewee == "李树"
    assert extract_entry("今天到南荒沟村走访党员王建国", NOW, gaz).interviewee == ""


@pytest.mark.parametrize(
    "text, method",
    [
        ("今天在南荒沟村召开党员群众座谈会，大家反映路灯坏了", "集体座谈"),
        ("组织村民代表开会，大家说冷库不够", "集体座谈"),
        ("在大古岭村开展民意调查，收回问卷四十五份", "民意调查"),
        ("今天入户走访了村民李树", "入户走访"),
        ("到村民李树家看看", "入户走访"),
    ],
)
def test_visit_method(text, method):
    ex = extract_entry(text, NOW, GAZ)
    assert ex.visit_method == method
    if method != "入户走访":
        assert ex.interviewee == ""


def test_meeting_has_no_interviewee_even_when_a_speaker_is_named():
    ex = extract_entry("6月20日晚上在东胜村召开党员大会，老党员迟德江发言说文化广场没有健身器材。", NOW)
    assert ex.interviewee == ""
    assert "迟德江" in ex.pii


def test_name_boundaries():
    cases = {
        "返乡青年冯磊想学电商直播": "冯磊",
        "走访养蜂户吕长海 他说蜂群病了": "吕长海",
        "奶奶于凤兰说孙子开学了": "于凤兰",
        "慢性病患者 王淑华 问题": "王淑华",
    }
    for text, name in cases.items():
        assert extract_entry(text, NOW).interviewee == name, text
    # a surname-led word after a group cue is not a name
    assert extract_entry("开展群众满意度调查", NOW).interviewee == ""


@pytest.mark.parametrize(
    "problem, category",
    [
        ("村里的水泥路被大车压坏了，坑坑洼洼", "道路桥梁"),
        ("井水发浑，吃水困难", "饮水"),
        ("房子西山墙裂了，下雨漏雨", "住房"),
        ("和邻居因为宅基地边界吵了好几年", "邻里纠纷"),
        ("草莓没有冷库，旺季卖不上价", "产业发展"),
        ("板栗树叶子打卷，不知道打什么药", "农业技术"),
        ("村卫生室药品不全，慢性病的药要去县城开", "医疗卫生"),
        ("孩子考上大学，学费凑不齐", "教育"),
        ("养老金认证没办下来，几个月没领到钱", "社会保障"),
        ("河边有人倒建筑垃圾，河道都快堵了", "环境卫生"),
        ("想在家门口找个活干，打零工挣钱", "就业"),
        ("村里的路灯坏了一半，晚上出门不安全", "基础设施"),
        ("想把户口迁回村里，不知道要什么手续", "其他"),
    ],
)
def test_category_keywords(problem, category):
    ex = extract_entry(f"今天走访村民李树，他反映{problem}。", NOW)
    assert ex.category == category


def test_category_table_extends_from_a_county_file(tmp_path, monkeypatch):
    from recognize.extract import category

    text = "今天走访村民李树，他反映家里的参园被野猪拱了。"
    assert extract_entry(text, NOW).category == "其他"
    cfg = tmp_path / "keywords.json"
    cfg.write_text(json.dumps({"农业技术": {"参园": 3, "野猪": 2}}, ensure_ascii=False), encoding="utf-8")
    # MINXIN_CATEGORY_KEYWORDS, handed in by the composition root
    monkeypatch.setattr(category, "_keywords_file", None)
    category.use_keywords_file(str(cfg))
    assert extract_entry(text, NOW).category == "农业技术"
    model = load_model(str(cfg))
    assert model.keywords["饮水"]["自来水"] > 0  # built-in words are kept
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"没有这类": {"词": 1}}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError):
        load_model(str(bad))


def test_to_dict_contract():
    d = extract_entry(LABELLED, NOW, GAZ).to_dict()
    assert list(d) == [
        "visit_date", "visit_time", "place", "place_village", "place_township", "place_group", "place_known", "interviewee",
        "visit_method", "problem", "solution", "reflections", "category", "pii", "confidence", "evidence", "proposed_by",
        "review",
    ]
    assert set(d["review"]) <= set(d["confidence"])
    assert d["category"] in CATEGORIES
    assert all(0.0 <= v <= 1.0 for v in d["confidence"].values())
    for fld, (s, e) in d["evidence"].items():
        assert 0 <= s < e <= len(LABELLED), fld
    for fld in ("problem", "solution", "reflections", "interviewee", "place"):
        s, e = d["evidence"][fld]
        assert LABELLED[s:e] == d[fld]
    json.dumps(d, ensure_ascii=False)


def test_empty_and_odd_input():
    for text in ("", "   ", "。。。", "123", None):
        ex = extract_entry(text, NOW)
        assert isinstance(ex, Extraction)
        assert ex.problem == "" and ex.interviewee == "" and ex.category == "其他"
    assert extract_entry("今天到南荒沟村", "2022-01-05T19:00:00").visit_date == "2022-01-05"


def test_forms_of_address_and_names_that_are_not_names():
    assert extract_entry("今天看望了王玉兰大娘，她说腿疼。", NOW).interviewee == "王玉兰"
    assert extract_entry("走访了张大爷，他反映自来水冻了。", NOW).interviewee == "张大爷"
    # a visit verb followed by a village is not a person called 南荒沟
    ex = extract_entry("今天走访了南荒沟村三组的种植户张凤山，了解到他家的大棚被雪压塌了。", NOW, GAZ)
    assert ex.interviewee == "张凤山" and ex.place_group == "三组"
    assert ex.problem == "他家的大棚被雪压塌了"
    # everyday words after a family cue are not names
    assert "常年有" not in extract_entry("他家老伴常年有病，儿子在外打工。", NOW).pii


def test_problem_without_a_cue_follows_the_person():
    ex = extract_entry("昨天去大古岭村给贫困户刘长顺家送去了米面油，他家老伴常年有病，看病花钱多。", NOW, GAZ)
    assert ex.interviewee == "刘长顺"
    assert ex.problem == "他家老伴常年有病，看病花钱多"
    assert "problem" in ex.review  # no cue said it: a person should look


def test_plan_clause_after_a_comma_ends_the_problem_in_asr_text():
    # Whisper-style text: 反映 heard as 反应, clauses joined by commas, the plan mid-sentence
    text = ("3月12日上午，我到南荒沟村入户走访了村民张大爷，他反应村里通往镇上的那段路，一下雨就没法走。"
            "孩子上学很不方便，我们商量先由村委会组织群众修补，再向乡里申请道路硬化资金。")
    ex = extract_entry(text, NOW, GAZ)
    assert ex.problem == "村里通往镇上的那段路，一下雨就没法走。孩子上学很不方便"
    assert ex.solution == "先由村委会组织群众修补，再向乡里申请道路硬化资金"
    assert ex.category == "道路桥梁"
    assert "修补" not in ex.pii  # 组织群众修补: a verb after a group word, not a person


def test_the_demo_memo_as_whisper_heard_it():
    # faster-whisper base on samples/voice/memo.m4a: 入户 as 入屋, 商量先 as 商良心, 再 as 在
    text = ("3月12日上午，我到南荒沟村入屋走访了村民张大延，他反映村以通往正上的那段路，一下雨就没发走。"
            "孩子上学很不方便，我们商良心有村委会组织群众修补，在向乡里申请道路淹化资金。")
    ex = extract_entry(text, NOW, GAZ)
    # said on 2022-01-05: a March 12th without a year is the last one, not a future day
    assert (ex.visit_date, ex.place, ex.interviewee) == ("2021-03-12", "南荒沟村", "张大延")
    assert ex.problem == "村以通往正上的那段路，一下雨就没发走。孩子上学很不方便"
    assert ex.solution.startswith("商良心有村委会组织群众修补")
    assert ex.category == "道路桥梁" and ex.pii == ["张大延"]


@pytest.mark.parametrize("text, name", [
    ("村民代表开会，村民修建了水渠。", None),  # 修建: a common verb, though 修 is a surname
    ("走访了群众王强，他说路灯坏了", "王强"),
    ("村民高峰反映路灯不亮", "高峰"),  # a dictionary word (peak) that is also a name
    ("村民马力家里困难", "马力"),
])
def test_dictionary_words_are_not_names_unless_they_are(text, name):
    ex = extract_entry(text, NOW)
    assert ex.interviewee == (name or "")
    if name:
        assert name in ex.pii


# --- rules generalised from the second blind set (tests/data/extraction_blind2.jsonl) -----------


def test_unpunctuated_dictation_with_spaces_splits_problem_and_plan():
    text = ("昨天去灌水镇河口村看望了脱贫户鞠长江 他说家里的房顶漏了 一下雨炕都湿了 "
            "我当时就找了村里的瓦工 明天上去换瓦")
    ex = extract_entry(text, NOW)
    assert ex.problem == "家里的房顶漏了 一下雨炕都湿了"
    assert ex.solution.startswith("找了村里的瓦工")  # 当时就: a filler, not the plan


def test_noting_a_phone_number_ends_the_problem_and_the_plan_comes_after():
    text = ("今天到青椅山镇高丽城子村走访村民那玉芬，她说闺女高中毕业两年了还没找到工作，"
            "我留了她闺女的电话13812345678。打算把县里招聘会的信息转给她。")
    ex = extract_entry(text, NOW)
    assert ex.problem == "闺女高中毕业两年了还没找到工作"
    assert ex.solution == "把县里招聘会的信息转给她"
    assert ex.interviewee == "那玉芬" and "13812345678" in ex.pii


def test_problem_said_before_its_cue_and_a_reflection_led_in():
    text = ("屯里的自来水管子冻裂了三家没水吃，这是前天我在太平哨镇新屯村走访时户主佟福海跟我说的。"
            "我们当天就联系了水管员上门抢修。这件事让我觉得，冬季走访要盯住水电。")
    ex = extract_entry(text, NOW)
    assert ex.problem == "屯里的自来水管子冻裂了三家没水吃"
    assert ex.solution.startswith("当天就联系了水管员")
    assert ex.reflections == "冬季走访要盯住水电"
    assert ex.place == "新屯村" and ex.interviewee == "佟福海"


def test_a_remark_after_the_last_sentence_of_a_labelled_field_is_not_part_of_it():
    text = "地点：虎山镇虎山村 受访对象：村民 逄德明 反映问题：院墙倒了。解决思路：帮他申请补助。心得：早发现早处理。（3月2日下午走访）"
    ex = extract_entry(text, NOW)
    assert ex.reflections == "早发现早处理" and ex.interviewee == "逄德明"


def test_a_survey_reports_what_most_said():
    text = "上周在永甸镇坦甸村做民意调查 发了五十份问卷 意见最集中的是村里没有路灯 晚上出门摸黑 我们打算申请太阳能路灯"
    ex = extract_entry(text, NOW)
    assert ex.visit_method == "民意调查" and ex.interviewee == ""
    assert ex.problem == "村里没有路灯 晚上出门摸黑"
    assert ex.solution == "申请太阳能路灯" and ex.category == "基础设施"


def test_name_before_a_phone_number():
    ex = extract_entry("走访养蜂户雒长海电话13912345678，他说蜂蜜卖不出去。", NOW)
    assert ex.interviewee == "雒长海" and ex.category == "产业发展"


@pytest.mark.parametrize("text, category", [
    ("两家因为房后的排水沟吵起来了，邻里关系很紧张", "邻里纠纷"),
    ("孩子上初三了，成绩跟不上，想找人辅导功课", "教育"),
    ("家里的猪不吃食还拉稀，想请兽医来看看", "农业技术"),
    ("村里红白喜事大操大办，随礼负担重", "其他"),
])
def test_more_category_words(text, category):
    assert extract_entry("今天走访村民王强，他反映" + text + "。", NOW).category == category


def test_the_extractor_scores_on_its_held_out_sets_within_the_measured_bound():
    """bench/extract.py's scoring of the shipped extractor on the project's held-out sets (in
    sample for the sequence model, which trained on them): 97.8% to 100% per set; bound 96% so
    that a change of the rules or the model that costs more than a field or two is noticed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "bench" / "extract.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cases = bench.fitting.load_cases(sorted((ROOT / "tests" / "data").glob("extraction_*.jsonl")))
    results = bench.run_shipped(cases, GAZ)
    for name, idx in bench.sets_of(cases).items():
        got = bench.tally(cases, results, idx)
        # the helpers' written styles (extraction_written_blind1, by style), in sample: 84.3% (OCR
        # pages: the line-broken problem stays hard even trained on) to 99.1%
        assert got["fields"] >= (0.82 if name.startswith("style ") else 0.96), (name, got)


# --- rules generalised from the third blind set (tests/data/extraction_blind3.jsonl) ------------


@pytest.mark.parametrize("text, name", [
    ("受访对象:村民冷向东 反映问题:儿子没活干。", "冷向东"),  # 向 usually ends a name, not here
    ("受访对象:低保户 宫殿福 电话13800000000", "宫殿福"),  # 宫殿 is a word, 宫殿福 a name
    ("走访的是老单家 单国庆 他说村里手机信号差", "单国庆"),
    ("看了看独居老人庹大爷 庹志远 他说煤涨价了", "庹志远"),
    ("就是走访了一下养牛的包文斌 他家的牛不吃草", "包文斌"),
    ("我去下露河村 走访的崔明哲 他家的稻子旱了", "崔明哲"),
])
def test_names_standing_alone_restated_or_after_a_described_visit(text, name):
    assert extract_entry(text, NOW).interviewee == name


def test_a_name_is_still_not_read_from_ordinary_words():
    ex = extract_entry("今天组织村民修建了水渠，大家干劲很足。", NOW)
    assert ex.interviewee == ""
    from recognize.extract.names import take_name

    assert take_name("向大家 讲了政策", 0) != (0, 3)  # a name read whole never ends in 家


def test_a_township_is_not_read_with_the_particle_before_it():
    ex = extract_entry("今天去的振江镇石柱子村 走访了村民王强", NOW)
    assert ex.place_township == "振江镇"


@pytest.mark.parametrize("text, now, day", [
    ("十号上午去的赵家堡村 走访了村民邰勇", "2024-04-11T20:00:00", "2024-04-10"),
    ("3号那天去了金坑村 走访了村民庹志远", "2024-11-05T20:00:00", "2024-11-03"),
    ("二十号上午到村里走访村民王强", "2024-10-16T20:00:00", "2024-09-20"),  # not yet the 20th: last month
    ("时间:10.15\n地点：西岔村", "2024-10-16T18:00:00", "2024-10-15"),
])
def test_a_day_said_alone_and_a_month_dot_day(text, now, day):
    assert extract_entry(text, now).visit_date == day


@pytest.mark.parametrize("text", ["他家种了1.5亩地", "一年收入3.5万", "住在3号楼的"])
def test_numbers_that_are_not_dates(text):
    from recognize.extract.dates import find_dates

    assert find_dates(text, dt.datetime(2024, 10, 16, 18)) == []


def test_spoken_note_with_a_wish_a_plan_and_a_reflection_without_cue_words():
    text = ("今天去的振江镇石柱子村 走访了脱贫户栾桂兰大姐 她老伴去年住院做了个心脏支架 花了七万多 "
            "大病保险那块到现在还没给报 说材料不全 我把她那些单子都拍了 明天去县医保局帮她问问 "
            "感觉就是 老百姓看病报销这块 流程还是太复杂")
    ex = extract_entry(text, "2024-05-14T21:20:00")
    assert ex.problem.startswith("她老伴去年住院") and ex.problem.endswith("说材料不全")
    assert ex.solution == "把她那些单子都拍了 明天去县医保局帮她问问"
    assert ex.reflections == "老百姓看病报销这块 流程还是太复杂"


def test_the_cadre_telling_someone_is_not_the_villagers_problem():
    text = ("3号那天去了双山子镇金坑村 走访了独居老人庹大爷 庹志远 他家取暖烧的是土暖气 今年煤涨价了 "
            "根本烧不起 我跟村里说了 先从村里临时救助给他送两吨煤 这些独居老人 一到冬天真得常去看看")
    ex = extract_entry(text, "2024-11-05T20:20:00")
    assert ex.problem.startswith("他家取暖烧的是土暖气") and "我跟村里" not in ex.problem
    assert "送两吨煤" in ex.solution
    assert ex.reflections == "这些独居老人 一到冬天真得常去看看"


def test_what_people_said_most_and_what_they_wish_in_a_meeting():
    text = ("在太平哨镇上堡村开了个座谈会 大家提的最多的就是蓝莓收购价压得太低 还卖不出去 "
            "大家想着就是 能不能成立个合作社 统一找销路 我回去跟镇里电商中心对接一下 两家说好了再商量")
    ex = extract_entry(text, "2024-03-21T19:30:00")
    assert ex.visit_method == "集体座谈"
    assert ex.problem == "蓝莓收购价压得太低 还卖不出去"
    assert ex.solution.startswith("成立个合作社") and ex.category == "产业发展"


@pytest.mark.parametrize("text, category", [
    ("冬天清雪不及时，大坡一下雪车就上不去", "道路桥梁"),
    ("今年板栗价格低，雇人捡都不够工钱", "产业发展"),
])
def test_category_words_from_the_third_blind_set(text, category):
    assert extract_entry("今天走访村民王强，他反映" + text + "。", NOW).category == category


# --- rules generalised from the fourth blind set (tests/data/extraction_blind4.jsonl) -----------


def test_what_the_speaker_takes_back_gives_way_to_what_they_say_instead():
    text = ("五月二十号，不对，是二十一号，在八河川镇三道河村，不对，是二道河村，走访了村民滕桂荣，不对，"
            "是滕桂英。她说自来水三天两头停。")
    ex = extract_entry(text, "2024-05-22T20:00:00")
    assert ex.visit_date == "2024-05-21"
    assert ex.place == "二道河村"
    assert ex.interviewee == "滕桂英"


def test_a_problem_said_first_and_attributed_in_the_next_sentence():
    text = ("家里两个劳动力都闲着，想出去打工又不放心家里的老人。这是今天上午在硼海镇富强村入户的时候，"
            "村民栾海波说的。我跟他说镇里的扶贫车间正在招人。")
    ex = extract_entry(text, "2024-04-09T19:40:00")
    assert ex.problem == "家里两个劳动力都闲着，想出去打工又不放心家里的老人"
    assert ex.interviewee == "栾海波"


def test_the_cadre_acting_without_a_plan_word_and_looking_into_it_first():
    text = ("上周二在大西岔镇小西岔村走访了种植户那永刚，他说好多菇棒长绿毛，烂了一大片。"
            "后来我去看了一下，棚里太潮。我拍了照片发给县食用菌站的专家。")
    ex = extract_entry(text, "2024-06-17T20:00:00")
    assert ex.problem == "好多菇棒长绿毛，烂了一大片"
    assert ex.solution.startswith("拍了照片发给县食用菌站的专家")


@pytest.mark.parametrize("text, field, value", [
    ("当事人：衣福生、衣福林（兄弟）\n矛盾情况：兄弟俩为老宅闹翻了。\n调解结果：老宅归老大。", "interviewee", "衣福生"),
    ("当事人：衣福生、衣福林（兄弟）\n矛盾情况：兄弟俩为老宅闹翻了。\n调解结果：老宅归老大。", "solution", "老宅归老大"),
    ("会议类型：村民代表会议\n议题：村集体的空闲地怎么用\n讨论结果：流转给合作社。", "problem", "村集体的空闲地怎么用"),
    ("会议类型：村民代表会议\n议题：村集体的空闲地怎么用\n讨论结果：流转给合作社。", "visit_method", "集体座谈"),
    ("方式：满意度测评\n主要意见：自来水水压小。\n整改措施：加装增压泵。", "problem", "自来水水压小"),
    ("走访对象：村民么国栋\n走访方式：入户走访\n群众诉求：猪场粪污排到沟里。", "interviewee", "么国栋"),
    ("走访对象：曲长海的儿子曲振东\n反映情况：想在县城找个稳定工作。", "interviewee", "曲振东"),
])
def test_more_labels_and_what_they_hold(text, field, value):
    assert getattr(extract_entry(text, NOW), field) == value


@pytest.mark.parametrize("text, now, day", [
    ("日期 9.23\n地址 大川头镇新川村", "2024-09-25T20:00:00", "2024-09-23"),
    ("上个月28号在灌水镇东山村做的民意调查", "2024-05-03T20:00:00", "2024-04-28"),
])
def test_a_month_dot_day_after_a_spaced_label_and_a_day_of_last_month(text, now, day):
    assert extract_entry(text, now).visit_date == day


def test_meeting_topic_then_what_people_said_then_what_was_decided():
    text = ("前几天在宽甸镇长岭子村开了村民代表会议，主要说红白事大操大办的事。代表们说现在村里随礼越随越多，"
            "一份少了二百拿不出手。会上定了，把红白事标准写进村规民约。开完会感觉规矩还得大家一起定才管用。")
    ex = extract_entry(text, "2024-11-05T20:00:00")
    assert "随礼越随越多" in ex.problem
    assert ex.solution == "把红白事标准写进村规民约"
    assert ex.reflections == "规矩还得大家一起定才管用"


@pytest.mark.parametrize("text, field, value", [
    ("昨天下午去长甸镇拉古哨村，村东头的韩大娘拉着我说，她的慢病卡报不了。", "interviewee", "韩大娘"),
    ("9月6号下午，在四平街镇腰岭子村小学开了一个家长座谈会。", "place", "腰岭子村"),
    ("今天在土城子村搞了一次民意调查，统计下来，群众最盼的是技术培训。", "problem", "技术培训"),
    ("在永兴村开展民意调查。结果是四十五岁以上的妇女想就近打零工的最多。", "problem", "四十五岁以上的妇女想就近打零工的最多"),
])
def test_forms_of_address_village_schools_and_survey_results(text, field, value):
    assert getattr(extract_entry(text, NOW), field) == value


# --- rules generalised from the fifth blind set (tests/data/extraction_blind5.jsonl) ------------


def test_a_village_after_its_township_and_de_and_the_group_kept_in_the_place():
    ex = extract_entry("昨天去了青椅山镇的黄家堡村五组，走访了村民吕长海。他说房后的挡墙塌了。", "2025-04-02T20:00:00")
    assert (ex.place, ex.place_village, ex.place_group) == ("黄家堡村五组", "黄家堡村", "五组")
    ex = extract_entry("地点：虎山镇 东岭村 前沟屯\n受访人：村民魏长青", "2025-04-02T20:00:00")
    assert ex.place == "东岭村 前沟屯"  # as written: the evidence span reads the same
    ex = extract_entry("我是县农业农村局派到黄家堡村的驻村干部。", "2025-04-02T20:00:00")
    assert ex.place == "黄家堡村"


def test_a_neighbouring_village_is_not_read_as_a_slip_of_a_known_one():
    # 南荒沟村 is in the demo tree; 北荒沟村 differs by a direction word, so it is another village
    ex = extract_entry("今天在古楼子乡北荒沟村走访了村民宋玉田。", "2025-04-02T20:00:00", GAZ)
    assert (ex.place, ex.place_known) == ("北荒沟村", False)
    ex = extract_entry("今天在古楼子乡南荒钩村走访了村民宋玉田。", "2025-04-02T20:00:00", GAZ)
    assert (ex.place, ex.place_known) == ("南荒沟村", True)


@pytest.mark.parametrize("text, name", [
    ("上午到了长甸镇河口村 走访了 那个 矫玉成 矫大爷 他说腿疼得下不了炕", "矫玉成"),
    ("今天走访了留守儿童孙浩然家，孩子跟着爷爷过。", "孙浩然"),
    ("【走访对象】低保户 洪秀芝\n【反映问题】房顶漏雨", "洪秀芝"),
    ("下午到河口村二组王婶家坐了坐，她说想要个轮椅。", "王婶"),
    ("今天去了河口村，到老于家里看了看，老于说玉米卖不出去。", "老于"),
])
def test_interviewees_said_in_the_ways_notes_say_them(text, name):
    assert extract_entry(text, "2025-04-02T20:00:00").interviewee == name


def test_old_plus_a_surname_character_that_is_a_thing_is_no_name():
    from recognize.extract.names import take_name

    assert take_name("老房子漏雨", 0) is None
    assert take_name("老师说", 0) is None
    assert take_name("老宋说", 0) == (0, 2)


def test_a_number_said_for_the_record_is_neither_problem_nor_plan():
    text = ("今天在河口村走访了村民曲凤兰 她说低保停了三个月了 没人告诉为啥 电话是138 4152 0917 "
            "我的想法是 先到镇民政办查一下原因 还有就是她的身份证号我记一下 210624195503122217 回头核对")
    ex = extract_entry(text, "2025-04-02T20:00:00")
    assert ex.problem == "低保停了三个月了 没人告诉为啥"
    assert ex.solution == "先到镇民政办查一下原因"
    assert "138 4152 0917" in ex.pii and "210624195503122217" in ex.pii


def test_a_phone_number_read_out_in_chinese_digits_is_redacted():
    from recognize.privacy import find_pii, redact

    text = "他留了电话一五九四一五六二二零八，还有座机电话四一二三四五六七。"
    assert find_pii(text)[:2] == ["一五九四一五六二二零八", "四一二三四五六七"]
    assert "一五九四" not in redact(text) and "四一二三" not in redact(text)
    assert redact("二零二四年十一月五号开会") == "二零二四年十一月五号开会"


def test_a_closing_maxim_is_the_reflection_without_a_cue():
    text = ("今天在河口村开了个座谈会，大伙说村里的路灯坏了半年没人修。我们定了月底前换二十个太阳能路灯。"
            "说到底，群众的事拖不得。")
    ex = extract_entry(text, "2025-04-02T20:00:00")
    assert ex.solution == "月底前换二十个太阳能路灯"
    assert ex.reflections == "群众的事拖不得"
    # a last sentence that is still the plan (a person, a deadline) stays in the plan
    ex = extract_entry(text.replace("说到底，群众的事拖不得。", "关键是他家门口那盏月底前得先换上。"), "2025-04-02T20:00:00")
    assert ex.reflections == "" and ex.solution.endswith("得先换上")


def test_what_was_agreed_and_what_a_talk_settled_are_the_plan():
    text = "今天到河口村老于家走访，他说自来水管冻裂了。我看了一下，是管子埋得太浅。跟村里商量好，三天内换根新管子。"
    assert extract_entry(text, "2025-04-02T20:00:00").solution == "三天内换根新管子"
    text = "今天到河口村王婶家走访，她说邻居的狗天天咬她家的鸡。我跟邻居谈了，让他把狗拴起来，咬死的鸡照价赔。"
    assert extract_entry(text, "2025-04-02T20:00:00").solution == "让他把狗拴起来，咬死的鸡照价赔"


def test_a_notebook_line_that_wraps_mid_sentence_does_not_end_the_problem():
    text = "群众反映：今年板栗价格跌得厉\n害，一斤比去年少了三块钱。\n解决办法：联系收购企业签订单。"
    ex = extract_entry(text, "2025-04-02T20:00:00")
    assert ex.problem.replace("\n", "") == "今年板栗价格跌得厉害，一斤比去年少了三块钱"


def test_the_visit_clause_and_the_address_come_before_the_problem():
    text = "上周去了河口村，到低保户孟凡军家看房子。他家住河口村二组15号，西屋的房梁断了，一家人挤在东屋。我联系了镇里。"
    ex = extract_entry(text, "2025-04-02T20:00:00")
    assert ex.interviewee == "孟凡军"
    assert ex.problem == "西屋的房梁断了，一家人挤在东屋"
    assert "二组15号" in ex.pii or "河口村二组15号" in ex.pii


def test_labels_misread_at_the_start_of_a_notebook_line():
    text = ("民心日记 第3页\n时问：2025.3.8 上午\n2.地.点：虎山镇 老边墙村\n受访对像：村民 佟凤琴\n"
            "群众反映：家里的井\n水发浑。\n解决办法：送水样化验。\n心待：吃水无小事。")
    ex = extract_entry(text, "2025-03-09T20:00:00")
    assert (ex.visit_date, ex.place, ex.interviewee) == ("2025-03-08", "老边墙村", "佟凤琴")
    assert ex.problem.replace("\n", "") == "家里的井水发浑"
    assert (ex.solution, ex.reflections) == ("送水样化验", "吃水无小事")
    # in dictation 群众反映 begins a sentence; it is a label only before a colon
    ex = extract_entry("今天在老边墙村开了座谈会 群众反映 最多的是路灯不亮", "2025-03-09T20:00:00")
    assert ex.problem == "路灯不亮"


# --- rules generalised from the sixth blind set (tests/data/extraction_blind6.jsonl) ------------


def test_a_clerks_write_up_reads_the_named_cadre_as_the_writer():
    text = ("4月2日，乡党委副书记周建军到古楼子乡南荒沟村走访了村民马玉珍。马玉珍反映，家门口的小桥"
            "让水冲坏了，孩子上学得绕远。周建军同志表示，先找人用木板搭个便桥，再报乡里列入修复计划。"
            "随行的乡长何立新表示，乡里月底前派人勘察。周建军在日记中写道：小桥连着民心。（乡党政办 记）")
    ex = extract_entry(text, "2025-04-03T09:00:00", GAZ)
    assert ex.interviewee == "马玉珍"
    assert ex.problem == "家门口的小桥让水冲坏了，孩子上学得绕远"
    assert ex.solution == "先找人用木板搭个便桥，再报乡里列入修复计划"
    assert ex.reflections == "小桥连着民心"


def test_the_cadres_remark_and_what_was_asked_after_looking_into_it():
    text = ("3月8日，镇党委书记高振宇来到河口村，走访因病致贫户吕长青一家。吕长青患脑梗两年，看病花光了积蓄。"
            "高振宇详细询问了报销情况，要求镇医保站帮他办理慢特病备案。高振宇说，防止因病返贫，关键是政策落到人头上。")
    ex = extract_entry(text, "2025-03-09T09:00:00")
    assert ex.problem == "吕长青患脑梗两年，看病花光了积蓄"
    assert ex.solution == "镇医保站帮他办理慢特病备案"
    assert ex.reflections == "防止因病返贫，关键是政策落到人头上"
    assert ex.category == "医疗卫生"


def test_a_note_that_opens_with_the_problem_and_says_where_at_the_end():
    text = ("桥头那段护栏让车撞倒了 晚上黑 走路的人容易掉沟里 我跟村主任商量先拉上警戒带 再报镇里换新护栏 "
            "补一句 这是五月六号 在河口村 村民矫玉林反映的")
    ex = extract_entry(text, "2025-05-07T08:00:00")
    assert ex.problem == "桥头那段护栏让车撞倒了 晚上黑 走路的人容易掉沟里"
    assert ex.solution == "跟村主任商量先拉上警戒带 再报镇里换新护栏"
    assert (ex.visit_date, ex.place, ex.interviewee) == ("2025-05-06", "河口村", "矫玉林")
    # a note that opens with the visit is not read this way
    ex = extract_entry("嗯 今天上午在河口村走访了村民矫玉林 他说护栏让车撞倒了", "2025-05-07T08:00:00")
    assert ex.problem == "护栏让车撞倒了"


def test_ocr_slips_in_numbers_full_stops_and_spaced_labels():
    text = ("时问 2O25年3月l2日\n地点 河口村\n受访对彖 低保户 洪玉兰\n反映问题 房顶漏雨o\n"
            "解决恩路 帮她申请危房改造o\n心得休会 住房安全是底线0")
    ex = extract_entry(text, "2025-03-13T09:00:00")
    assert (ex.visit_date, ex.interviewee) == ("2025-03-12", "洪玉兰")
    assert (ex.problem, ex.solution, ex.reflections) == ("房顶漏雨", "帮她申请危房改造", "住房安全是底线")


@pytest.mark.parametrize("text, field, value", [
    ("今天开了村民代表大会，议题是修路还是建蚕场。大家你一言我一语，最后举手表决，20票同意先修路。",
     "solution", "20票同意先修路"),
    ("今天在河口村开了个院坝会，主要说的是垃圾没人清：垃圾箱满了好几天。大伙商量，由村里每周清两次。",
     "solution", "村里每周清两次"),
    ("今天在河口村发了问卷五十份，统计下来，有一半的农户想学果树修剪，但村里没有技术员。",
     "problem", "有一半的农户想学果树修剪，但村里没有技术员"),
    ("今天回访河口村村民吕长青。上次来的时候他说低保停了，我们帮他问了民政办。这次去问，低保恢复了，"
     "可是停发那三个月的钱还没补。我再跟民政办沟通一下补发的事。", "problem", "低保恢复了，可是停发那三个月的钱还没补"),
    ("今天到河口村走访，村民那个 单玉梅 单大姐家 她说自来水停了三天", "interviewee", "单玉梅"),
    ("昨天去河口村看了看关凤英老人 她说腿疼", "interviewee", "关凤英"),
    ("今天到合作社走访，理事长邵长林说，蜂蜜卖不出去。", "interviewee", "邵长林"),
    ("在地头碰上了韩大爷（韩振江），他说毛道让邻居刨了。", "interviewee", "韩振江"),
    ("今天在河口村走访了杜长河，他的事是这样 户口本上的名字和身份证上的不一样 取钱不让取", "problem",
     "户口本上的名字和身份证上的不一样 取钱不让取"),
])
def test_meetings_surveys_return_visits_and_people_as_notes_say_them(text, field, value):
    assert getattr(extract_entry(text, "2025-05-07T08:00:00"), field) == value


# --- rules generalised from the seventh blind set (tests/data/extraction_blind7.jsonl) ----------


def test_a_notebook_page_with_the_cadres_own_line_labels():
    text = ("腊八\n地点：河口村\n走访：低保户吕长青的儿子\n吕明（30岁）\n情况：去年在工地摔伤了腿，\n"
            "干不了重活，想找个\n离家近的活。\n解决 推荐到村里当\n护林员。\n会后想了想：就业稳了\n一家就稳了。")
    ex = extract_entry(text, "2026-01-27T20:00:00")
    assert (ex.visit_date, ex.interviewee) == ("2026-01-26", "吕明")
    assert ex.problem.replace("\n", "") == "去年在工地摔伤了腿，干不了重活，想找个离家近的活"
    assert ex.solution.replace("\n", "") == "推荐到村里当护林员"
    assert ex.reflections.replace("\n", "") == "就业稳了一家就稳了"
    # evidence still points into the page as written, line breaks included
    assert text[ex.evidence["problem"][0] : ex.evidence["problem"][1]] == ex.problem


def test_lunar_festivals_name_the_day():
    assert extract_entry("二月二那天去河口村走访了村民吕长青。", "2025-03-03T18:00:00").visit_date == "2025-03-01"
    assert extract_entry("除夕那天去看了五保户吕长青。", "2025-02-10T18:00:00").visit_date == "2025-01-28"
    assert extract_entry("二月二十号去河口村走访。", "2025-03-03T18:00:00").visit_date == "2025-02-20"


@pytest.mark.parametrize("text, field, value", [
    # the cadre telling someone (回去跟村里说一下, 当时跟他说了) is neither problem nor report
    ("嗯 今天上午到河口村走访了一下老孙家 孙长贵 他家的水管子冻裂了 一直没修 我看了一下 是主管道那段 "
     "回去跟村里说一下 让水管员过来换了", "problem", "他家的水管子冻裂了 一直没修"),
    ("嗯 今天上午到河口村走访了一下老孙家 孙长贵 他家的水管子冻裂了 一直没修 我看了一下 是主管道那段 "
     "回去跟村里说一下 让水管员过来换了", "solution", "跟村里说一下 让水管员过来换了"),
    ("今天去河口村刘桂兰家，老人说高龄补贴没到账，回头帮她问问民政。", "solution", "帮她问问民政"),
    ("6.3上午 河口村 入户看了李大娘，腿疼下不了地，约了镇卫生院大夫周五上门看看。", "interviewee", "李大娘"),
    ("6.3上午 河口村 入户看了李大娘，腿疼下不了地，约了镇卫生院大夫周五上门看看。", "solution",
     "约了镇卫生院大夫周五上门看看"),
    ("今天去河口村走访种植户韩玉林（电话13904151286），他家草莓叶子发焦。建议他先停肥，放风降温。",
     "problem", "他家草莓叶子发焦"),
    ("今天去河口村走访种植户韩玉林（电话13904151286），他家草莓叶子发焦。建议他先停肥，放风降温。",
     "solution", "先停肥，放风降温"),
    ("10月15日，河口村四组，入户走访老杨家。反映：进组的路让车压出深沟。村里先调铲车推平，明年争取硬化。",
     "solution", "村里先调铲车推平，明年争取硬化"),
    ("今天在河口村村部开了个座谈会，大家说果子卖不上价，\n有的户想改种别的。商量\n下来，由村里请专家来讲讲。",
     "solution", "村里请专家来讲讲"),
    ("今天在河口村走访，主要是听了听老于头 于长海的意见 他家的厕所冬天冻上了", "interviewee", "于长海"),
    ("今天去河口村看了五保户吕长青。他家房顶漏雨。我联系了镇里来修。村里老人多，这种事还得早排查。",
     "reflections", "村里老人多，这种事还得早排查"),
])
def test_ordinary_notes(text, field, value):
    assert getattr(extract_entry(text, "2025-10-16T08:00:00"), field) == value


def test_a_label_with_nothing_after_it_never_raises():
    # found by the property test: a misread problem label with an empty value and no plan
    ex = extract_entry("閟题::", "2000-01-01T00:00:00")
    assert (ex.problem, ex.solution) == ("", "")


@pytest.mark.parametrize("text, name", [
    ("前儿个去了八里甸子村 老孙家 孙德福今年六十八了 腿不好", "孙德福"),
    ("走访了那大姐 那玉兰 她说低保停了", "那玉兰"),
    ("去了老宋家 他家房子漏雨", "老宋"),  # no full name said: the nickname is all there is
    ("受访：村民 老曲（曲长顺）\n问题：家里苞米苗出得不齐", "曲长顺"),
    ("今天去了东岭村 老于家跟老关家因为地界吵起来了 于成海说老关家的栅栏占了他家的地", "于成海"),
])
def test_the_named_villager_over_a_nickname_of_the_same_surname(text, name):
    assert extract_entry(text, "2025-03-05T20:00:00").interviewee == name


# --- round two (issue 25): generalised from the failure kinds of the released written set ---
def test_a_county_office_is_the_cadres_unit_not_the_village_visited():
    text = "5月9日，县农业农村局村镇规划科干部李涛到灌水镇碱厂村，查看村民于桂芝家的院墙。"
    assert extract_entry(text, NOW, GAZ).place.startswith("碱厂村")
    assert extract_entry("县水利局村村通办公室的同志去了东岭村", NOW).place.startswith("东岭村")


@pytest.mark.parametrize("text", [
    "去了西岭村 看种木耳的孙秀云 她对象老鄂在边上直叹气 说今年的菌棒出菇少",
    "到南岗子村看望五保户何玉兰 她婆婆老纪也在 说房顶漏雨",
])
def test_a_spouse_or_in_law_beside_the_villager_is_not_the_interviewee(text):
    assert extract_entry(text, NOW, GAZ).interviewee in ("孙秀云", "何玉兰")


@pytest.mark.parametrize("text, method", [
    ("昨儿个 东岭村 把养牛的那几户叫到一块儿 唠了唠草料涨价的事儿", "集体座谈"),
    ("这礼拜一 西岭村 开了个小会 说的是村道路灯不亮", "集体座谈"),
    ("今天在东岭村开展劳动力务工意向摸底，全村三百来人，登记了二百多人", "民意调查"),
])
def test_dialect_meetings_and_village_counts_name_their_method(text, method):
    assert extract_entry(text, NOW, GAZ).visit_method == method
