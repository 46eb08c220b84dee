"""Property tests: extraction never raises, evidence spans are sound."""
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.demo_county import load as load_demo_county
from recognize.extract import Gazetteer, extract_entry
from recognize.privacy import find_pii, redact

GAZ = Gazetteer(units=load_demo_county().units)
WORDS = [
    "时间：", "地点：", "受访对象：", "反映问题：", "解决思路：", "心得体会：", "问题", "思路", "体会", "对象",
    "今天上午", "昨天", "上周五", "腊月二十二", "正月初八", "三月十号", "2023年5月6日", "2023.5.6", "五月二十号下午",
    "南荒沟村", "南荒钩村", "古楼子乡", "三组", "15号", "村民", "户主", "李树", "王玉兰", "老人", "他反映", "说",
    "我打算", "准备", "想法是", "感受", "，", "。", " ", "\n", ":", "座谈", "问卷", "15904157788", "210624196504123013",
    "路灯坏了", "井水发浑", "学费", "垃圾", "村里", "农村", "闰", "初", "廿", "月", "日", "号", "周",
    # notebook pages and clerks' write-ups
    "【时间】", "走访：", "解决 ", "调解：", "时问：", "受访对彖 ", "情况：", "会上商量：", "镇党委书记", "刘洋",
    "同志表示，", "补一句", "这是", "一三八四一五二六七零九", "（", "）", "o", "2O25", "二月二", "除夕", "老宋",
    "家", "商量下来", "说到底，", "跟他说了", "上次", "这次去问", "举手表决",
]
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=5)), max_size=30).map("".join),
)
nows = st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2090, 12, 31))
VERBATIM = ("problem", "solution", "reflections", "interviewee")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, now=nows, use_gaz=st.booleans())
def test_never_raises_and_spans_are_sound(text, now, use_gaz):
    ex = extract_entry(text, now, GAZ if use_gaz else None)
    d = ex.to_dict()
    for fld, (s, e) in d["evidence"].items():
        assert 0 <= s <= e <= len(text), (fld, s, e)
    for fld in VERBATIM:
        if d[fld]:
            s, e = d["evidence"][fld]
            assert text[s:e] == d[fld]
    if d["place"] and d["place_known"] is False:
        s, e = d["evidence"]["place"]
        assert text[s:e] == d["place"]  # an unknown place is shown as written
    assert all(0 <= v <= 1 for v in d["confidence"].values())
    if d["visit_date"] and dt.date.fromisoformat(d["visit_date"]) > now.date():
        # only a date written with its year under a 时间 label may lie after the capture
        s, e = d["evidence"]["visit_date"]
        assert (d["visit_date"][:4] in text[s:e] or "年" in text[s:e]) and d["confidence"]["visit_date"] < 0.5


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_redact_removes_everything_found(text):
    found = find_pii(text)
    shown = redact(text, extra=found)
    for s in found:
        if len(s) >= 2:
            assert s not in shown, s
