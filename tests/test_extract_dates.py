"""Dates and times: every form the issue lists, relative and lunar ones against `now`."""
import datetime as dt

import pytest

from recognize.extract import extract_entry
from recognize.extract.dates import cn_int, find_dates, lunar_to_solar

NOW = dt.datetime(2024, 5, 30, 20, 0)  # a Thursday


def visit(text, now=NOW):
    return extract_entry(text, now)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022年1月3日到南荒沟村走访村民李树", "2022-01-03"),
        ("二〇二三年十月九日上午在虎山村走访", "2023-10-09"),
        ("1月3日到南荒沟村走访", "2024-01-03"),
        ("一月三号到南荒沟村走访", "2024-01-03"),
        ("三月十号在大古岭村座谈", "2024-03-10"),
        ("五月二十号下午去步达远村入户", "2024-05-20"),
        ("2023.5.6 石柱子村 走访", "2023-05-06"),
        ("2023-05-06 石柱子村 走访", "2023-05-06"),
        ("今天上午到南荒沟村", "2024-05-30"),
        ("昨天在大古岭村", "2024-05-29"),
        ("前天在大古岭村", "2024-05-28"),
        ("上周五到石柱子村", "2024-05-24"),
        ("本周三到石柱子村", "2024-05-29"),
        ("三天前去步达远村", "2024-05-27"),
    ],
)
def test_date_forms(text, expected):
    assert visit(text).visit_date == expected


def test_date_without_year_takes_the_year_before_now():
    # said on 5 January: 12月28日 is last December, not the coming one
    assert visit("12月28日到坦甸村走访", dt.datetime(2024, 1, 5, 19)).visit_date == "2023-12-28"
    # a day later in the year than `now` is last year's
    assert visit("6月1日在南荒沟村", NOW).visit_date == "2023-06-01"


def test_time_of_day_and_clock():
    assert visit("五月二十号下午去步达远村入户").visit_time == "下午"
    assert visit("今天上午到南荒沟村").visit_time == "上午"
    assert visit("2024年5月3日下午3点半在南荒沟村").visit_time == "15:30"
    assert visit("2024年5月3日 14:05 在南荒沟村").visit_time == "14:05"
    assert visit("2024年5月3日在南荒沟村").visit_time is None


def test_lunar_dates_around_the_year_boundary():
    # 腊月 said in January 2024 belongs to lunar year 2023 (new year 2024-02-10)
    assert visit("腊月初一，在石湖沟村开展民意调查", dt.datetime(2024, 1, 11, 20)).visit_date == "2024-01-11"
    assert visit("腊月二十二在长岭村走访", dt.datetime(2024, 2, 3, 18)).visit_date == "2024-02-01"
    # after the lunar new year, 正月初八 is this year's
    assert visit("正月初八在曲柳川村开会", dt.datetime(2024, 2, 20, 18)).visit_date == "2024-02-17"
    # 正月初八 said in January 2024 (before the new year) is last year's: 2023-01-29
    assert visit("正月初八在曲柳川村开会", dt.datetime(2024, 1, 20, 18)).visit_date == "2023-01-29"
    # 农历 prefix and numbered months
    assert visit("农历冬月十五，在黎明村", dt.datetime(2023, 12, 30, 19)).visit_date == "2023-12-27"
    assert visit("农历十二月初八那天在拉古哨村", dt.datetime(2024, 2, 25, 19)).visit_date == "2024-01-18"


def test_lunar_conversion_is_never_after_now():
    today = dt.date(2024, 1, 5)
    got = lunar_to_solar(12, 22, today)
    assert got is not None and got <= today
    assert got == dt.date(2023, 1, 13)  # 腊月二十二 of lunar 2022


def test_chinese_numerals_through_cn2an():
    assert [cn_int(s) for s in ("二十二", "十", "廿八", "初八", "三十", "12")] == [22, 10, 28, 8, 30, 12]


def test_future_days_and_schedules_are_not_the_visit_date():
    hits = find_dates("每周三上门一次，下周一再来", NOW)
    assert all(h.future for h in hits)
    assert visit("昨天到南荒沟村，明天再去").visit_date == "2024-05-29"


def test_no_date_said_falls_back_to_capture_day_with_low_confidence():
    ex = visit("到南荒沟村走访村民李树")
    assert ex.visit_date == "2024-05-30"
    assert "visit_date" in ex.review  # the capture day stands in: a person should confirm it
    assert "visit_date" not in ex.evidence


@pytest.mark.parametrize("said, day", [
    ("前儿个去了蒿子沟村", "2025-06-03"),  # captured Thursday 2025-06-05
    ("大前儿个去了蒿子沟村", "2025-06-02"),
    ("头两天去了蒿子沟村", "2025-06-03"),
    ("上个礼拜三去了蒿子沟村", "2025-05-28"),
    ("月底那会儿去了蒿子沟村", "2025-05-31"),  # said early in June: the month just past
    ("上个月初那会儿去了蒿子沟村", "2025-05-01"),
])
def test_dialect_relative_dates_resolve_against_the_capture_time(said, day):
    hits = find_dates(said, dt.datetime(2025, 6, 5, 20, 0))
    assert hits and hits[0].date.isoformat() == day


def test_a_former_daughter_in_law_and_a_plan_for_the_month_end_are_no_dates():
    now = dt.datetime(2025, 6, 5, 20, 0)
    assert find_dates("他前儿媳妇回来了", now) == [] and find_dates("月底前修好", now) == []
