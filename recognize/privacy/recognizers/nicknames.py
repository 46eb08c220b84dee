"""Nicknames and words said as a person.

王瘸子, 刘瞎子 (a surname and a nickname word), 二愣子, 狗剩 (a nickname alone), 小名叫X / 外号X,
于会计家 (a surname and an occupation at the person's home);
and a word in a person's place: 金山他家, 国庆他娘, 秋菊从大连回来, 平安种了五亩 (``sure`` context:
masked), 建国说… (``unsure`` context: asked).  Names inside 【】“”「」 are people too.  Word lists:
``recognize/lexicon/data/nicknames.toml``.
"""
from __future__ import annotations

import re
from functools import lru_cache

from recognize import lexicon
from recognize.privacy.findings import Context, Finding

NAME = "nicknames"
SCORE_SURE = 0.85
SCORE_ASK = 0.6
_SURNAMES = "".join(sorted(lexicon.SURNAMES | lexicon.RARE_SURNAMES))
_CALLED = "打来电话|来电话|打电话|来电|寄来"  # 从上海打来电话: a person calls from somewhere
_BOUNDARY = r"(?:(?<=[，,。；;：:、！？!?\s“”\"「」【】（）()])|^)"


def _alts(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _res() -> dict[str, re.Pattern]:
    nk = lexicon.nicknames()
    return {
        "after": re.compile(rf"[{_SURNAMES}](?:{_alts(nk['after_surname'])})"),
        "alone": re.compile(rf"(?:{_alts(nk['alone'])})"),
        "called": re.compile(rf"(?:{_alts(nk['called'])})[“\"「]?([\u4e00-\u9fff]{{2,3}}?)(?=[”\"」的，,。；、\s]|$)"
                             rf"|叫[“\"「]([\u4e00-\u9fff]{{1,4}})[”\"」]"),
        "sure": re.compile(rf"{_BOUNDARY}([\u4e00-\u9fff]{{2}})(?=(?:{_alts(nk['sure'])})|从[\u4e00-\u9fff]{{1,6}}(?:回来|{_CALLED}))"
                           rf"|{_BOUNDARY}(小[\u4e00-\u9fff]子|[\u4e00-\u9fff]{{2}}子)(?=从[\u4e00-\u9fff]{{1,6}}(?:回来|{_CALLED}))"),
        # 说胜利去年就去大连了: a word that goes somewhere (a thing is taken there: 卖到, 运到)
        "went": re.compile(rf"(?:{_BOUNDARY}|(?<=说|问|找|让|给|叫|听))([\u4e00-\u9fff]{{2}})"
                           rf"(?=(?:{_alts(nk['went_adverbs'])}){{0,3}}(?:去|回|跑)了?(?![来去])[\u4e00-\u9fff]{{2,4}}?(?:了|打工|上学|务工|看病|住院|[，,。；;]|$))"),
        "unsure": re.compile(rf"{_BOUNDARY}([\u4e00-\u9fff]{{2}})(?=(?:{_alts(nk['unsure'])}))"),
        "at_home": re.compile(rf"[{_SURNAMES}](?:{_alts(lexicon.load('names')['official_titles'] + lexicon.load('names')['occupations'])})(?=家)"),
        "quoted": re.compile(rf"[【“「]((?:{_alts(lexicon.COMPOUND_SURNAMES)}|[{_SURNAMES}])[\u4e00-\u9fff]{{1,2}})[】”」]"),
        # any quoted word of two or three characters (four are mostly slogans: “一户一策”), a person if the clause after it says so
        "quoted_any": re.compile(r"[【“「\"]([\u4e00-\u9fff]{2,3})[】”」\"]"),
        "acts": re.compile(rf"{_BOUNDARY}([\u4e00-\u9fff]{{2}})(?=(?:{_alts(nk['person_acts'])}))"),
        "ordinal": re.compile(rf"(?:(?:{_BOUNDARY}|(?<=[跟和与找让叫给说]))((?:{_alts(nk['ordinal_nickname_heads'])})[\u4e00-\u9fff]子)"
                              rf"|((?:{_alts(nk['ordinal_nickname_heads'])})[\u4e00-\u9fff]子)(?=[把又说跟和家他她也还就被给]))"
                              rf"(?![\u4e00-\u9fff]?[里上下边外内屯村沟岭山河坡地])"),
        "home_form": re.compile(rf"[{_SURNAMES}]家(?:{_alts(nk['home_forms'])})"),
        "manchu": re.compile(rf"(?:{_BOUNDARY}|(?<=[跟和与找让叫给说户主人民]))((?:{_alts(nk['manchu_surnames'])})[\u4e00-\u9fff]{{2}})"
                             rf"(?=(?:{_alts(nk['person_next'])}))"),
        "person_after": re.compile(rf"(?:是|就是|本是|原是|[（(，,])[^。；;！!？?]{{0,12}}?(?:{_alts(nk['quoted_person_after'])})"),
    }


def _word(w: str) -> bool:  # noqa: D401
    """An ordinary word the sentence could mean instead (a product, a common word, a role)."""
    nk = lexicon.nicknames()
    return w in lexicon.products() or w in nk["not_person"] or w in lexicon.common_words()


# jieba tags of words that are never a person said as one: time, place and locative words,
# pronouns, numerals, measure words, adverbs, prepositions, conjunctions, particles
_NEVER = ("t", "s", "f", "r", "m", "q", "d", "p", "c", "u")
# … and, where only a thing could also stand (种了, 媳妇, 家的 …), common nouns and organisations:
# 大棚种了, 学校说; a person's home or kin (他家, 他娘) or coming back (从…回来) allows a noun (石头他家)
_THINGS = frozenset({"n", "nt", "nz", "vn", "ng"})
_HOME = ("他", "她", "从")
# 医院说她…, 学校说他…: an institution speaks about a person, it is none
_BODIES = set("院校站局所部委会队社厂店办司")


def _said_as_person(w: str, after: str, sure: bool) -> bool:
    if w[0] in "这那我你他她它谁每各某本该此是在和跟与给被把对向从到的了也都就还又" or any(ch.isdigit() or ch in "一二三四五六七八九十百组村屯队" for ch in w):
        return False
    if w in lexicon.products() or w in lexicon.nicknames()["not_person"]:
        return False
    tag = lexicon.word_tag(w)
    home = sure and after[:1] in _HOME
    if w in lexicon.nicknames()["time_words"] or (tag.startswith(_NEVER) and not (home and tag == "t")):
        return False
    if tag in _THINGS and not home:
        return False
    # a common word with a sure person's context (石头他家) is a person; without one it is the word
    return not (w in lexicon.common_words() and not sure) and not (lexicon.is_everyday_word(w) and not sure)


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.names
    t = c.text
    r = _res()
    out = []

    def add(s: int, e: int, score: float, cue: str) -> None:
        a, b = c.span(s, e)
        out.append(Finding(a, b, "name", score, NAME, (cue,) if cue else ()))

    for m in r["after"].finditer(t):
        add(m.start(), m.end(), SCORE_SURE, m.group()[1:])
    for m in r["at_home"].finditer(t):
        add(m.start(), m.end(), SCORE_SURE, "家")
    for m in r["alone"].finditer(t):
        add(m.start(), m.end(), SCORE_SURE, "")
    for m in r["called"].finditer(t):
        g = 1 if m.group(1) else 2
        add(m.start(g), m.end(g), SCORE_SURE, t[m.start():m.start(g)])
    for m in r["quoted"].finditer(t):
        if not _word(m.group(1)) and not lexicon.is_everyday_word(m.group(1)):
            add(m.start(1), m.end(1), SCORE_SURE, t[m.start()] + t[m.end() - 1])
    for m in r["quoted_any"].finditer(t):
        w = m.group(1)
        if r["person_after"].match(t, m.end()) and w not in lexicon.nicknames()["not_person"]:
            # a word of the dictionary (“石头”是老王家的儿子) may be the quoted thing itself: ask
            word = _word(w) or lexicon.is_everyday_word(w) or lexicon.lookup(w) is not None
            add(m.start(1), m.end(1), SCORE_ASK if word else SCORE_SURE, t[m.end():m.end() + 4])
    for m in r["home_form"].finditer(t):
        add(m.start(), m.end(), SCORE_SURE, "家")
    for m in r["ordinal"].finditer(t):
        g = 1 if m.group(1) else 2
        w = m.group(g)
        # 三秃子把…: inside running text the shape needs a person's act after it
        if (lexicon.lookup(w) is None and not _word(w) and not _word(w[1:]) and w[1] not in lexicon.nicknames()["ordinal_thing_middles"]
                and not lexicon.inside_word(t, m.start(g), m.end(g))):
            add(m.start(g), m.end(g), SCORE_ASK, w[0] + "子")
    for m in r["manchu"].finditer(t):
        w = m.group(1)
        # 那会儿, 关于他说: the character starts a word here, not a name
        if lexicon.lookup(w) is not None or lexicon.lookup(w[:2]) is not None or _word(w) or lexicon.inside_word(t, m.start(1), m.end(1)):
            continue
        add(m.start(1), m.end(1), SCORE_ASK, t[m.end(1):m.end(1) + 2])
    for m in r["acts"].finditer(t):
        w = m.group(1)
        # a person's act (说他…, 跟他媳妇…, 不在家) lets a noun or a common word stand for a person: ask
        if w[-1] not in _BODIES and lexicon.word_tag(w) != "nt" and _said_as_person(w, "他", True):
            add(m.start(1), m.end(1), SCORE_ASK, t[m.end(1):m.end(1) + 3])
    for key, score in (("sure", SCORE_SURE), ("unsure", SCORE_ASK), ("went", SCORE_ASK)):
        for m in r[key].finditer(t):
            g = 1 if m.group(1) else 2
            w = m.group(g)
            # going somewhere is a person's (or an animal's) act: a noun may stand there, so ask
            if not _said_as_person(w, "从" if key == "went" else t[m.end(g):m.end(g) + 3], key != "unsure"):
                continue
            add(m.start(g), m.end(g), score, t[m.end(g):m.end(g) + 3])
    return out
