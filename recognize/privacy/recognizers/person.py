"""Person names: Baidu LAC's persons (``recognize.ner``), the extractor's cue rules
(``recognize.extract.names``), names right after a village or group, names in a list (A、B), a
rarer surname tried again as 王, the given name said alone after the full name, names written
with spaces between the characters, and every name the caller already knows (interviewee, people
in earlier entries).  The everyday forms (老X, X婶) are ``recognize.privacy.recognizers.forms``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from recognize import lexicon, ner
from recognize.extract.names import all_person_names
from recognize.extract.textutil import normalize
from recognize.privacy.findings import Context, Finding
from recognize.privacy.recognizers import forms
from recognize.privacy.text import Copy, is_han

NAME = "person"
SCORE = 0.85  # LAC, the cue rules and the list rules: what a note names is a person
SCORE_KNOWN = 1.0
SCORE_ASK = 0.6  # a name that is also a word, after a role word (村民高山家): the publish step asks

SURNAMES = lexicon.SURNAMES | lexicon.RARE_SURNAMES
COMPOUND_SURNAMES = lexicon.COMPOUND_SURNAMES

_SURNAME_CLASS = "".join(sorted(SURNAMES))
_HAN = r"[\u4e00-\u9fff]"


def _place_like(name: str) -> bool:
    """毛甸子, 高岭子, 杨家沟: three characters ending the way the county's places end."""
    return len(name) == 3 and name[-1] in lexicon.place_finals()


def _crop_into_word(text: str, s: int, e: int) -> bool:
    """蓝莓冻害: a crop and the first character of the next word read as a person (杨树林，and 李子明家
    stay names: a pause or a person's word follows them)."""
    nxt = text[e:e + 1]
    return (any(text[s:e].startswith(p) and len(p) == e - s - 1 for p in lexicon.products())
            and (lexicon.lookup(text[e - 1:e + 1]) is not None or (is_han(nxt) and nxt not in _CROP_NAME_NEXT)))


_CROP_NAME_NEXT = set("家说讲反表同申当告称提谈和跟与的今去两老一")


def _household(text: str, s: int, e: int) -> Optional[tuple[int, int]]:
    """那玉成户 read as 玉成户: the person without the household, and the surname before it when the
    village or group stands right before that (那家岭村那玉成户)."""
    e -= 1
    if _dictionary_word(text[s:e]):
        return None  # 富裕户, 困难户: a kind of household, no person
    if e - s == 2 and s >= 2 and text[s - 1] in SURNAMES and text[s - 2] in "村屯组队社 ，,":
        s -= 1
    return s, e


def _strip_home(name: str) -> bool:
    return len(name) >= 2 and (name[0] == "老" or len(name) >= 3 or any(name.endswith(k) for k in lexicon.kin_suffixes()))


def _lac_persons(text: str) -> list[tuple[int, int]]:
    out = []
    bad_after = set(lexicon.not_person_after())
    for e in ner.persons(text):
        s, end = e.start, e.end
        while end > s and text[end - 1] in "们 ":
            end -= 1
        if text[end - 1] == "家" and _strip_home(text[s:end - 1]):
            end -= 1  # 刘婶家, 老郑家, 王秀兰家: the person, without the home
        elif text[end - 1] == "户" and end - s >= 3:
            got = _household(text, s, end)
            if got is None:
                continue
            s, end = got
        inner = max((i for i in range(s, end - 1) if text[i] in _PLACE_END), default=-1)
        if inner >= 0:  # 杨木川村路刚: the village and the person as one token
            s = inner + 1
        if end - s < 2 or any(ch.isdigit() for ch in text[s:end]):
            continue
        if _crop_into_word(text, s, end):
            continue
        if text[end:end + 1] in bad_after or text[end - 1] in _PLACE_END or _place_like(text[s:end]):
            continue  # 石柱子村, 杨木川村, 毛甸子: a place, not a person
        out.append((s, end))
    return out


_PLACE_END = set("村镇乡县屯")
# 南荒沟村王秀兰，…: a name right after the village (or group) it lives in, up to a pause
_AFTER_PLACE = re.compile(rf"(?<=[村屯组社队])((?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}]){_HAN}{{1,2}}?)"
                          rf"(?=[，,。；;、：:\s（(]|$|(?:说|反映|家|户(?![主口籍型数均])|同意|表示|老人|大爷|大娘))")


@lru_cache(maxsize=1)
def _titles() -> frozenset[str]:
    names = lexicon.load("names")
    return frozenset(names["official_titles"]) | frozenset(lexicon.nicknames()["not_person"])


def _after_place_names(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _AFTER_PLACE.finditer(text):
        w = m.group(1)
        if w in lexicon.common_words() or (lexicon.is_everyday_word(w) and len(w) == 2) or text[m.end(1):m.end(1) + 1] in _PLACE_AFTER \
                or w in _titles():  # 村支书说: the village's office, not a person named 支书
            continue
        out.append((m.start(1), m.end(1)))
    return out


def _list_item(item: str) -> Optional[tuple[int, int]]:
    """Where the name is in one item of a 、 list: 当事人涂永和 → 涂永和, 人张丽 → 张丽."""
    for n in (3, 2):
        w = item[-n:]
        if len(w) == n and (w[0] in SURNAMES or w[:2] in COMPOUND_SURNAMES):
            return len(item) - n, len(item)
    return None


def _list_names(text: str, spans) -> list[tuple[int, int]]:
    """Every item of a 、 list one of whose items is a name (当事人涂永和、熊丽娟、安凤英)."""
    out = []
    for m in re.finditer(rf"(?:{_HAN}{{1,3}}、)+{_HAN}{{2,3}}", text):
        items, pos = [], m.start()
        for part in m.group().split("、"):
            items.append((pos, pos + len(part)))
            pos += len(part) + 1
        first_s, first_e = items[0]
        lead = text[max(0, first_s - 4):first_e]
        got = _list_item(lead)
        cand = [(max(0, first_s - 4) + got[0], first_e)] if got else []
        for a, b in items[1:]:
            w = text[a:b]
            k = 3 if len(w) == 3 and w[0] in SURNAMES else 2
            if w[0] in SURNAMES or w[:2] in COMPOUND_SURNAMES:
                cand.append((a, a + k))
        if len(cand) >= 2 and any(any(s <= a < e for s, e, _ in spans) for a, _ in cand):
            out += cand
    return out


# 常见姓 LAC knows best; a rarer surname character is tried again as 王 (给单长海…, 和位有财…)
_NAME_NEXT = set("说讲反表同申当告称提谈")
_PLACE_AFTER = set("村镇乡县屯区市路街河沟岭山")
_PERSON_NEXT_WORDS = ("今年", "去年", "老人", "两口", "夫妇", "一家", "反映", "老伴", "媳妇")
_COMMON = set("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡")


def _dictionary_word(w: str) -> bool:
    """A word the dictionary knows as something other than a name (玉米, 计划, 文化)."""
    got = lexicon.lookup(w)
    return bool(got) and got[0] >= 20 and not got[1].startswith("nr")


def _rare_surname_names(text: str, spans) -> list[tuple[int, int]]:
    out = []
    taken = [(s, e) for s, e, _ in spans]
    all_tokens = [t for t in ner.tokens(text) if len(t.text) >= 2]
    tags = {t.start: t.tag for t in ner.tokens(text) if len(t.text) == 1}
    words = {t.start: t for t in ner.tokens(text)
             if len(t.text) >= 2 and t.tag not in ("PER", "nr") and lexicon.lookup(t.text) is not None}
    for i, ch in enumerate(text):
        if ch not in SURNAMES or ch in _COMMON or any(s <= i < e for s, e in taken):
            continue
        if i in words:  # 玉米, 敬老院: LAC reads a word starting here, not a name
            continue
        if i + 2 > len(text) or not is_han(text[i + 1]):
            continue
        # LAC reads a window around the character, not the whole note (a long note has many)
        w0 = max(0, i - 10)
        trial = text[w0:i] + "王" + text[i + 1:i + 12]
        for tok in ner.persons(trial):
            if tok.start + w0 != i:
                continue
            end = tok.end + w0
            # two-character finds were mostly words (路坏了) unless a name's usual follower comes next
            if not (end - i == 3 or (end - i == 2 and text[end:end + 1] in _NAME_NEXT)):
                break
            if end - i == 3 and text[end - 1] == "户":  # 那玉成户: the household of 那玉成, not 玉成户
                got = _household(text, i, end)
                if got:
                    out.append(got)
                break
            w, given = text[i:end], text[i + 1:end]
            # 修敬老院: the find cuts into a word; 修大棚: a verb and its object, not a name
            verb_object = tags.get(i, "").startswith("v") and any(
                t.start == i + 1 and t.end == end and t.tag in ("n", "nz", "vn") for t in all_tokens)
            cuts_word = verb_object or any(t.start < end < t.end or (t.start == i and t.end == end and t.tag == "nz")
                                           for t in all_tokens)  # 孔雀草: LAC read one word
            # 鄂玉兰今年七十了, 肇庆山家的地: a person's context after three characters outweighs LAC's
            # reading of a word (鄂玉兰 nz, 肇庆 a city) across them
            said_as_person = end - i == 3 and (text[end:end + 1] in _NAME_NEXT | {"家"}
                                               or text[end:end + 2] in _PERSON_NEXT_WORDS)
            if (_dictionary_word(w) or _dictionary_word(w[:2]) or (len(given) == 2 and _dictionary_word(given))
                    or given in lexicon.common_two_char_words()
                    or (cuts_word and not said_as_person) or text[end:end + 1] in _PLACE_AFTER or _place_like(w)):
                break
            out.append((i, end))
            break
    return out


def _spaced_throughout(raw: str) -> bool:
    """杨 树 林 那 片 被 砍: every character spaced (dictation, OCR), so a spacing says nothing about a
    name; LAC and the cue rules read the copy with the spaces dropped."""
    han = [i for i, c in enumerate(raw) if is_han(c)]
    alone = [i for i in han if (i == 0 or not is_han(raw[i - 1])) and (i + 1 == len(raw) or not is_han(raw[i + 1]))]
    return len(han) >= 6 and len(alone) >= 0.6 * len(han)


def _role_names(text: str) -> list[tuple[int, int, bool]]:
    """下岗职工高玉山住…, 低保户张桂兰说…: the name right after a role word (names.toml ``person_roles``);
    one that is also a word of the dictionary (村民高山家) is asked, not masked."""
    rx = _role_rx()
    out = []
    for m in rx.finditer(text):
        w = m.group(1)
        if w in lexicon.common_words() or w in lexicon.products() or _place_like(w):
            continue
        if len(w) == 3 and (_dictionary_word(w[:2]) or w[:2] in lexicon.common_words()):
            continue  # 老人高兴地说: a word and what follows it, not a name
        out.append((m.start(1), m.end(1), not _dictionary_word(w)))
    return out


@lru_cache(maxsize=1)
def _role_rx() -> re.Pattern:
    names = lexicon.load("names")
    nxt = re.escape(names["person_role_next"])
    alts = "|".join(re.escape(r) for r in sorted(names["person_roles"], key=len, reverse=True))
    return re.compile(rf"(?:{alts})((?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}]){_HAN}{{1,2}}?)(?=[{nxt}\s]|$)")


def _spaced_names(raw: str) -> list[tuple[int, int]]:
    """王 秀 兰: a surname and one or two characters, each after a space (offsets into ``raw``)."""
    out = []
    if _spaced_throughout(raw):
        return out
    for m in re.finditer(rf"([{_SURNAME_CLASS}])((?:[ \u00a0\u3000]+{_HAN}){{1,2}})", raw):
        out.append((m.start(), m.end()))
    return out


def given_of(name: str) -> Optional[str]:
    name = name.replace(" ", "")
    if name[:1] == "老" or name[1:] in lexicon.kin_suffixes():
        return None
    if len(name) == 4 and name[:2] in COMPOUND_SURNAMES:
        return name[2:]
    if len(name) == 3 and name[0] in SURNAMES:
        return name[1:]
    return None


def inside_ordinary(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` lies inside a longer ordinary word there: a dictionary word (建国七十周年
    has none, 胜利完成 neither), a common word or a product of the lexicon (金山银山)."""
    if lexicon.inside_word(text, start, end):
        return True
    w = text[start:end]
    for word in (x for x in lexicon.common_words() | lexicon.products() if w in x and len(x) > len(w)):
        for m in re.finditer(re.escape(word), text):
            if m.start() <= start and end <= m.end():
                return True
    return False


def looks_like_name(s: str) -> bool:
    return 2 <= len(s) <= 4 and all(is_han(c) for c in s)


_LIST_NEXT = re.compile(rf"\s*[、,，/和及与]\s*((?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}]){_HAN}{{1,2}}?)"
                        rf"(?=[、，,。；;和及与等\s)）]|$|{_HAN}?(?:说|反映|家|同意|表示|称))")


def _name_spans(c: Copy, known: list[str]) -> list[tuple[int, int, str]]:
    """Name spans in the copy's coordinates."""
    t = c.text
    spans: list[tuple[int, int, str]] = [(s, e, "name") for s, e in _lac_persons(t)]
    spans += [(s, e, "name") for s, e in forms.spans(t)]
    spans += [(s, e, "name") for s, e in _after_place_names(t)]
    spans += [(s, e, "name" if sure else "role_word") for s, e, sure in _role_names(t)]
    for h in all_person_names(t, ()):
        s, e = h.start, h.end
        if _dictionary_word(h.name):
            continue  # 看了看路况: the cue rule read a word
        if _place_like(h.name) or t[e:e + 1] in _PLACE_END:
            continue  # the extractor's LAC persons include places LAC takes for people (毛甸子)
        if _crop_into_word(t, s, e):
            continue
        if e - s >= 3 and t[e - 1] == "户":
            got = _household(t, s, e)
            if got is None:
                continue
            s, e = got
        # 张大爷和李婶: the cue rule reads 和李婶 (和 is also a surname)
        if e - s >= 2 and t[s] in "和与跟及同" and t[s + 1] in SURNAMES:
            s += 1
            if e - s < 2:
                continue
        spans.append((s, e, "name"))
    words = None
    for k in known:
        kk = normalize(k).replace(" ", "")
        if len(kk) < 2:
            continue
        for m in re.finditer(re.escape(kk), t):
            if len(kk) == 2:
                # a two-character name (金山, 建国) inside a longer word (金山银山, 建国七十周年) is the word
                words = words if words is not None else [(w.start, w.end) for w in ner.tokens(t)
                                                         if len(w.text) > 2 and w.tag not in ("PER", "nr")]
                if any(a <= m.start() and m.end() <= b and b - a > 2 for a, b in words) \
                        or inside_ordinary(t, m.start(), m.end()):
                    continue
            spans.append((m.start(), m.end(), "known"))
    spans += [(s, e, "name") for s, e in _rare_surname_names(t, spans)]
    spans += [(s, e, "name") for s, e in _list_names(t, spans)]
    # lists: 当事人王秀兰、周玉梅 — the next item of a list that began with a name
    changed = True
    while changed:
        changed = False
        for s, e, _ in list(spans):
            m = _LIST_NEXT.match(t, e)
            if m and not any(a <= m.start(1) < b for a, b, _ in spans):
                spans.append((m.start(1), m.end(1), "name"))
                changed = True
    # the given name said alone after the full name (王秀兰 … 秀兰说)
    fulls = {t[s:e] for s, e, _ in spans} | {normalize(k).replace(" ", "") for k in known}
    givens = {g for g in map(given_of, fulls) if g}
    spans = [(s, e, "given" if t[s:e] in givens else kind) for s, e, kind in spans]
    for full in fulls:
        g = given_of(full)
        if not g:
            continue
        for m in re.finditer(re.escape(g), t):
            if t[m.end():m.end() + 1] in _PLACE_END:
                continue  # 辛宝山 … 宝山村: the village, not the given name
            if not any(a <= m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), "given"))
    return spans


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.names
    known = [k.strip() for k in ctx.known if k and k.strip()]
    out = []
    for s, e, kind in _name_spans(c, known):
        a, b = c.span(s, e)
        if kind == "role_word":
            out.append(Finding(a, b, "name", SCORE_ASK, NAME, ("role",)))
            continue
        out.append(Finding(a, b, kind, SCORE_KNOWN if kind == "known" else SCORE, NAME))
    out += [Finding(a, b, "name", SCORE, NAME) for a, b in _spaced_names(ctx.raw)]
    return out
