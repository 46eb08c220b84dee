"""Person names: the interviewee after role cues, and names for the PII detector.

A name is a common surname followed by one or two given-name characters, read after a cue
(村民, 户主, 老人, 种植户, 低保户, 受访对象 …).  Characters that almost never end a given name
but often follow one in speech (他, 说, 反, 家, 和 …) end it early, so 冯磊想学… gives 冯磊.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from recognize import lexicon
from recognize.extract import vocab
from recognize.extract.textutil import correction_after, is_han

# Common Chinese surnames (single character), roughly by frequency: the shared lexicon's.
SURNAMES, COMPOUND_SURNAMES = set(lexicon.SURNAMES), lexicon.COMPOUND_SURNAMES
# Characters that end a given name early: pronouns, speech verbs, particles, kinship words.
NAME_STOP = set(
    "他她它说讲反提想要是在和与跟同及的了家们等也都就还又再告表称向对把被给让从到去里这那哪谁啥么吗"
    "呢吧啊呀嘛着过得地不没很太更最已曾将会能可应该需请叫因所但而或并共几个位名岁今昨前后时点分"
    "村组镇乡县户主人员患病老夫妻儿女父母爷奶叔婶姨舅哥姐弟妹孙媳婿"
)
# Characters that may follow a name (besides NAME_STOP and non-Chinese characters): a name
# read after a cue must be followed by one of them, so 群众满意度 gives no 满意度.
NAME_FOLLOW = NAME_STOP | set(
    "发介一二三四五六七八九十现患夫两年找问盼希感觉认知担怕住种养开办做干看听吃喝带领拿买卖送接回愁急哭笑因"
    "今明昨前去来到在是这那已刚曾正也都就还又电手身联"  # 电话, 手机, 身份证, 联系电话 after a name
)
HONORIFICS = vocab.words("honorific")
NAME_FOLLOW |= set("大老阿师同")
# A name is never followed directly by a place suffix (走访了南荒沟村: no person 南荒沟)
PLACE_SUFFIX = set("村镇乡县屯组区市")
# Everyday words that start with a surname character: never names (recognize/lexicon/data/common_words.txt).
COMMON_WORDS = set(lexicon.common_words())
# What a person's name is typically followed by in a note (反映, 说, 家…): with one of these
# next, a name that is also a dictionary word (高峰, 马力) is still read as a name.
_SURE_FOLLOW = set("反说讲告表称提谈家")
# Role words that introduce the person visited, longest first in the pattern.
INTERVIEWEE_CUES = vocab.words("interviewee")
# Other people named in a note: never interviewee, always PII.
OTHER_PERSON_CUES = vocab.words("other_person")
VISIT_VERBS = vocab.words("visit_verb")

_CUE_RE = re.compile("|".join(sorted(INTERVIEWEE_CUES, key=len, reverse=True)))
# …户 role words not listed above (养蜂户, 承包户, 散养户): a name right after any 户
_HU_RE = re.compile("户")
_OTHER_RE = re.compile("|".join(sorted(OTHER_PERSON_CUES, key=len, reverse=True)))
_VERB_RE = re.compile("|".join(VISIT_VERBS))
# 到老宋家, 三组刘婶家, 就是富春林家和…, a note opening with 老宋家那个…
_HOME_RE = re.compile(r"(?:到|去|在|来到|(?<=[村组屯是])|^)(?=\S{2,4}家)")
# What follows a role word when it is not a person's name: 村民代表, 村民们, 党员大会…
_NOT_NAME_AFTER = ("代表", "们", "大会", "会议", "小组", "委员", "家庭", "群众")


# 老房的墙, 老井的水: 老 + a surname character that is a thing, not a person
_OLD_THINGS = {"老房", "老井", "老路", "老林", "老师", "老干", "老乡", "老家", "老伴", "老区", "老党", "老年"}
_AFTER_OLD = set("家说反讲告表称提谈和跟与的两夫头今想要也都就还")


@dataclass
class NameHit:
    name: str
    start: int
    end: int
    cue: str
    confidence: float


def take_name(text: str, pos: int, end: Optional[int] = None, strict_end: bool = False) -> Optional[tuple[int, int]]:
    """A name starting at `pos` (spaces skipped): (start, end) or None."""
    end = len(text) if end is None else end
    q = pos
    while q < end and text[q] in " \t\u3000:：":
        q += 1
    # 村民那个 单淑芬: a filler said before the name in dictation
    filler = re.match(r"(?:那个|这个|嗯)[ \t\u3000]+", text[q:end])
    if filler:
        q += filler.end()
    if q >= end:
        return None
    if any(text.startswith(w, q) for w in _NOT_NAME_AFTER):
        return None
    # 老宋, 老洪: how villagers are called by everyone, and often all a note gives
    if text[q] == "老" and q + 1 < end and text[q + 1] in SURNAMES and text[q : q + 2] not in _OLD_THINGS:
        nxt = text[q + 2 : q + 3]
        if (not nxt or not is_han(nxt) or nxt in _AFTER_OLD) and not lexicon.is_everyday_word(text[q : q + 2]):
            return q, q + 2
    sl = 0
    for cs in COMPOUND_SURNAMES:
        if text.startswith(cs, q):
            sl = 2
            break
    if not sl:
        if text[q] in SURNAMES:
            sl = 1
        else:
            return None
    g = q + sl
    for hon in HONORIFICS:  # 张大爷 / 李奶奶: surname + form of address
        if text.startswith(hon, g):
            return q, g + len(hon)
    n = 0
    while n < 2 and g + n < end and is_han(text[g + n]) and text[g + n] not in NAME_STOP:
        n += 1
    # a whole given name standing alone between spaces or punctuation is read whole even when
    # it holds a character that usually ends a name (村民冷向东 反映…, 低保户 宫殿福 电话…)
    whole = 0
    while whole < 2 and g + whole < end and is_han(text[g + whole]):
        whole += 1
    alone = (whole >= n and (g + whole >= end or not is_han(text[g + whole]))
             and text[g + whole - 1] not in NAME_STOP)  # 向大家: never a name ending in 家
    if alone:
        n = whole
    if n == 0:
        return None
    if text[q : g + n] in COMMON_WORDS or (text[q : q + 2] in COMMON_WORDS and not (alone and n == 2)):
        return None
    if text[g + n : g + n + 1] not in _SURE_FOLLOW and any(
            lexicon.is_everyday_word(w) for w in {text[q : g + n], text[q : q + 2]} if len(w) >= 2):
        return None  # 村民修建了…, 组织群众修补: words, not names
    if strict_end:
        nxt = text[g + n : g + n + 1]
        if nxt and is_han(nxt) and (nxt not in NAME_FOLLOW or nxt in PLACE_SUFFIX):
            return None
    return q, g + n


# --- the model's view: Baidu LAC (recognize/ner.py) ---------------------------------------
_NICK = re.compile("老[一二三四五六七八九十大小]")
_OLD_FORM = re.compile("老([" + "".join(sorted(SURNAMES)) + "])(头)?(?=家|头|[^\u4e00-\u9fff]|$)")


def _model_persons(text: str) -> list[tuple[int, int]]:
    """(start, end) of people LAC sees, cleaned to the name itself: 周婶家 -> 周婶, 于 + 老三 ->
    于老三, 老郑家 / 老 + 宋家 -> 老郑 / 老宋, 老李头 kept whole."""
    from recognize import ner

    toks = ner.tokens(text)
    out: list[tuple[int, int]] = []
    for i, tok in enumerate(toks):
        if tok.tag != "PER":
            continue
        s, e = tok.start, tok.start + len(tok.text.rstrip())
        s += len(tok.text) - len(tok.text.lstrip())
        if e - s == 1 and i + 1 < len(toks) and toks[i + 1].start == e and _NICK.fullmatch(toks[i + 1].text):
            e = toks[i + 1].end
        if e - s >= 3 and text[e - 1] == "家":
            e -= 1
        name = text[s:e]
        if e - s < 2 or text[e - 1] in PLACE_SUFFIX:  # 杨木川镇 read as a person
            continue
        first = name[1] if name[0] in "老小" and len(name) >= 2 else name[0]
        if not 2 <= e - s <= 4 or first not in SURNAMES and name[:2] not in COMPOUND_SURNAMES:
            continue
        if name in COMMON_WORDS or name[0] == "小" and e - s == 2 and lexicon.is_everyday_word(name):
            continue
        out.append((s, e))
    for m in _OLD_FORM.finditer(text):  # LAC often reads 老宋家 as 老 + 宋家
        s, e = m.start(), m.end()
        if text[s:s + 2] in _OLD_THINGS or lexicon.is_everyday_word(text[s:s + 2]):
            continue
        if not any(a <= s < b for a, b in out):
            out.append((s, e))
    return sorted(out)


@lru_cache(maxsize=256)
def model_persons(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(_model_persons(text))


def _model_person_at(text: str, pos: int, end: int) -> Optional[tuple[int, int]]:
    """The person LAC sees starting at `pos` (spaces and fillers skipped), or None."""
    q = pos
    while q < end and text[q] in " \t\u3000:：":
        q += 1
    return next(((s, e) for s, e in model_persons(text) if s == q and e <= end), None)


def _cue_names(text: str, regex: re.Pattern, start: int, end: int, conf: float, strict: bool = False,
               lead: Optional[re.Pattern] = None) -> list[NameHit]:
    """Names right after each cue; or, with `lead`, after what `lead` allows between.

    The cue is the context, LAC the model: after a cue a person LAC sees is taken even when
    the rules read it as a word (村民杨树林), and a name LAC reads one character longer is
    taken whole (曹永和, not 曹永)."""
    out = []
    for m in regex.finditer(text, start, end):
        got = take_name(text, m.end(), end, strict_end=strict)
        if got is None and lead is not None:
            between = lead.match(text, m.end(), end)
            if between and between.end() > m.end():
                got = take_name(text, between.end(), end, strict_end=strict)
        seen = _model_person_at(text, got[0] if got else m.end(), end)
        if seen and (got is None or (seen[1] == got[1] + 1 and text[got[1]] != "家")):
            got = seen
        if got:
            s, e = got
            out.append(NameHit(text[s:e], s, e, m.group(), conf))
    return out


# 走访了一下养牛的包文斌, 走访的是崔明哲: what may stand between a visit verb and the name
_AFTER_VERB = re.compile(r"(?:了?一下|的是|是|的)?(?:\s*(?:那个|这个|嗯|呃|就是)\s*)*(?:[\u4e00-\u9fff]{1,6}?的)?")


# 庹大爷 庹志远, 老单家 单国庆: a form of address, then the full name with the same surname
_RESTATED = re.compile(
    "(老)?([" + "".join(sorted(SURNAMES)) + "])(" + "|".join(sorted(HONORIFICS, key=len, reverse=True))
    + r")?(头)?(家)?[ \t\u3000，,、（(]+(?=\2)"
)


def _restated_names(text: str, start: int, end: int) -> list[tuple[NameHit, tuple[int, int]]]:
    """(full name, span of the form of address it restates)."""
    out = []
    for m in _RESTATED.finditer(text, start, end):
        if not (m.group(1) or m.group(3)):
            continue  # 老于头 于长海 / 庹大爷 庹志远
        got = take_name(text, m.end(), end, strict_end=True)
        if got and got[1] - got[0] >= 2 and not any(text.startswith(h, got[0] + 1) for h in HONORIFICS):
            out.append((NameHit(text[got[0] : got[1]], got[0], got[1], "restated", 0.9), (m.start(), m.end())))
    return out


_ADDRESSED = re.compile(
    "(?:(?<=的)|(?<=[，,。；;\\s])|^)[" + "".join(sorted(SURNAMES)) + "](?:"
    + "|".join(h for h in sorted(HONORIFICS, key=len, reverse=True) if len(h) >= 2) + ")"
)


def interviewee_candidates(text: str, start: int = 0, end: Optional[int] = None) -> list[NameHit]:
    """Names after role cues (strong), then after visit verbs / 到…家 (weak), by position.

    A form of address restated as a full name (庹大爷 庹志远) gives the full name only."""
    end = len(text) if end is None else end
    restated = _restated_names(text, start, end)
    addressed = [span for _, span in restated]
    hits = [h for h in _cue_names(text, _CUE_RE, start, end, 0.9, strict=True)
            if not any(a <= h.start < b for a, b in addressed)]
    hits += [h for h, _ in restated]
    strong = {(h.start, h.end) for h in hits}
    for h in _cue_names(text, _HU_RE, start, end, 0.85, strict=True):
        if (h.start, h.end) not in strong:
            hits.append(h)
            strong.add((h.start, h.end))
    for h in _cue_names(text, _VERB_RE, start, end, 0.6, strict=True, lead=_AFTER_VERB):
        if (h.start, h.end) not in strong and not any(a <= h.start < b for a, b in addressed):
            hits.append(h)
    for m in _HOME_RE.finditer(text, start, end):
        got = take_name(text, m.end(), end)
        if got and text[got[1] : got[1] + 1] == "家":
            hits.append(NameHit(text[got[0] : got[1]], got[0], got[1], "家", 0.5))
    # 庞立新反映的 / 马凤琴说…: a full name opening a clause, then what they said (weak)
    for m in _SAYS_RE.finditer(text, start, end):
        got = take_name(text, m.start(), end)
        if got and got[1] - got[0] >= 3 and _SAID.match(text, got[1]) and not any(h.start <= got[0] < h.end for h in hits):
            hits.append(NameHit(text[got[0] : got[1]], got[0], got[1], "说", 0.55))
    # 村东头的韩大娘: a surname and a form of address with no cue before them (weak)
    for m in _ADDRESSED.finditer(text, start, end):
        if not any(h.start <= m.start() < h.end + 1 for h in hits):
            hits.append(NameHit(m.group(), m.start(), m.end(), "称呼", 0.5))
    # 滕桂荣，不对，是滕桂英: the name taken back gives way to the one said instead
    for h in list(hits):
        fixed = correction_after(text, h.end)
        if fixed >= 0:
            hits.remove(h)
            got = take_name(text, fixed, end, strict_end=True)
            if got:
                hits.append(NameHit(text[got[0] : got[1]], got[0], got[1], "corrected", h.confidence))
    # 边缘户郑玉山: what stands before 户 is a role word, never the name
    hits = [h for h in hits if text[h.end : h.end + 1] != "户"]
    # the people LAC sees that no rule found: 到了东沟老郑家, 种蓝莓的老宋家, 老李头反映… (weak)
    others = [(o.start, o.end) for o in other_person_names(text)]
    for s, e in model_persons(text):
        if s < start or e > end or any(h.start < e and s < h.end for h in hits) or (s, e) in others:
            continue
        if _OFFICIAL_TITLE.search(text, s, e) or _OFFICIAL_TITLE.match(text, e):
            continue  # 王书记, 李主任: an official, never the villager visited
        home = text[e : e + 1] == "家" or bool(_VISITED_BEFORE.search(text, max(start, s - 4), s))
        hits.append(NameHit(text[s:e], s, e, "model", 0.5 if home else 0.45))
    hits.sort(key=lambda h: (h.start, -h.confidence))
    return hits


_OFFICIAL_TITLE = re.compile(r"书记|主任|县长|镇长|乡长|局长|站长|所长|会计|干部|同志|委员|专干|助理|村医|大夫|医生|老师")
_VISITED_BEFORE = re.compile(r"(?:到|去|走访|看望|拜访|慰问|探望)了?[^，,。；;\s]{0,3}$")
_SAYS_RE = re.compile("(?:(?<=[，,。；;\\s])|^)(?=[" + "".join(sorted(SURNAMES)) + "])")
_SAID = re.compile(r"反映|说|讲|提出")

_KIN = ("儿子", "女儿", "儿媳", "女婿", "孙子", "孙女", "老伴", "妻子", "丈夫", "爱人", "父亲", "母亲",
        "弟弟", "哥哥", "姐姐", "妹妹")
_KIN_RE = re.compile("的(?:" + "|".join(_KIN) + ")")


def relative_named_after(text: str, end: int, limit: int) -> Optional[tuple[int, int]]:
    """The name in 曲长海的儿子曲振东 after the name ending at `end`, or None."""
    m = _KIN_RE.match(text, end, limit)
    return take_name(text, m.end(), limit, strict_end=True) if m else None


def other_person_names(text: str) -> list[NameHit]:
    return _cue_names(text, _OTHER_RE, 0, len(text), 0.7, strict=True)


# Words for many people: after them a loosely read "name" is mostly a verb (组织群众修补).
_COLLECTIVE_CUES = {"群众", "困难群众", "居民", "妇女", "青年", "返乡青年", "大学生", "返乡大学生"}


def _inside_a_word(text: str, pos: int) -> bool:
    from recognize import ner

    return any(t.start < pos < t.end for t in ner.tokens(text))


# 于长江、孙丽华和村会计于海等: items between 、 (和/与/及 before the last), ended by 等 or punctuation
_LIST_RE = re.compile(r"[\u4e00-\u9fff]{2,5}(?:、[\u4e00-\u9fff]{2,5}?(?=、|和|与|及|等|[^\u4e00-\u9fff]|$))+"
                      r"(?:(?:和|与|及)[\u4e00-\u9fff]{2,5}?(?=等|[^\u4e00-\u9fff]|$))?")
_ITEM_RE = re.compile(r"(?<=[、和与及])?[\u4e00-\u9fff]{2,5}?(?=、|和|与|及|等|[^\u4e00-\u9fff]|$)")


def all_person_names(text: str, known: Iterable[str] = ()) -> list[NameHit]:
    """Every name the detector can see: cue names, family/neighbour names, known names.

    Used for PII, where a missed name costs more than a masked word: after a role cue the
    name is also taken when the next character is no usual name-follower (低保户王桂兰房屋漏雨).
    """
    hits = interviewee_candidates(text) + other_person_names(text)
    seen = {(h.start, h.end) for h in hits}
    for regex in (_CUE_RE, _HU_RE, _OTHER_RE):
        for h in _cue_names(text, regex, 0, len(text), 0.5, strict=False):
            if h.cue in _COLLECTIVE_CUES:
                continue
            if (h.start, h.end) not in seen and not any(s <= h.start < e for s, e in seen):
                hits.append(h)
                seen.add((h.start, h.end))
    for s0, e0 in model_persons(text):  # every person LAC sees is PII: a name missed is a name published
        if not any(h.start < e0 and s0 < h.end for h in hits):
            hits.append(NameHit(text[s0:e0], s0, e0, "model", 0.45))
    # 于长江、孙丽华、吕国富等: in a list with a person, every item that reads as a name is one
    for m in _LIST_RE.finditer(text):
        items = [(i.start(), i.end()) for i in _ITEM_RE.finditer(text, m.start(), m.end())]
        if not any(any(h.start == s0 and h.end == e0 for h in hits) for s0, e0 in items):
            continue
        for s0, e0 in items:
            # an item may carry a role before the name (村民代表于长江, 村会计于海)
            for a0 in sorted({s0, max(s0, e0 - 3), max(s0, e0 - 2)}):
                if a0 > s0 and _inside_a_word(text, a0):
                    continue  # 村会计于海: 计 ends the word 会计 (LAC), so the name is 于海
                if not any(h.start < e0 and a0 < h.end for h in hits) and take_name(text, a0, e0) == (a0, e0):
                    hits.append(NameHit(text[a0:e0], a0, e0, "list", 0.6))
                    break
    for k in known:
        k = (k or "").strip()
        if len(k) < 2:
            continue
        i = text.find(k)
        while i >= 0:
            hits.append(NameHit(k, i, i + len(k), "known", 1.0))
            i = text.find(k, i + len(k))
    hits.sort(key=lambda h: h.start)
    return hits


# A note written about a cadre's visit by someone else (镇党委副书记刘洋到…走访了村民孙立国。刘洋同志
# 表示，…): the cadre is who a first-person note calls 我.
_CADRE_TITLE = re.compile(
    r"(?:副?书记|副?县长|副?镇长|副?乡长|常委|主任|助理|专干|委员|部长|局长|站长|所长|队长)[、，,\s]?")
_THIRD_PERSON_VISIT = re.compile(r"到|来到|深入|前往|走访|看望|慰问|一行|带领|冒雪|冒雨|在")


def visiting_cadre(text: str) -> list[tuple[int, int]]:
    """Spans where the cadre of a third-person note is named (刘洋, 刘洋同志, 张书记), or []."""
    first_visit = _THIRD_PERSON_VISIT.search(text)
    if first_visit is None:
        return []
    for m in _CADRE_TITLE.finditer(text, 0, first_visit.end() + 12):
        if "我" in text[: m.start()]:
            return []
        got = take_name(text, m.end())
        if not got or got[1] - got[0] < 2 or got[0] > first_visit.start() + 1:
            continue
        if not (_THIRD_PERSON_VISIT.match(text, got[1]) or re.match(r"同志|和|与|等|、|，|,", text[got[1]:])):
            continue
        name = text[got[0] : got[1]]
        if any(text.startswith(h, got[0] + 1) for h in HONORIFICS):
            continue
        alias = re.compile(re.escape(name) + "(?:同志)?|" + re.escape(name[0]) + r"(?:书记|县长|镇长|乡长|主任)(?![\u4e00-\u9fff]{0,1}[\u4e00-\u9fff]{2}(?:村|镇))")
        return [(a.start(), a.end()) for a in alias.finditer(text)]
    return []
