"""Visit dates and times: solar, lunar and relative expressions resolved against `now`.

Chinese numerals go through cn2an; lunar dates through lunardate.  A date said without a
year takes the year that puts it closest before (or at) the capture time; a lunar date takes
the lunar year that makes it the most recent one not after `now` (腊月 said in January
belongs to the previous lunar year).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

import cn2an
from lunardate import LunarDate

CN = "〇零一二两三四五六七八九十廿"
NUM = rf"(?:\d{{1,2}}|[{CN}]{{1,3}})"

_FULL = re.compile(
    rf"(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*(?:日|号)?"
)
_NUMERIC = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20)\d{2})\s*[./\-．]\s*(?P<m>\d{1,2})\s*[./\-．]\s*(?P<d>\d{1,2})(?![\d])"
)
_LUNAR = re.compile(
    r"(?P<lp>农历|阴历|旧历)?(?P<leap>闰)?"
    r"(?P<m>正|腊|冬|十一|十二|[一二三四五六七八九十])月"
    r"(?P<d>初[一二三四五六七八九十]|廿[一二三四五六七八九]?|二十[一二三四五六七八九]?|三十|十[一二三四五六七八九]?|[一二三四五六七八九])"
    r"(?P<suf>日|号)?"
)
# 时间:10.15 — a month.day without a year, standing alone (never 1.5亩 or 3.5万)
_MONTH_DOT = re.compile(
    r"(?:^|(?<=[:：\n]))(?P<m>1[0-2]|0?[1-9])[.．](?P<d>[12]\d|3[01]|0?[1-9])(?=$|[\s，,。；;]|[上下中早晚傍]|日|号)"
)
_MONTH_DOT_VALUE = re.compile(
    r"\s*(?P<m>1[0-2]|0?[1-9])[.．](?P<d>[12]\d|3[01]|0?[1-9])(?=$|[\s，,。；;]|[上下中早晚傍]|日|号)"
)
# 十号上午去的, 3号那天: the day of the month alone, the most recent one
_DAY_ONLY = re.compile(
    rf"(?<![\d月{CN}几])(?P<d>[12]?\d|3[01]|[{CN}]{{1,3}})(?P<suf>号|日)"
    r"(?=那天|当天|这天|上午|下午|中午|早上|晚上|傍晚|去|到|在|我|的|，|,|\s)"
)
# 上个月28号: a day of last month (or of this one)
_MONTH_REL_DAY = re.compile(rf"(?P<rel>上个?月|这个?月|本月)(?P<d>{NUM})(?:号|日)")
_MONTH_DAY = re.compile(rf"(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*(?P<suf>日|号)?")
_RELATIVE = re.compile(
    r"(?P<w>大前天|大前儿个|大前儿(?!媳|子|女)|前天|前日|前儿个|前儿(?!媳|子|女)|头两天|前两天|昨天|昨日|昨儿|昨晚|昨早|今天|今日|今儿|今早|今晚|今晨|当天|"
    r"明天|明日|后天)"
)
# 月底那会儿, 月初那阵儿: the edge of a month said the spoken way, a past day (not 月底前, a plan)
_MONTH_EDGE = re.compile(r"(?P<rel>上个?)?(?P<edge>月底|月末|月初)(?:那会儿?|那阵儿?|那几天|的时候)")
_DAYS_AGO = re.compile(rf"(?P<n>{NUM})\s*天(?:以)?前")
_WEEKDAY = re.compile(r"(?P<rel>上上个?|上个?|本|这个?|下个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")
_CLOCK = re.compile(
    rf"(?P<h>\d{{1,2}}|[{CN}]{{1,3}})\s*(?:[:：](?P<mm>\d{{2}})|点\s*(?:(?P<half>半)|(?P<mi>\d{{1,2}}|[{CN}]{{1,3}})\s*分?)?)"
)
_PERIOD = re.compile(r"上午|下午|中午|晚上|傍晚|早上|早晨|清晨|凌晨|夜里|晌午")

_REL_DAYS = {
    "大前天": -3, "大前儿": -3, "大前儿个": -3, "前天": -2, "前日": -2, "前儿": -2, "前儿个": -2,
    "头两天": -2, "前两天": -2, "昨天": -1, "昨日": -1, "昨儿": -1, "昨晚": -1,
    "昨早": -1, "今天": 0, "今日": 0, "今儿": 0, "今早": 0, "今晚": 0, "今晨": 0, "当天": 0,
    "明天": 1, "明日": 1, "后天": 2,
}
_REL_PERIOD = {"昨晚": "晚上", "今晚": "晚上", "今早": "早上", "今晨": "早上", "昨早": "早上"}
_LUNAR_MONTH_WORD = {"正": 1, "冬": 11, "腊": 12}
# Days the countryside names by their festival (二月二那天, 腊八, 小年 = 腊月二十三 in the north)
_FESTIVAL_DAY = {
    "大年初一": (1, 1), "春节": (1, 1), "破五": (1, 5), "元宵节": (1, 15), "元宵": (1, 15), "二月二": (2, 2),
    "龙抬头": (2, 2), "端午节": (5, 5), "端午": (5, 5), "七夕": (7, 7), "中秋节": (8, 15), "中秋": (8, 15),
    "重阳节": (9, 9), "重阳": (9, 9), "腊八": (12, 8), "小年": (12, 23), "除夕": (12, 0), "大年三十": (12, 0),
}
_FESTIVAL = re.compile("|".join(sorted(_FESTIVAL_DAY, key=len, reverse=True)).replace("二月二", "二月二(?![十日号一二三四五六七八九])"))
_WEEKDAY_WORD = "一二三四五六日"


def cn_int(s: str) -> Optional[int]:
    """'22', '二十二', '廿二', '初八', '二〇二三' -> int (via cn2an)."""
    s = s.strip()
    if s.startswith("初"):
        s = s[1:]
    if not s:
        return None
    if s.isdigit():
        return int(s)
    s = s.replace("廿", "二十").replace("两", "二")
    try:
        v = cn2an.cn2an(s, "smart")
    except Exception:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


@dataclass
class DateHit:
    date: dt.date
    start: int
    end: int
    kind: str  # full | numeric | monthday | day | lunar | relative | weekday
    confidence: float
    future: bool = False


def _solar_without_year(m: int, d: int, today: dt.date) -> Optional[dt.date]:
    for y in range(today.year, today.year - 5, -1):
        try:
            cand = dt.date(y, m, d)
        except ValueError:
            continue
        if cand <= today:
            return cand
    return None


def month_dot_at(text: str, pos: int, today: dt.date) -> Optional[DateHit]:
    """A month.day written as the whole value of a 时间 label (日期 9.23)."""
    m = _MONTH_DOT_VALUE.match(text, pos)
    sol = _solar_without_year(int(m["m"]), int(m["d"]), today) if m else None
    return DateHit(sol, m.start(), m.end(), "monthday", 0.75) if sol else None


def _day_without_month(d: int, today: dt.date) -> Optional[dt.date]:
    """The most recent date <= today on day `d` of a month (this month or the one before)."""
    y, m = today.year, today.month
    for _ in range(3):
        try:
            cand = dt.date(y, m, d)
        except ValueError:
            cand = None
        if cand is not None and cand <= today:
            return cand
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return None


def _lunar_new_years_eve(today: dt.date) -> Optional[dt.date]:
    """The most recent 除夕 (the day before a lunar new year) not after today."""
    for year in (today.year, today.year - 1):
        try:
            eve = LunarDate(year, 1, 1).to_solar_date() - dt.timedelta(days=1)
        except ValueError:
            continue
        if eve <= today:
            return eve
    return None


def lunar_to_solar(m: int, d: int, today: dt.date, leap: bool = False) -> Optional[dt.date]:
    """The most recent solar date <= today for lunar month m, day d."""
    best = None
    for ly in range(today.year + 1, today.year - 3, -1):
        try:
            cand = LunarDate(ly, m, d, leap).to_solar_date()
        except Exception:
            continue
        if cand <= today and (best is None or cand > best):
            best = cand
    return best


def find_dates(text: str, now: dt.datetime) -> list[DateHit]:
    """All date expressions in (normalized) text, in order of position, overlaps removed."""
    today = now.date()
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def add(hit: DateHit) -> None:
        hits.append(hit)
        taken.append((hit.start, hit.end))

    for m in _FULL.finditer(text):
        y, mo, d = cn_int(m["y"]), cn_int(m["m"]), cn_int(m["d"])
        try:
            day = dt.date(y, mo, d)
            add(DateHit(day, m.start(), m.end(), "full", 0.97, future=day > today))
        except (TypeError, ValueError):
            continue
    for m in _NUMERIC.finditer(text):
        if not free(m.start(), m.end()):
            continue
        try:
            day = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            add(DateHit(day, m.start(), m.end(), "numeric", 0.95, future=day > today))
        except ValueError:
            continue
    for m in _LUNAR.finditer(text):
        if not free(m.start(), m.end()):
            continue
        lunar = bool(m["lp"] or m["leap"]) or m["m"] in _LUNAR_MONTH_WORD or m["d"][0] in "初廿"
        if not lunar:
            continue  # an ordinary solar 五月二十号: handled below
        mo = _LUNAR_MONTH_WORD.get(m["m"]) or cn_int(m["m"])
        d = cn_int(m["d"])
        if not mo or not d:
            continue
        sol = lunar_to_solar(mo, d, today, bool(m["leap"]))
        if sol is not None:
            add(DateHit(sol, m.start(), m.end(), "lunar", 0.85))
    for m in _FESTIVAL.finditer(text):
        if not free(m.start(), m.end()):
            continue
        mo, d = _FESTIVAL_DAY[m.group()]
        sol = lunar_to_solar(mo, d, today) if d else _lunar_new_years_eve(today)
        if sol is not None:
            add(DateHit(sol, m.start(), m.end(), "lunar", 0.8))
    for m in _MONTH_DAY.finditer(text):
        if not free(m.start(), m.end()):
            continue
        # '十月' in '十月份' or a bare Chinese month-day without 日/号 is too loose: "三月十个"
        if not m["suf"] and not (m["m"].isdigit() and m["d"].isdigit()):
            continue
        if m["suf"] is None and m.end() < len(text) and text[m.end()].isdigit():
            continue
        mo, d = cn_int(m["m"]), cn_int(m["d"])
        if not mo or not d or not (1 <= mo <= 12 and 1 <= d <= 31):
            continue
        sol = _solar_without_year(mo, d, today)
        if sol is not None:
            add(DateHit(sol, m.start(), m.end(), "monthday", 0.9))
    for m in _MONTH_REL_DAY.finditer(text):
        if not free(m.start(), m.end()):
            continue
        d = cn_int(m["d"])
        first = today.replace(day=1)
        if m["rel"].startswith("上"):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        try:
            day = first.replace(day=d) if d else None
        except ValueError:
            day = None
        if day is not None:
            add(DateHit(day, m.start(), m.end(), "monthday", 0.85, future=day > today))
    for m in _MONTH_DOT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        sol = _solar_without_year(int(m["m"]), int(m["d"]), today)
        if sol is not None:
            add(DateHit(sol, m.start(), m.end(), "monthday", 0.75))
    for m in _DAY_ONLY.finditer(text):
        if not free(m.start(), m.end()):
            continue
        d = cn_int(m["d"])
        sol = _day_without_month(d, today) if d else None
        if sol is not None:
            add(DateHit(sol, m.start(), m.end(), "day", 0.75))
    for m in _RELATIVE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        off = _REL_DAYS[m["w"]]
        add(DateHit(today + dt.timedelta(days=off), m.start(), m.end(), "relative", 0.9, future=off > 0))
    for m in _MONTH_EDGE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        this_first = today.replace(day=1)
        if m["edge"] == "月初":
            day = (this_first - dt.timedelta(days=1)).replace(day=1) if m["rel"] else this_first
        elif m["rel"] or today.day < 20:  # 月底那会儿 said early in a month: the month just past
            day = this_first - dt.timedelta(days=1)
        else:
            day = today
        if day <= today:
            add(DateHit(day, m.start(), m.end(), "relative", 0.6))
    for m in _DAYS_AGO.finditer(text):
        if not free(m.start(), m.end()):
            continue
        n = cn_int(m["n"])
        if n is None or n > 60:
            continue
        add(DateHit(today - dt.timedelta(days=n), m.start(), m.end(), "relative", 0.85))
    for m in _WEEKDAY.finditer(text):
        if not free(m.start(), m.end()):
            continue
        if not m["rel"] and m.start() > 0 and text[m.start() - 1] in "每隔一两":
            continue  # 每周三 / 隔周一: a schedule, not a day
        if text[m.end() : m.end() + 1] == "次":
            continue  # 每周一次
        wd_s = m["wd"]
        wd = int(wd_s) - 1 if wd_s.isdigit() else (6 if wd_s in "日天" else _WEEKDAY_WORD.index(wd_s))
        rel = (m["rel"] or "").replace("个", "")
        monday = today - dt.timedelta(days=today.weekday())
        if rel == "上":
            day = monday - dt.timedelta(days=7) + dt.timedelta(days=wd)
        elif rel == "上上":
            day = monday - dt.timedelta(days=14) + dt.timedelta(days=wd)
        elif rel in ("本", "这"):
            day = monday + dt.timedelta(days=wd)
        elif rel == "下":
            day = monday + dt.timedelta(days=7 + wd)
        else:  # a bare 周三: the most recent one
            day = today - dt.timedelta(days=(today.weekday() - wd) % 7)
        add(DateHit(day, m.start(), m.end(), "weekday", 0.8, future=day > today))
    hits.sort(key=lambda h: h.start)
    return hits


def _hour(h: int, period: Optional[str]) -> int:
    if period in ("下午", "晚上", "傍晚", "夜里") and h < 12:
        return h + 12
    if period == "中午" and h < 6:
        return h + 12
    return h


def find_time(text: str, pos: int, limit: int = 12, rel_word: str = "") -> tuple[Optional[str], Optional[tuple[int, int]]]:
    """Time of day said right after position `pos` (the end of a date): '下午' or '14:30'."""
    window = text[pos : pos + limit]
    lead = len(window) - len(window.lstrip(" ，,\t"))
    period = None
    span = None
    pm = _PERIOD.match(window, lead)
    cursor = lead
    if pm:
        period = pm.group()
        span = (pos + pm.start(), pos + pm.end())
        cursor = pm.end()
    elif rel_word in _REL_PERIOD:
        period = _REL_PERIOD[rel_word]
    cm = _CLOCK.match(window, cursor + (len(window[cursor:]) - len(window[cursor:].lstrip(" "))))
    if cm:
        h = cn_int(cm["h"])
        mi = 30 if cm["half"] else cn_int(cm["mm"] or cm["mi"] or "0")
        if h is not None and mi is not None and 0 <= h <= 24 and 0 <= mi < 60 and (cm["mm"] or "点" in cm.group()):
            h = _hour(h, period)
            if h < 24:
                return f"{h:02d}:{mi:02d}", (span[0] if span else pos + cm.start(), pos + cm.end())
    return period, span
