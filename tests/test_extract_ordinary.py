"""Ordinary notes the extractor used to get wrong, one test per kind of failure, each in
sentences written for these tests (none copied from an eval set).  Names go through Baidu LAC
(recognize/ner.py, the real model) combined with the rules."""
from __future__ import annotations

import pytest

from ops.demo_county import load as load_demo_county
from recognize.extract import Gazetteer, extract_entry, vocab
from recognize.privacy import redact

NOW = "2025-06-10T18:00:00"
GAZ = Gazetteer(units=load_demo_county().units)


def ex(text):
    return extract_entry(text, NOW, GAZ)


@pytest.mark.parametrize("text, name", [
    ("今天上午到东沟老郑家，他家苞米让野猪拱了一大片，我回去联系林业站。", "老郑"),
    ("下午去种香菇的老冯家看了看，菌棚塌了半边，我打算帮他申请灾后补助。", "老冯"),
    ("到了吴婶家，吴婶说孙子上学的校车停了，我准备跟教育办反映。", "吴婶"),
    ("老孙头反映屯里的路灯坏了三盏，我当场给电工打了电话。", "老孙头"),
])
def test_villagers_named_the_everyday_way(text, name):
    got = ex(text)
    assert got.interviewee == name
    assert name not in redact(text, extra=got.pii)


def test_a_name_that_is_also_a_word_is_a_name_after_a_cue_and_a_word_elsewhere():
    got = ex("走访村民柳树林，他说屋后的柳树林让人偷砍了十几棵，我联系林业站来看。")
    assert got.interviewee == "柳树林"
    assert "柳树林" in got.pii


def test_a_name_ending_in_he_is_not_cut():
    got = ex("入户走访了村民鲁长和，他反映今年的养老金还没到账，我去乡里社保所问问。")
    assert got.interviewee == "鲁长和" and "鲁长和" in got.pii


def test_a_role_word_is_never_the_name():
    got = ex("走访边缘户钱玉山，他说孩子上大学的学费还差一半，我帮他申请助学贷款。")
    assert got.interviewee == "钱玉山"
    assert not any(p.startswith("边缘") for p in got.pii)


def test_every_person_named_is_in_pii():
    text = "走访村民刘长贵，他和邻居马老四因为地界吵了好几回，我约了两家明天到村部调解。"
    got = ex(text)
    assert got.interviewee == "刘长贵"
    shown = redact(text, extra=got.pii)
    assert "刘长贵" not in shown and "马老四" not in shown


def test_the_cadres_shorthand_labels():
    got = ex("受访：宫宝山\n事：家里房子后墙裂了缝\n办：上报危房鉴定，等鉴定结果出来再定")
    assert (got.interviewee, got.problem) == ("宫宝山", "家里房子后墙裂了缝")
    assert got.solution.startswith("上报危房鉴定")
    got = ex("访：村民冯玉芝\n事：儿子腰伤干不了重活\n答复：帮他报公益岗")
    assert (got.interviewee, got.problem, got.solution) == ("冯玉芝", "儿子腰伤干不了重活", "帮他报公益岗")


def test_unlabelled_problem_lines_under_the_interviewee_line():
    got = ex("走访对象：村民苗春花\n孙女在县医院住院，家里拿不出押金\n准备帮她申请临时救助")
    assert got.interviewee == "苗春花"
    assert got.problem == "孙女在县医院住院，家里拿不出押金"
    assert "临时救助" in got.solution and "苗春花" not in got.problem


def test_a_wrapped_interviewee_line_is_still_one_value():
    got = ex("走访：低保户庞长林的女儿\n庞小雪（15岁）\n情况：初三住校，生活费紧张，想退学打工。\n打算：申请寄宿生补助。")
    assert got.interviewee == "庞小雪"
    assert got.problem.startswith("初三住校")


def test_a_closing_reflection_with_no_cue_word():
    got = ex("走访村民姜桂芝，她说老伴去乡卫生院拿药得倒两趟车，我准备跟卫生院商量每月派村医送一次药。"
             "老人看病难，难就难在这几十里山路上。")
    assert got.solution == "跟卫生院商量每月派村医送一次药"
    assert got.reflections == "老人看病难，难就难在这几十里山路上"


def test_span_boundaries_in_unpunctuated_dictation():
    got = ex("今天上午去了前进村五组 走访村民温长顺 他说屋后那条排水沟堵了 一下大雨水就往院里灌 "
             "我回去找村里安排人清淤 下周前弄完")
    assert got.interviewee == "温长顺"
    assert got.problem == "屋后那条排水沟堵了 一下大雨水就往院里灌"
    assert got.solution == "找村里安排人清淤 下周前弄完"


def test_an_id_number_is_not_part_of_the_solution():
    got = ex("走访村民杜凤山，反映残疾补贴停了。解决思路：帮他到镇残联重新申报，身份证210624196811023316。")
    assert got.solution == "帮他到镇残联重新申报"
    assert "210624196811023316" in got.pii
    got = ex("入户走访了低保户邵金兰，她说低保卡丢了，我准备带她去信用社补办，她的身份证号是210624195503121229。")
    assert "2106" not in got.solution and "信用社补办" in got.solution


@pytest.mark.parametrize("text", [
    "走访村民贺秀莲，她丈夫脑梗住院花了好几万，家里供不起孩子念书，她想申请低保，我把申请表带回去交民政办审核。",
    "走访村民闫宝库，老伴癌症化疗把家底掏空了，他要求办理低保，我帮他把材料报到镇里。",
])
def test_the_category_is_what_was_asked_for(text):
    assert ex(text).category == "社会保障"


def test_a_patients_medical_problem_stays_medical_when_nothing_else_is_asked():
    assert ex("走访村民袁桂琴，她说村卫生室缺降压药，每次都得去镇卫生院拿，我准备跟卫生院协调。").category == "医疗卫生"


def test_rules_are_data_with_an_example_each_and_defined_once():
    import ledger.workflow as workflow
    import webapp.catalogue as catalogue

    assert workflow.CATEGORIES is vocab.CATEGORIES and catalogue.VISIT_METHODS is vocab.VISIT_METHODS
    assert vocab.CATEGORIES[-1] == "其他" and len(vocab.VISIT_METHODS) == 3
    from recognize import lexicon

    for kind in ("labels", "cues", "methods", "categories", "surnames"):
        data = lexicon.load(kind) if kind == "surnames" else vocab.load(kind)
        tables = [v for v in data.values() if isinstance(v, dict)]
        tables += [t for v in data.values() if isinstance(v, list) for t in v if isinstance(t, dict)]
        tables += [t for v in data.get("field", {}).values() for t in [v]] if kind == "labels" else []
        for table in tables:
            if table is data.get("field"):
                continue
            assert table.get("example"), (kind, table)
    assert vocab.load("categories")["ask_example"]


@pytest.mark.parametrize("text, problem, solution", [
    ("嗯 今天下午到大古岭村三组 看了看村民付玉霞 她家那个房子后山墙往外鼓了 下雨天不敢在屋里住 这个得尽快报危房鉴定 先让她搬到她儿子家住几天",
     "她家那个房子后山墙往外鼓了 下雨天不敢在屋里住", "这个得尽快报危房鉴定 先让她搬到她儿子家住几天"),
    ("去了石柱子村老隋家 老隋说自来水这个月停了三回了 每回都得去邻居家挑水 村里答应月底前把管子换了",
     "自来水这个月停了三回了 每回都得去邻居家挑水", "村里答应月底前把管子换了"),
])
def test_a_plan_said_without_wo_in_dictation_ends_the_problem(text, problem, solution):
    got = ex(text)
    assert (got.problem, got.solution) == (problem, solution)


def test_an_official_the_model_sees_is_never_the_villager():
    got = ex("今天和包村的王书记一起到南荒沟村走访，村民反映村路坑洼不平，我们准备报镇里。")
    assert got.interviewee == ""


def test_every_name_in_a_list_of_people_is_in_pii():
    text = "晚上在村部开了个院坝会，参加的有村民代表郝长江、孙丽华和村会计于海等九人，大家说得最多的是垃圾没人清运。"
    got = ex(text)
    shown = redact(text, extra=got.pii)
    assert not any(n in shown for n in ("郝长江", "孙丽华", "于海")), shown
    assert "村会计" in shown  # the role stays readable


def test_a_relative_named_after_a_kin_word_is_in_pii():
    got = ex("村民那德贵的侄子那小军在外打工，家里就剩老两口。")
    assert {"那德贵", "那小军"} <= set(got.pii)


def test_ocr_misread_labels_mid_line():
    got = ex("时问：2025年6月3日上午  受访对像：村民单长顺  反映问趣：屋后排水沟堵了  解决思略：找人清淤")
    assert (got.visit_date, got.interviewee, got.problem, got.solution) == ("2025-06-03", "单长顺", "屋后排水沟堵了", "找人清淤")
