"""Names after a form's label (户名：索长海, 联系人：韩晓丽, 姓名钮 佳琪, 借款人：富春\n燕) and Korean-Chinese names
(崔顺玉, 朴英子, 全美善), which the name model often misses: their given names are not Han
Chinese ones.  Lists: ``recognize/lexicon/data/names.toml``."""
from __future__ import annotations

import re
from functools import lru_cache

from recognize import lexicon
from recognize.privacy.findings import Context, Finding

NAME = "labelled"
SCORE = 0.9
SCORE_KOREAN = 0.85
SCORE_KOREAN_ASK = 0.6
_SURNAMES = "".join(sorted(lexicon.SURNAMES | lexicon.RARE_SURNAMES))
# 高岭子, 杨树沟: a place shaped like a name
_PLACE_MIDDLE = set("岭沟山河屯堡甸岗峪洼坡泡砬台营湾")
# what comes after a name said in passing: 家, 女士, 说, a list or a pause
_AFTER = re.compile(r"(?:家|女士|先生|老人|大爷|大娘|说|讲|反映|表示|同意|两口子|夫妇|等|和|与|、|，|,|。|；|（|\(|\s|$)")


# 伊春和（满族）: a name with the person's ethnic group after it, as forms write it
_ETHNIC = re.compile(rf"([{_SURNAMES}][\u4e00-\u9fff]{{1,2}})(?=\s*[（(][\u4e00-\u9fff]{{1,3}}族[）)])")
# … hbx-1990 韩宝星 要求回电: a surname and two characters standing alone between spaces
_ALONE = re.compile(rf"(?:(?<=\s)|^)([{_SURNAMES}][\u4e00-\u9fff]{{2}})(?=\s|$)")
_ALONE_SURE_NEXT = re.compile(r"\s*(?:要求|说|讲|反映|表示|同意|来电|电话|手机|家|户|等)")
_PLACE_END = set("村镇乡县屯山河沟岭区市路街站所局院校厂社")
# characters that are verbs or particles in running text, never inside a given name (大家都去镇上)
_NOT_GIVEN = set("去来到在是了的也都就还又把被给和跟向从说要会能没不着过吗呢吧啊")


@lru_cache(maxsize=1)
def _res() -> tuple[re.Pattern, re.Pattern]:
    names = lexicon.load("names")
    labels = "|".join(sorted(names["name_labels"], key=len, reverse=True))
    compound = "|".join(lexicon.COMPOUND_SURNAMES)
    label = re.compile(rf"(?:{labels})\s*[:：是为]?\s*((?:{compound}|[{_SURNAMES}])(?:[\u4e00-\u9fff]\n[\u4e00-\u9fff]|[\u4e00-\u9fff]{{1,2}}?))"
                       rf"(?=[\s，,。；;、:：（()）]|$|[0-9])")
    korean = re.compile(rf"[{names['korean_surnames']}][\u4e00-\u9fff][{names['korean_given_last']}]")
    return label, korean


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.names
    t = c.text
    label, korean = _res()
    out = []
    for m in label.finditer(t):
        w = m.group(1).replace("\n", "")  # 借款人：富春\n燕: a line broke the name
        if w in lexicon.common_words() or lexicon.is_everyday_word(w):
            continue
        a, b = c.span(m.start(1), m.end(1))
        out.append(Finding(a, b, "name", SCORE, NAME, (t[m.start():m.start(1)].strip(),)))
    for m in _ETHNIC.finditer(t):
        a, b = c.span(m.start(1), m.end(1))
        out.append(Finding(a, b, "name", SCORE, NAME, ("族",)))
    raw = ctx.raw
    for m in _ALONE.finditer(raw):
        w = m.group(1)
        if not any(ch.isspace() for ch in raw[max(0, m.start() - 1):m.end() + 1]):
            continue  # the text is not written word by word
        if (w in lexicon.common_words() or lexicon.lookup(w) or lexicon.is_everyday_word(w[:2])
                or lexicon.word_tag(w[1:])[:2] not in ("", "nr")
                or (lexicon.lookup(w[:2]) or (0,))[0] >= 100 or w[-1] in _PLACE_END or w[1:] in lexicon.products()):
            continue
        sure = _ALONE_SURE_NEXT.match(raw, m.end())
        out.append(Finding(m.start(1), m.end(1), "name", SCORE_KOREAN if sure else SCORE_KOREAN_ASK, NAME,
                           (sure.group().strip(),) if sure else ()))
    for m in korean.finditer(t):
        w = m.group()
        if (w in lexicon.common_words() or lexicon.lookup(w) or (lexicon.lookup(w[:2]) or (0,))[0] >= 200
                or w[:2] in lexicon.products() or w[1:] in lexicon.products() or w[1] in _PLACE_MIDDLE
                or w[1] in _NOT_GIVEN):
            continue
        nxt = _AFTER.match(t, m.end())
        a, b = c.span(m.start(), m.end())
        out.append(Finding(a, b, "name", SCORE_KOREAN if nxt else SCORE_KOREAN_ASK, NAME, (nxt.group(),) if nxt else ()))
    return out
