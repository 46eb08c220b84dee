"""Splitting a note into fields: labelled sections and free dictation.

Labelled style: ``时间：… 地点：… 受访对象：… 反映问题：… 解决思路：… 心得体会：…`` with full- or
half-width colons, a space, or (for the long, unambiguous labels) nothing at all after the
label; four-character labels may carry one wrong character before a colon (OCR: 受访对像).
Free dictation: cue words mark where the problem, the cadre's plan and the reflections begin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from recognize.extract import vocab
from recognize.extract.textutil import PUNCT, SENT_END, SPACE, is_han, sentence_end, sentence_start, trim_span

LABELS: dict[str, tuple[str, ...]] = {
    f: tuple(v["words"]) + tuple(w for w, fld in vocab.load("labels")["misread"].items() if fld == f)
    for f, v in vocab.load("labels")["field"].items()}
_LABEL_FIELD = {lab: f for f, labs in LABELS.items() for lab in labs}
_ALL_LABELS = sorted(_LABEL_FIELD, key=len, reverse=True)
# 群众反映 also begins sentences of dictation (群众反映最多的是…): a label only before a colon
_COLON_ONLY = set(vocab.load("labels")["colon_only"]["words"])
_LONG_LABELS = {lab for lab in _ALL_LABELS if len(lab) >= 4} - _COLON_ONLY
_FOUR = [lab for lab in _ALL_LABELS if len(lab) == 4]
_LABEL_RE = re.compile("|".join(map(re.escape, _ALL_LABELS)))
_COLON = ":：】]"  # 【时间】2024.6.28: a bracketed label ends where a colon would be
_BOUNDARY = set(PUNCT) | set(SPACE)
_NUMBER_FIELDS = ("phone", "idcard")
# fields whose value is one line of a page: lines under them without a label are the note itself
_ONE_LINE_FIELDS = ("time", "place", "interviewee", "method")
_NUMBER_VALUE = re.compile(r"[+\d][\dXx \-－—()（）]*[\dXx]")


# "2.地.点：" at the start of a line: the label text between the numbering and the colon
_LINE_LABEL = re.compile(r"(?:^|(?<=[\n\u3000]))[ \t\u3000]*(?:\d{1,2}[.、．]|[一二三四五六七八九十]{1,2}[、.．]|[【\[])?[ \t]*"
                         r"(?:(?P<lab>[^\s:：】\]]{2,6}?)(?=[ \t]*[:：】\]])|(?P<spaced>[\u4e00-\u9fff]{2,5})(?=[ \t\u3000]+\S))",
                         re.M)


# Words that head a line of a notebook page as a label, but are ordinary words in a sentence.
_LINE_ONLY_LABELS = {k: v for k, v in vocab.load("labels")["line_only"].items() if k != "example"}


def _line_label(text: str, m: re.Match) -> Optional[tuple[str, int, int]]:
    """(field, label start, label end) for a _LINE_LABEL match that is a label."""
    key = "lab" if m["lab"] else "spaced"
    cand = "".join(ch for ch in m[key] if is_han(ch))
    if not 2 <= len(cand) <= 5 or len(m[key]) - len(cand) > 1:
        return None
    if cand in _LINE_ONLY_LABELS:
        return _LINE_ONLY_LABELS[cand], m.start(key), m.end(key)
    if key == "spaced" and len(cand) < 4:
        return None  # 问题 … at a line start is found as a label already; 2-3 misread characters are too loose
    near = [lab for lab in _ALL_LABELS if len(lab) == len(cand) and sum(a != b for a, b in zip(cand, lab)) <= 1]
    exact = [lab for lab in near if lab == cand]
    if exact or len({_LABEL_FIELD[lab] for lab in near}) == 1:
        return _LABEL_FIELD[(exact or near)[0]], m.start(key), m.end(key)
    return None


_SHORTHAND = {k: v for k, v in vocab.load("labels")["shorthand"].items() if k != "example"}
_SHORTHAND_RE = re.compile(r"(?:^|(?<=[\n\u3000 \t]))[ \t\u3000]*(?:\d{1,2}[.、．][ \t]*)?(?P<lab>"
                           + "|".join(sorted(map(re.escape, _SHORTHAND), key=len, reverse=True)) + r")[ \t]*[:：]", re.M)


def label_field_at_line_start(text: str, pos: int) -> Optional[str]:
    """The field of the label that opens the line starting at `pos`, or None."""
    m = _LINE_LABEL.match(text, pos)
    got = _line_label(text, m) if m else None
    if got is not None:
        return got[0]
    lm = _LABEL_RE.match(text, pos)
    if lm and _sep_after(text, lm.end())[1] in ("colon", "space"):
        return _LABEL_FIELD[lm.group()]
    sm = _SHORTHAND_RE.match(text, pos)
    return _SHORTHAND[sm["lab"]] if sm else None


_BRACKETS = re.compile(r"[（(][^）)\n]*[）)]")
_KIN_END = re.compile(r"的(?:儿子|女儿|儿媳|女婿|孙子|孙女|老伴|妻子|丈夫|爱人|父亲|母亲|弟弟|哥哥|姐姐|妹妹)?\s*$")


def ends_one_line_field(text: str, nl: int) -> bool:
    """Whether the break at `nl` ends the value of a one-line field (访：村民冯玉芝 / 孩子住院…)
    rather than wrapping it (走访：高振东的儿子 / 高明（28岁）)."""
    ls = text.rfind("\n", 0, nl) + 1
    if label_field_at_line_start(text, ls) not in _ONE_LINE_FIELDS or _KIN_END.search(text, ls, nl):
        return False
    ne = text.find("\n", nl + 1)
    nxt = _BRACKETS.sub("", text[nl + 1 : ne if ne >= 0 else len(text)])
    return sum(map(is_han, nxt)) >= 5


def label_at_line_start(text: str, pos: int) -> bool:
    """Whether the line starting at `pos` opens with a label (so the break before it is real)."""
    return label_field_at_line_start(text, pos) is not None


@dataclass
class Section:
    field: str
    label_start: int
    value_start: int
    value_end: int = 0


def _sep_after(text: str, pos: int) -> tuple[int, str]:
    """(position after the separator, kind: colon | space | none)."""
    i = pos
    while i < len(text) and text[i] in " \t\u3000":
        i += 1
    if i < len(text) and text[i] in _COLON:
        i += 1
        while i < len(text) and text[i] in SPACE:
            i += 1
        return i, "colon"
    if i > pos or (i < len(text) and text[i] in "\r\n"):
        while i < len(text) and text[i] in SPACE:
            i += 1
        return i, "space"
    return pos, "none"


def find_sections(text: str) -> list[Section]:
    found: list[Section] = []
    pos = 0
    for m in _LABEL_RE.finditer(text):
        if m.start() < pos:
            continue
        lab = m.group()
        after, kind = _sep_after(text, m.end())
        at_boundary = m.start() == 0 or text[m.start() - 1] in _BOUNDARY
        if kind == "colon":
            ok = True
        elif kind == "space":
            ok = at_boundary and lab not in _COLON_ONLY
        else:
            ok = at_boundary and lab in _LONG_LABELS and after < len(text) and text[after] not in "的是了"
        if not ok or after >= len(text):
            continue
        start = m.start()
        if kind == "colon" and not at_boundary:
            # 张海涛体会：… / 我的体会：…: a short subject glued to the label belongs to it
            i = start
            while i > 0 and start - i < 4 and is_han(text[i - 1]):
                i -= 1
            if i < start and (i == 0 or text[i - 1] in SENT_END or text[i - 1] in SPACE):
                start = i
        found.append(Section(_LABEL_FIELD[lab], start, after))
        pos = after
    # four-character labels with one wrong character, before a colon (OCR)
    taken = {(s.label_start) for s in found}
    for i, ch in enumerate(text):
        if ch not in _COLON or i < 4:
            continue
        s = i - 4
        if s in taken or any(sec.label_start <= s < sec.value_start for sec in found):
            continue
        if s > 0 and text[s - 1] not in _BOUNDARY:
            continue
        cand = text[s:i]
        for lab in _FOUR:
            if sum(a != b for a, b in zip(cand, lab)) == 1:
                after, _ = _sep_after(text, i)
                found.append(Section(_LABEL_FIELD[lab], s, after))
                break
    # a label at the start of a notebook line: misread by the recognizer (时问：, 地.点：, 受访对彖 …)
    # or one of the short words cadres head a line with (走访：, 解决 …, 调解：)
    for m in _LINE_LABEL.finditer(text):
        got = _line_label(text, m)
        if got is None:
            continue
        fld, s0, colon = got
        if any(sec.label_start <= s0 < max(sec.value_start, sec.label_start + 1) for sec in found):
            continue
        after, _ = _sep_after(text, colon)
        if after < len(text):
            found.append(Section(fld, s0, after))
    # the cadres' shorthand (事：, 办：, 结果：, 访：) at a line start
    for m in _SHORTHAND_RE.finditer(text):
        s0 = m.start("lab")
        if any(sec.label_start <= s0 < max(sec.value_start, sec.label_start + 1) for sec in found):
            continue
        after, _ = _sep_after(text, m.end() - 1)
        if after < len(text):
            found.append(Section(_SHORTHAND[m["lab"]], s0, after))
    found.sort(key=lambda s: s.label_start)
    # 访：村民冯玉芝 / 孩子在县医院住院…: unlabelled lines under a one-line field are what was found
    for k, sec in enumerate(list(found)):
        if sec.field not in _ONE_LINE_FIELDS:
            continue
        end = found[k + 1].label_start if k + 1 < len(found) else len(text)
        nl = text.find("\n", sec.value_start, end)
        if nl > sec.value_start and text[nl:end].strip() and ends_one_line_field(text, nl):
            found.append(Section("lines", nl + 1, nl + 1))
    found.sort(key=lambda s: s.label_start)
    out: list[Section] = []
    for k, sec in enumerate(found):
        sec.value_end = found[k + 1].label_start if k + 1 < len(found) else len(text)
        if sec.value_end <= sec.value_start:
            continue
        out.append(sec)
        if sec.field in _NUMBER_FIELDS:
            # 电话 / 身份证号 hold a number; what follows it is ordinary text
            m = _NUMBER_VALUE.match(text, sec.value_start, sec.value_end)
            if m and m.end() > sec.value_start:
                rest_start = m.end()
                if sec.value_end - rest_start > 1:
                    out.append(Section("content", rest_start, rest_start, sec.value_end))
                    sec.value_end = rest_start
    return out


def clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    return trim_span(text, start, end)


def drop_trailing_remark(text: str, start: int, end: int) -> tuple[int, int]:
    """A bracketed remark after the last sentence of a value (…精神财富。（6月25日下午走访）)
    is a note about the visit, not part of the field."""
    s, e = trim_span(text, start, end, chars=SPACE)
    if e - s < 2 or text[e - 1] not in "）)":
        return trim_span(text, start, end)
    o = max(text.rfind("（", s, e), text.rfind("(", s, e))
    if o > s and text[o - 1] in SENT_END:
        return trim_span(text, s, o)
    return trim_span(text, start, end)


# ---------------------------------------------------------------------------------------
# Free dictation

_PROBLEM_CUES = vocab.pattern("problem")
_WEAK_PROBLEM_CUES = vocab.pattern("weak_problem")
_PROBLEM_LEAD = re.compile(
    r"^(?:了|说|道|出来|出|到|起|着|过)*\s*[:：，,]?\s*"
    r"(?:(?:最多|最大|最突出|最关心|最集中|主要)的?(?:问题|困难|事)?(?:是|有)|(?:的)?问题是|的就是|的是|主要是|就是|说)?"
    r"\s*[:：，,]?\s*"
)
# The cadre's plan.  First person + an action verb marks it even without a cue word.
# 我们商… covers 商量/商定/商议 and ASR slips of them (商良心 for 商量先).
_SOLUTION_CUES = vocab.pattern("solution")
# The cadre noting or asking something (我留了他的电话, 我回来问了民政办): the villager's problem
# has ended there, but this is no plan yet; the plan is the next plan cue.
_REPORT_CLAUSE = vocab.pattern("report")
_OTHER_OFFICIAL = re.compile(
    r"(?:(?<=[。！？；;\n])|(?<=[。！？；;]\s))(?:随行的|陪同的|同去的)?[\u4e00-\u9fff]{0,6}?(?:书记|县长|镇长|乡长|主任|局长|站长|所长)"
    r"[\u4e00-\u9fff]{2,3}?(?:同志)?(?:表示|说|指出|介绍|补充)")
# 我说，…: the cadre's remark, not an act
_CADRE_SAYS = re.compile(r"我们?(?:说|认为|感慨)\s*[，,：:]")


def _told_after(text: str, report: int, ceil: int) -> Optional[re.Match]:
    """In the sentence of a report clause (我跟养猪户谈了，让他…; 我询问了…，要求…), the
    clause that says what is to be done."""
    return _TOLD_TO_DO.search(text, report, min(ceil, sentence_end(text, report, ceil)))


_LATE_INTRO = re.compile(
    r"(?:(?:哦|噢|啊)[ \t，,]*对了|补一句|补充一下|忘了说了?)"
    r"|(?<=[\s，,。])(?:这是|这个是)?(?:今天|昨天|前天|\d{1,2}月|[一二三四五六七八九十]{1,3}月)[^。！？]{0,30}?"
    r"(?:走访的|去的|反映的|说的|录的)")
# What opens a note when it opens with the visit: when, where, who went.
_INTRO_MARK = re.compile(r"今天|昨天|前天|上午|下午|晚上|早上|月|号|日|周|礼拜|星期|村|镇|乡|屯|走访|入户|看望|座谈|"
                         r"调查|开会|我|日记|第")
_FILLER_LEAD = re.compile(r"(?:\s*(?:就是说|就是|然后呢|然后|这个|那个|嗯|啊|呃)\s*)*")


def _opens_with_problem(text: str, a: int, b: int) -> bool:
    """The first sentence is a long statement whose first clause (fillers aside) has none of
    the marks of a visit's intro."""
    first_end = sentence_end(text, a, b)
    if _han_count(text, a, first_end) < 12:
        return False
    pos = a
    while pos < first_end:
        pos = _FILLER_LEAD.match(text, pos, first_end).end()
        clause_end = pos
        while clause_end < first_end and text[clause_end] not in "，,；; \t\u3000":
            clause_end += 1
        if clause_end > pos:
            return _han_count(text, pos, clause_end) >= 4 and not _INTRO_MARK.search(text, pos, clause_end)
        pos = clause_end + 1
    return False


_EARLIER_VISIT = re.compile(r"\s*(?:上次|上回|之前|以前|前些天|前段时间)")
_TOLD_TO_DO = re.compile(r"(?<=[，,])\s*(?:(?:让|叫|劝)(?:他|她)们?|要求|责成|督促|安排|提出|答应)")
# "…拖拉机陷进去好几回，这是…卜庆山跟我说的": the problem was said before its cue.
_SAID_BEFORE = re.compile(r"[，,]\s*(?:这|以上|上面)(?:些|就)?(?:都)?是")
# …能干的活。这是今天上午…村民栾海波说的。: the same, as a sentence of its own
_SAID_BEFORE_SENTENCE = re.compile(r"\s*(?:这|以上|上面)(?:些|就)?(?:都)?是")
_SOLUTION_LEAD = re.compile(
    r"^(?:最后|最终)?\s*(?:我们|我|大家)?\s*(?:的)?(?:建议(?:他|她)们?|想法|思路|打算|办法|计划|意见|建议|意思|想的)?(?:是)?\s*[:：，,]?\s*"
    r"(?:会上|经)?(?:大家|大伙|大家伙|代表们)?(?:初步考虑|初步打算|下一步|下步|商量下来|研究下来|讨论下来|打算|准备|计划|决定|商量|商定|研究|讨论|定了|拟|就?想着(?:就是)?|(?:举手|投票)?表决|投票)?"
    r"(?:决定|确定|后)?\s*[:：，,]?\s*"
    r"(?:(?:(?:跟|和)[^，,。；;\s]{1,6}?)?(?:商量|商定|说|谈|讲)好了?|定下来了?|谈妥了?|(?:商量|研究|讨论)下来|建议(?:他|她)们?)?"
    r"\s*[:：，,]?\s*(?:由)?"
    r"(?:(?:当时|当场)?就?(?:跟|给|对)(?:他|她)们?(?:说|讲)了?\s*[，,]?\s*)?"
    r"(?:回(?:去|头|来)(?:后|以后)?)?"
    r"(?:当时)?就?(?:(?:当场|当即)?(?:答应|承诺))?(?:(?:表示|指出|要求|提出|强调)\s*[，,：:]?\s*(?:要|由)?)?(?:看)?(?:能不能)?\s*"
)
_REFLECTION_CUES = vocab.pattern("reflection")
_REFLECTION_LEAD = re.compile(r"^\s*[:：，,]?\s*(?:(?:嗯|啊|就是)\s*)*")
# Spoken reflections often come without a cue of the labelled kind: 感觉就是…, 这个事吧 就是…,
# or a remark about such villagers in general (这些五保老人…).  Only after the plan began, and
# only at the start of a clause.  The second kind belongs to the reflection itself.
_WEAK_REFLECTION_CUES = vocab.pattern("weak_reflection")
# A reflection led in by a few words (开完会感觉…, 看来…): after the plan, early in its sentence.
_LED_REFLECTION = re.compile(r"(?:我们?)?(?:感觉|看来|觉得)(?:就是|到)?")
# A clause that starts with the cadre (not 我觉得 / 我感觉 / 我认为, which are reflections).
_CADRE_CLAUSE = re.compile(r"(?<=[，,。；;！!？?\s])我们?(?![觉感认是的])")
_TALKS_TO = re.compile(r"(?:跟|和|给|向|对)(?!我)[^，,。；;\s]{1,6}说$")
# A problem cue in a clause where the cadre speaks to someone (我跟村里说了) is not the villager's.
_CADRE_TALKS = re.compile(r"我们?(?:跟|和|给|向|对|同)")


# A phone or ID number said for the record (电话是139…, 留了电话一三八…, 身份证号我记一下 2106…)
# is a note of the cadre's, neither the villager's problem nor the plan.
_RECORD_NUMBER = re.compile(r"[0-9０-９](?:[ \-]?[0-9０-９]){6,}|[零〇一二三四五六七八九幺](?:[ \-]?[零〇一二三四五六七八九幺]){6,}")
_NUMBER_WORD = re.compile(r"身份证|电话|手机|号码")


def _before_record_number(text: str, start: int, end: int) -> int:
    """`end`, or the start of the clause in text[start:end] that records a number."""
    m = _RECORD_NUMBER.search(text, start + 1, end)
    if not m:
        return end
    cut = sentence_start(text, m.start(), start, stops=PUNCT)
    word = None
    for word in _NUMBER_WORD.finditer(text, max(start, cut - 14), cut):
        pass
    if word is not None:  # 她的身份证号我记一下 210624…: the clause naming the number goes too
        cut = sentence_start(text, word.start(), start, stops=PUNCT)
    return cut if _han_count(text, start, cut) >= 4 else end


def drop_record_number(text: str, start: int, end: int) -> tuple[int, int]:
    """A labelled value that ends by recording a number (…重新申报，身份证2106…。) ends before
    that clause: the number is the villager's record, not part of the plan."""
    cut = _before_record_number(text, start, end)
    if cut >= end:
        return start, end
    m = _RECORD_NUMBER.search(text, cut, end)
    if m is None or _han_count(text, m.end(), end) >= 4:
        return start, end  # more plan after the number: the value stays whole
    return trim_span(text, start, cut)


@dataclass
class Span:
    start: int
    end: int
    confidence: float


@dataclass
class FreeFields:
    problem: Optional[Span] = None
    solution: Optional[Span] = None
    reflections: Optional[Span] = None
    problem_cue: Optional[int] = None


def _lead_strip(text: str, start: int, end: int, lead: re.Pattern) -> tuple[int, int]:
    m = lead.match(text[start:end])
    if m:
        start += m.end()
    return trim_span(text, start, end)



def free_fields(text: str, a: int, b: int, after: int = 0, fallback_problem: Optional[int] = None,
                opening_problem: bool = False) -> FreeFields:
    """Problem / solution / reflections from cue words inside text[a:b].

    `after`: where to start looking for the problem cue (e.g. after the visit intro);
    `fallback_problem`: where the problem starts when no cue word is said (after the
    interviewee's name); `opening_problem`: the note may open with the problem itself.
    """
    out = FreeFields()
    recalled = None
    # 路基被水掏空了一块 … 补一句 这是三月二十八号 在…村 庞立新反映的: said first, placed last
    late = _LATE_INTRO.search(text, a, b)
    barrier = late.start() if late and _han_count(text, a, late.start()) >= 12 else b
    # problem cue: strong cues first, weak ones only when nothing else is said
    pm = None
    uncued = False
    for regex in (_PROBLEM_CUES, _WEAK_PROBLEM_CUES):
        for m in regex.finditer(text, max(a, after), b):
            clause = sentence_start(text, m.start(), a, stops=PUNCT)
            if _CADRE_TALKS.match(text, clause) or (m.group() == "说" and _TALKS_TO.search(text, clause, m.end())):
                continue  # 我跟村里说了, 回去跟村里说一下, 当时跟他说了: the cadre speaking
            if _EARLIER_VISIT.match(text, sentence_start(text, m.start(), a)):
                recalled = recalled or m
                continue  # 上次来的时候他说…: what was raised before; this visit's problem comes later
            if regex is _WEAK_PROBLEM_CUES and text[sentence_start(text, m.start(), a):m.start()].lstrip().startswith("我"):
                continue  # 我询问了…，要求镇医保站…: the cadre's demand, not the villager's
            if (m.group() == "说" and clause == m.start() and fallback_problem is not None
                    and _han_count(text, fallback_problem, m.start()) >= 6):
                # …还没给报 说材料不全: hearsay inside a problem that began, uncued, after the name
                uncued = True
                break
            pm = m
            break
        if pm or uncued:
            break
    if pm is None and not uncued and recalled is not None:
        pm = recalled
    p_content = None
    p_conf = 0.0
    said_before = None
    if opening_problem and _opens_with_problem(text, a, b):
        pm, uncued = None, False
        fallback_problem = a
    if pm:
        p_content = _lead_strip(text, pm.end(), b, _PROBLEM_LEAD)[0]
        out.problem_cue = pm.start()
        p_conf = 0.8 if pm.re is _PROBLEM_CUES else 0.55
        # nothing said after the cue (…跟我说的。): the problem is what came before "，这是…"
        sent_a = sentence_start(text, pm.start(), a)
        told = _SAID_BEFORE.search(text, sent_a, pm.start())
        nothing_after = _han_count(text, p_content, sentence_end(text, p_content, b)) < 3
        if told and nothing_after:
            said_before = trim_span(text, sent_a, told.start())
        elif nothing_after and sent_a > a and _SAID_BEFORE_SENTENCE.match(text, sent_a):
            prev_end = sent_a
            while prev_end > a and text[prev_end - 1] in SENT_END:
                prev_end -= 1
            said_before = trim_span(text, sentence_start(text, prev_end, a), prev_end)
    elif fallback_problem is not None and a <= fallback_problem < b:
        p_content = _lead_strip(text, fallback_problem, b, _PROBLEM_LEAD)[0]
        p_content += _FILLER_LEAD.match(text, p_content, b).end() - p_content
        p_conf = 0.45
    floor = p_content if p_content is not None else a
    # reflections: after the problem began
    rm = _REFLECTION_CUES.search(text, floor, b)
    r_start = rm.start() if rm else b
    if rm:
        # 这件事让我觉得…: the short lead-in of the reflection's sentence belongs to it
        r_sent = sentence_start(text, rm.start(), floor)
        if 0 < rm.start() - r_sent <= 8:
            r_start = r_sent
    # solution: the first plan cue after the problem began
    sm = None
    told_plan = False
    first_sentence_end = sentence_end(text, a, b)
    if _han_count(text, a, first_sentence_end) > 40 and not re.search("[，,；;]", text[a:first_sentence_end]):
        # dictation without punctuation: the visit intro is the first stretch, not the whole note
        n, i = 0, a
        while i < first_sentence_end and n < 20:
            n += is_han(text[i])
            i += 1
        while i < first_sentence_end and text[i] not in SPACE:
            i += 1
        first_sentence_end = i
    for m in _SOLUTION_CUES.finditer(text, floor, r_start):
        if m.start() == floor and p_content is not None:
            continue
        if p_content is None and m.group().startswith("我") and m.start() < first_sentence_end:
            continue  # 我到…村走访: the visit itself, not a plan
        if _REPORT_CLAUSE.match(text, m.start()):
            told = _told_after(text, m.start(), r_start)
            if told:
                sm, told_plan = told, True
                break
            continue  # 我去看了一下: looking into it, not yet the plan
        sm = m
        break
    if sm is None and p_content is not None:
        # no plan word: the first clause after the problem where the cadre acts (我拍了照片…)
        for m in _CADRE_CLAUSE.finditer(text, p_content + 1, r_start):
            if _REPORT_CLAUSE.match(text, m.start()):
                told = _told_after(text, m.start(), r_start)
                if told:
                    sm, told_plan = told, True
                    break
            elif not _CADRE_SAYS.match(text, m.start()):
                sm = m
                break
    s_start = None
    if sm:
        sent0 = sentence_start(text, sm.start(), a)
        s_start = sent0 if (p_content is None or sent0 > p_content) and sent0 >= floor and not told_plan else sm.start()
        if _han_count(text, s_start, sm.start()) > 40 and not re.search("[，,、；;]", text[s_start : sm.start()]):
            # dictation without full stops: the "sentence" is the whole note; take the clause
            s_start = max(s_start, sentence_start(text, sm.start(), a, stops=PUNCT))
        if s_start < sm.start() and re.match(r"(?:举手|投票)?表决|投票", sm.group()):
            s_start = sentence_start(text, sm.start(), s_start, stops=PUNCT)  # 你一言我一语，最后举手表决，…
        if s_start < sm.start() and _REPORT_CLAUSE.match(text, s_start):
            s_start = sm.start()  # 我们量了一下，这段路…，回去后列入…: the plan begins at its own clause
        # "孩子上学很不方便，我们商量先…": a first-person plan clause after a comma begins the
        # plan there; what comes before it in the sentence is still the problem
        if p_content is not None and sm.group().startswith("我") and sm.start() > s_start \
                and text[sm.start() - 1] in "，,、；; \u3000":
            s_start = sm.start()
    if said_before is not None and said_before[1] > said_before[0]:
        out.problem = Span(said_before[0], said_before[1], 0.6)
    elif p_content is not None:
        p_end = s_start if s_start is not None else None
        # the cadre noting something down ends what the villager said
        report = _REPORT_CLAUSE.search(text, p_content + 1, p_end if p_end is not None else b)
        if report:
            p_end = report.start()
        # the problem is the sentence of its cue, plus sentences that go on with it
        # (还/而且/另外…); it never runs into the plan or the reflections
        p_sent_end = _problem_sentences_end(text, p_content, b)
        p_end = min(p_sent_end, r_start) if p_end is None else min(p_end, p_sent_end, r_start)
        if p_content < barrier:
            p_end = min(p_end, barrier)
        p_end = _before_record_number(text, p_content, p_end)
        ps, pe = trim_span(text, p_content, p_end)
        if pe > ps:
            out.problem = Span(ps, pe, p_conf)
    if s_start is not None:
        s_end = _before_record_number(text, s_start, min(r_start, barrier) if s_start < barrier else r_start)
        other = _OTHER_OFFICIAL.search(text, s_start + 1, s_end)
        if other and _han_count(text, s_start, other.start()) >= 6:
            s_end = other.start()  # 随行的镇长陈立伟表示…: someone else's word, not this cadre's plan
        ss, se = _lead_strip(text, s_start, s_end, _SOLUTION_LEAD)
        if se > ss:
            out.solution = Span(ss, se, 0.8)
    if rm:
        r_end = drop_trailing_remark(text, rm.end(), b)[1]  # …再修。（振江镇 通讯员 孙莉）
        rs, re_ = _lead_strip(text, rm.end(), r_end, _REFLECTION_LEAD)
        if re_ > rs:
            out.reflections = Span(rs, re_, 0.8)
    elif out.solution is not None:
        cut = r_from = None
        wm = _WEAK_REFLECTION_CUES.search(text, out.solution.start + 1, b)
        maxim = closing_maxim(text, out.solution.start, out.solution.end)
        if wm and maxim[0] is not None and maxim[0] <= wm.start():
            wm = None  # 村里老人多，这种事还得早排查: the whole closing sentence is the lesson
            cut, r_from = maxim
        if wm:
            cut, r_from = wm.start(), (wm.start("with") if wm.group("with") else wm.end())
        else:
            for lm in _LED_REFLECTION.finditer(text, out.solution.start + 1, b):
                sent = sentence_start(text, lm.start(), out.solution.start)
                if lm.start() - sent > 5:  # dictation without full stops: the clause leads in
                    sent = sentence_start(text, lm.start(), out.solution.start, stops=PUNCT)
                if sent > out.solution.start and lm.start() - sent <= 5:
                    cut, r_from = sent, lm.end()
                    break
        if cut is None:
            cut, r_from = maxim
        if cut is not None:
            rs, re_ = _lead_strip(text, r_from, b, _REFLECTION_LEAD)
            if _han_count(text, rs, re_) >= 4:
                out.reflections = Span(rs, re_, 0.6)
                ss, se = trim_span(text, out.solution.start, cut)
                out.solution = Span(ss, se, out.solution.confidence) if se > ss else None
    return out


# A note often closes on a lesson in general words, with no cue before it (群众不怕花钱，怕的是
# 不明白。改厕不能一改了之，后面的管护才是关键。): a last sentence with the marks of a maxim
# and none of a plan (a person, a number, a deadline).
_MAXIM = vocab.pattern("maxim")
_NOT_MAXIM = vocab.pattern("not_maxim")
_MAXIM_LEAD = re.compile(r"\s*(?:(?:我们?|他|她)(?:说|认为|感慨|表示)\s*[，,：:]\s*)?"
                         r"(?:(?:说到底|说白了|归根到底|归根结底|总之|总的来说)\s*[，,：:]?\s*)?")


# In a labelled 反映问题 section, a sentence that is plainly the plan (村里先调铲车推平…)
_PLAN_SENTENCE = re.compile(r"(?:村里|镇里|乡里|我们|我)?(?:先(?!前)|马上|立即|尽快|准备|打算|计划|决定)")


def plan_in_problem(text: str, start: int, end: int) -> Optional[int]:
    """Start of a sentence after the first in text[start:end] that states the plan, or None."""
    pos = sentence_end(text, start, end)
    while pos < end:
        while pos < end and (text[pos] in SENT_END or text[pos] in SPACE):
            pos += 1
        if pos < end and _PLAN_SENTENCE.match(text, pos) and _han_count(text, start, pos) >= 6:
            return pos
        pos = sentence_end(text, pos, end)
    return None


def closing_maxim(text: str, start: int, end: int) -> tuple[Optional[int], Optional[int]]:
    """(sentence start, maxim start) of a maxim that ends text[start:end] after at least one
    sentence of plan, or (None, None)."""
    last = sentence_start(text, end, start)
    if last <= start or _han_count(text, start, last) < 6:
        return None, None
    lead = _MAXIM_LEAD.match(text, last, end)
    begin = lead.end() if lead else last
    if (not (4 <= _han_count(text, begin, end) <= 30) or not _MAXIM.search(text, last, end)
            or _NOT_MAXIM.search(text, begin, end)):
        return None, None
    return last, begin


_CONTINUES = re.compile(
    r"\s*(?:而且|并且|还有|还|另外|同时|也|又|再加上|加上|此外|特别是|尤其是|导致|所以|因此|结果|"
    r"现在|目前|一到|每到|家里|孩子|老人|他家|她家|他们|她们|家中|"
    # 主要说红白事大操大办的事。代表们说…: the topic, then what the people said about it
    r"(?:代表们?|大家|群众|村民们?|家长们?|老人们?)(?:都|也)?(?:说|反映|提到|认为))"
)


def _problem_sentences_end(text: str, pos: int, ceil: int) -> int:
    end = sentence_end(text, pos, ceil)
    while end < ceil:
        nxt = end
        while nxt < ceil and text[nxt] in SENT_END:
            nxt += 1
        if nxt >= ceil or not _CONTINUES.match(text, nxt):
            break
        end = sentence_end(text, nxt, ceil)
    return end


def _han_count(text: str, start: int, end: int) -> int:
    return sum(1 for ch in text[start:end] if is_han(ch))
