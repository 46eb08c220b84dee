"""The one PII detector and redactor: used by extraction, the publish step and every public page.

``pii_spans(text, known=())`` finds what must never reach a public page, ``find_pii`` lists the
strings, ``redact(text, extra=(), cadres={}, keep=())`` masks them.

Numbers are matched on a normalised copy of the text with a map back to the original positions:
full-width, Chinese (一三九, 幺, 〇), capital (壹叁玖) and circled (①) digits become ASCII, zero-width
characters go, and digit groups joined by spaces (one or many, no-break), ``- . / _``, commas or a
group in parentheses are read as one number.  A number is then classified by its digits (mobile,
landline with area code, 18/15-character ID, bank card) and by the cue before it (电话, 身份证,
卡号 …); house numbers (3队12号, 三社8号, 南荒沟村8号, 家住…), plates and e-mail have their own patterns.

Names are the union of Baidu LAC's persons (``recognize.ner``), the extractor's cue rules
(``recognize.extract.names``), the everyday forms (老X, 老X头, X婶, X大爷, X老三), the given name
said alone after the full name, names in a list (A、B), names written with spaces between the
characters, and every name the caller already knows (interviewee, people in earlier entries).
Cue words and forms are data: ``recognize/pii_lexicon.json``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Optional

from recognize.extract.names import COMPOUND_SURNAMES, all_person_names
from recognize.extract.names import SURNAMES as _EXTRACT_SURNAMES
from recognize.extract.textutil import normalize

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return json.loads((Path(__file__).with_name("pii_lexicon.json")).read_text("utf-8"))


# the extractor's surname table, and common ones it lacks (赖, 萧 …)
SURNAMES = frozenset(_EXTRACT_SURNAMES) | frozenset(lexicon()["extra_surnames"])


@dataclass
class PiiHit:
    text: str
    start: int
    end: int
    kind: str  # name | known | given | cadre | mobile | landline | id_card | id_like | id_cue |
    #            bank_card | number | house_number | plate | email | extra
    replace: str = ""  # what a public page shows instead (a cadre's unit); empty: the usual mask


# --- validity ------------------------------------------------------------------------------------


def _birth_ok(y: int, m: int, d: int) -> bool:
    try:
        born = dt.date(y, m, d)
    except ValueError:
        return False
    return dt.date(1880, 1, 1) <= born <= dt.date.today()


def valid_id18(s: str) -> bool:
    """GB 11643-1999: 17 digits, a check character, a plausible birth date."""
    s = s.upper()
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    if _ID_CHECK[total % 11] != s[17]:
        return False
    return _birth_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def _id18_shape(s: str) -> bool:
    """17 digits and a check character with a plausible birth date: a mistyped ID is still an ID."""
    s = s.upper()
    return (len(s) == 18 and s[:17].isdigit() and s[17] in "0123456789X" and s[0] != "0"
            and _birth_ok(int(s[6:10]), int(s[10:12]), int(s[12:14])))


def valid_id15(s: str) -> bool:
    if len(s) != 15 or not s.isdigit() or s[0] == "0":
        return False
    return _birth_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))


def luhn_ok(s: str) -> bool:
    if not s.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# --- the normalised copy -------------------------------------------------------------------------

_ZERO_WIDTH = set("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_SPACES = set("\u00a0\u2007\u202f\u3000\u2002\u2003\u2009\t")
_DIGIT_OF = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "幺": "1", "洞": "0"}
_DIGIT_OF |= {c: str(i) for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")} | {"貳": "2", "參": "3", "陸": "6"}
_DIGIT_OF |= {chr(0x2460 + i): str(i + 1) for i in range(9)} | {"⓪": "0"}  # ①..⑨
_DIGIT_OF |= {chr(0x2776 + i): str(i + 1) for i in range(9)} | {chr(0x2780 + i): str(i + 1) for i in range(9)}
_DASHES = set("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc")
_FULLSTOP = set("．。")  # 139。1234。5678 is dictation punctuation inside a number


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


# Chinese and capital numerals are also words (二道河村, 三组): read as digits only in a run of
# digits (any spelling) holding at least two of them (一三九, 一3九1二…)
_WORD_NUMERALS = set("〇一二三四五六七八九零幺洞壹贰叁肆伍陆柒捌玖貳參陸")
_RUN_SEP = set(" \u00a0\u3000-.,，_/\u200b\u200c\u200d\u2060\ufeff")


def _spelled_runs(text: str) -> set[int]:
    out: set[int] = set()
    i, n = 0, len(text)
    while i < n:
        if text[i] not in _DIGIT_OF and not text[i].isdigit():
            i += 1
            continue
        j, words, members = i, 0, []
        while j < n and (text[j] in _DIGIT_OF or text[j].isdigit()
                         or (text[j] in _RUN_SEP and j + 1 < n and (text[j + 1] in _DIGIT_OF or text[j + 1].isdigit() or text[j + 1] in _RUN_SEP))):
            if text[j] in _WORD_NUMERALS:
                words += 1
                members.append(j)
            j += 1
        if words >= 2:
            out.update(members)
        i = j
    return out


@dataclass(frozen=True)
class _Copy:
    text: str
    pos: tuple[int, ...]  # pos[i]: index in the original of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.pos[start], self.pos[end - 1] + 1


def _copy(raw: str, digits: bool) -> _Copy:
    """Full-width to ASCII, traditional to simplified, zero-width characters dropped, spaces
    between two Han characters dropped (王 秀 兰); with ``digits`` every digit spelling to ASCII."""
    base = normalize(raw)
    spelled = _spelled_runs(base) if digits else set()
    chars: list[str] = []
    pos: list[int] = []
    for i, c in enumerate(base):
        if c in _ZERO_WIDTH:
            continue
        if c in _SPACES:
            c = " "
        elif c in _DASHES:
            c = "-"
        elif c in "（":
            c = "("
        elif c in "）":
            c = ")"
        elif c == "＠":
            c = "@"
        elif digits and c in _DIGIT_OF and (c not in _WORD_NUMERALS or i in spelled):
            c = _DIGIT_OF[c]
        chars.append(c)
        pos.append(i)
    out_c: list[str] = []
    out_p: list[int] = []
    n = len(chars)
    for i, c in enumerate(chars):
        if c == " " and out_c and _is_han(out_c[-1]):
            j = i
            while j < n and chars[j] == " ":
                j += 1
            if j < n and _is_han(chars[j]):
                continue
        out_c.append(c)
        out_p.append(pos[i])
    return _Copy("".join(out_c), tuple(out_p))


# --- numbers -------------------------------------------------------------------------------------

_SEP = r"(?:[ ]+|[ ]*[-./_,，。·:：][ ]*)"
_GROUP = r"(?:\d+|\(\s*\d+\s*\))"
_CHAIN = re.compile(rf"(?<!\d)(?:\+\s*)?{_GROUP}(?:{_SEP}?{_GROUP})*(?:{_SEP}?[Xx](?![A-Za-z]))?(?![\d])")
_GROUP_RE = re.compile(r"\d+|[Xx]")


def _cue_re(words: Iterable[str]) -> re.Pattern:
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?:{alts})(?:号码|号)?[是为]?\s*[:：]?\s*(?:是|为)?\s*$")


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern]:
    lx = lexicon()
    return {"phone": _cue_re(lx["phone_cues"]), "id": _cue_re(lx["id_cues"]), "card": _cue_re(lx["card_cues"])}


def _is_date(groups: list[str], seps: list[str]) -> bool:
    """2024-03-12, 2024.3, 20240312: a date, not a number to hide."""
    if len(groups) == 1 and len(groups[0]) == 8:
        g = groups[0]
        try:
            return 1900 <= int(g[:4]) <= 2100 and bool(dt.date(int(g[:4]), int(g[4:6]), int(g[6:])))
        except ValueError:
            return False
    if not 2 <= len(groups) <= 3 or any(s.strip() not in ("-", ".", "/") for s in seps):
        return False
    if len(groups[0]) != 4 or not 1900 <= int(groups[0]) <= 2100:
        return False
    if not (len(groups[1]) <= 2 and 1 <= int(groups[1]) <= 12):
        return False
    return len(groups) < 3 or (len(groups[2]) <= 2 and 1 <= int(groups[2]) <= 31)


def _is_amount(groups: list[str], seps: list[str], after: str) -> bool:
    """1,200,000元 / 3.5万: thousands groups or a decimal, or a unit right after."""
    if len(groups) > 1 and all(s.strip() in ",，" for s in seps) and all(len(g) == 3 for g in groups[1:]) \
            and len(groups[0]) <= 3:
        return True
    if len(groups) == 2 and seps[0].strip() == "." and len(groups[1]) <= 2:
        return True
    return bool(after) and after[0] in lexicon()["quantity_units"]


def _classify(digits: str, groups: list[str], seps: list[str], before: str, after: str,
              plus: bool) -> Optional[str]:
    """What a run of digit groups is (mobile, id_card …), or None for a number a page may show."""
    cues = _cues()
    phone_cue = bool(cues["phone"].search(before))
    id_cue = bool(cues["id"].search(before))
    card_cue = bool(cues["card"].search(before))
    n = len(digits)
    body = digits
    if (plus or groups[0] in ("86", "0086")) and re.fullmatch(r"(?:00)?861[3-9]\d{9}", digits):
        return "mobile"
    if n == 11 and re.fullmatch(r"1[3-9]\d{9}", body):
        return "mobile"
    if n == 18 and valid_id18(body):
        return "id_card"
    if n == 15 and valid_id15(body):
        return "id_card"
    if id_cue and 15 <= n <= 18:
        return "id_cue"
    if n == 18 and _id18_shape(body):
        return "id_like"
    if "X" in body.upper():
        return None
    if card_cue and 9 <= n <= 21:
        return "bank_card"
    if 16 <= n <= 19 and luhn_ok(body) and body[0] != "0":
        return "bank_card"
    if body[0] == "0" and 10 <= n <= 12 and body[1] != "0":
        return "landline"
    if _is_date(groups, seps) and not (phone_cue or card_cue or id_cue):
        return None
    if phone_cue and 7 <= n <= 12:
        return "landline"
    if _is_amount(groups, seps, after):
        return None
    if 7 <= n <= 8 and body[0] != "0":
        return "landline_bare"
    if n >= 9:
        return "number"
    return None


_WEAK = ("number", "landline_bare")
_LONG_KINDS = ("bank_card", "id_card", "id_like", "id_cue", "number")


def _number_hits(c: _Copy) -> list[tuple[int, int, str]]:
    t = c.text
    out: list[tuple[int, int, str]] = []
    for m in _CHAIN.finditer(t):
        parts = [(g.start() + m.start(), g.end() + m.start(), g.group()) for g in _GROUP_RE.finditer(m.group())]
        plus = m.group().lstrip().startswith("+")
        used = [False] * len(parts)
        found: list[tuple[int, int, str]] = []
        # sure kinds first (mobile, ID, card, landline with area code), over every run of groups,
        # longest first; then what is only long (a date and a phone can share one chain)
        for weak in (False, True):
            for length in range(len(parts), 0, -1):
                for i in range(0, len(parts) - length + 1):
                    j = i + length
                    if any(used[i:j]):
                        continue
                    run = parts[i:j]
                    groups = [p[2] for p in run]
                    seps = [t[a[1]:b[0]] for a, b in zip(run, run[1:])]
                    start, end = run[0][0], run[-1][1]
                    kind = _classify("".join(groups).upper(), groups, seps,
                                     t[max(0, start - 14):start].rstrip("( "), t[end:end + 2].lstrip(") "),
                                     plus and i == 0)
                    if not kind or (kind in _WEAK) != weak:
                        continue
                    s0 = m.start() if i == 0 and plus else start
                    if t[s0 - 1:s0] == "(":
                        s0 -= 1
                    e0 = end + (1 if t[end:end + 1] == ")" else 0)
                    found.append((s0, e0, "landline" if kind == "landline_bare" else kind))
                    used[i:j] = [True] * length
        # an ID or a card is one long number: the groups left beside it belong to it (…1234 567)
        if any(k in _LONG_KINDS for _, _, k in found) and len(found) == 1:
            kind = found[0][2]
            found = [(min(found[0][0], parts[0][0]), max(found[0][1], parts[-1][1]), kind)]
        out.extend(found)
    return out


@lru_cache(maxsize=1)
def _house_res() -> list[re.Pattern]:
    lx = lexicon()
    units = "|".join(sorted(lx["group_units"], key=len, reverse=True))
    places = "".join(c for c in lx["house_after_place"] if len(c) == 1)
    places_long = "|".join(p for p in lx["house_after_place"] if len(p) > 1)
    num = r"[\d十百〇零一二三四五六七八九两]{1,5}"
    cues = "|".join(sorted(lx["address_cues"], key=len, reverse=True))
    return [
        re.compile(rf"(?<![\d十百〇零一二三四五六七八九两])第?{num}\s*(?:{units})\s*[,，、]?\s*第?\s*{num}\s*号(?:院|楼)?"),
        re.compile(rf"(?:(?<=[{places}])|(?<={places_long}))\s*第?\s*{num}\s*号(?:院|楼)?"),
        re.compile(rf"门牌号?码?\s*[:：是为]?\s*{num}号?"),
        re.compile(r"[\d十百]{1,3}号楼(?:[\d十]{1,2}单元)?(?:\d{1,4}(?:室|号)?)?|[\d十]{1,2}单元\d{1,4}(?:室|号)?"),
        re.compile(rf"(?:{cues})\s*[:：]?\s*[^，。；;！？\n]{{0,12}}?((?:第?{num}\s*(?:{units}|号|栋|楼|单元|室)\s*[,，]?\s*)+)"),
    ]


_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]\s*[A-Za-z]\s*[·•.\- ]?\s*"
                    r"(?=[A-Za-z0-9]{0,5}\d)[A-Za-z0-9]{5,6}(?![A-Za-z0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+\s*@\s*[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _pattern_hits(c: _Copy) -> list[tuple[int, int, str]]:
    t = c.text
    out = _number_hits(c)
    for k, rx in enumerate(_house_res()):
        for m in rx.finditer(t):
            s, e = (m.start(1), m.end(1)) if k == 4 else (m.start(), m.end())
            while e > s and t[e - 1] in " ,，":
                e -= 1
            if e > s:
                out.append((s, e, "house_number"))
    for rx, kind in ((_PLATE, "plate"), (_EMAIL, "email")):
        for m in rx.finditer(t):
            out.append((m.start(), m.end(), kind))
    return out


# --- names ---------------------------------------------------------------------------------------

_SURNAME_CLASS = "".join(sorted(SURNAMES))
_HAN = r"[\u4e00-\u9fff]"


@lru_cache(maxsize=1)
def _form_res() -> tuple[re.Pattern, re.Pattern]:
    kin = "|".join(sorted(lexicon()["kin_suffixes"], key=len, reverse=True))
    old = re.compile(rf"老[{_SURNAME_CLASS}]头?")
    kinform = re.compile(rf"(?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}])(?:{kin})")
    return old, kinform


def _token_starts(text: str) -> set[int]:
    from recognize import ner

    return {t.start for t in ner.tokens(text)}


def _place_like(name: str) -> bool:
    """毛甸子, 高岭子, 杨家沟: three characters ending the way the county's places end."""
    return len(name) == 3 and name[-1] in lexicon()["place_finals"]


def _strip_home(name: str) -> bool:
    return len(name) >= 2 and (name[0] == "老" or len(name) >= 3 or any(name.endswith(k) for k in lexicon()["kin_suffixes"]))


def _lac_persons(text: str) -> list[tuple[int, int]]:
    from recognize import ner

    out = []
    bad_after = set(lexicon()["not_person_after"])
    for e in ner.persons(text):
        s, end = e.start, e.end
        while end > s and text[end - 1] in "们 ":
            end -= 1
        if text[end - 1] == "家" and _strip_home(text[s:end - 1]):
            end -= 1  # 刘婶家, 老郑家, 王秀兰家: the person, without the home
        inner = max((i for i in range(s, end - 1) if text[i] in _PLACE_END), default=-1)
        if inner >= 0:  # 杨木川村路刚: the village and the person as one token
            s = inner + 1
        if end - s < 2 or any(ch.isdigit() for ch in text[s:end]):
            continue
        if text[end:end + 1] in bad_after or text[end - 1] in _PLACE_END or _place_like(text[s:end]):
            continue  # 石柱子村, 杨木川村, 毛甸子: a place, not a person
        out.append((s, end))
    return out


_PLACE_END = set("村镇乡县屯")
# 南荒沟村王秀兰，…: a name right after the village (or group) it lives in, up to a pause
_AFTER_PLACE = re.compile(rf"(?<=[村屯组社队])((?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}]){_HAN}{{1,2}}?)"
                          rf"(?=[，,。；;、：:\s（(]|$|(?:说|反映|家|同意|表示|老人|大爷|大娘))")


def _after_place_names(text: str) -> list[tuple[int, int]]:
    from recognize.extract.lexicon import is_everyday_word
    from recognize.extract.names import COMMON_WORDS

    out = []
    for m in _AFTER_PLACE.finditer(text):
        w = m.group(1)
        if w in COMMON_WORDS or (is_everyday_word(w) and len(w) == 2) or text[m.end(1):m.end(1) + 1] in _PLACE_AFTER:
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
_COMMON = set("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡")


@lru_cache(maxsize=1)
def _common_two_char_words() -> frozenset[str]:
    """Frequent two-character adjectives, verbs, adverbs … in jieba's dictionary (良心, 认真):
    a given name is rarely one of them. Empty without jieba."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return frozenset()
    path = Path(spec.origin).with_name("dict.txt")
    if not path.exists():
        return frozenset()
    out = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and len(parts[0]) == 2 and int(parts[1]) >= 300 and parts[2][:1] in "advcpurmq":
                out.add(parts[0])
    return frozenset(out)


def _dictionary_word(w: str) -> bool:
    """A word the dictionary knows as something other than a name (玉米, 计划, 文化)."""
    from recognize.extract.lexicon import lookup

    got = lookup(w)
    return bool(got) and got[0] >= 20 and not got[1].startswith("nr")


def _rare_surname_names(text: str, spans) -> list[tuple[int, int]]:
    from recognize import ner

    out = []
    taken = [(s, e) for s, e, _ in spans]
    from recognize.extract.lexicon import lookup

    all_tokens = [t for t in ner.tokens(text) if len(t.text) >= 2]
    tags = {t.start: t.tag for t in ner.tokens(text) if len(t.text) == 1}
    words = {t.start: t for t in ner.tokens(text)
             if len(t.text) >= 2 and t.tag not in ("PER", "nr") and lookup(t.text) is not None}
    for i, ch in enumerate(text):
        if ch not in SURNAMES or ch in _COMMON or any(s <= i < e for s, e in taken):
            continue
        if i in words:  # 玉米, 敬老院: LAC reads a word starting here, not a name
            continue
        if i + 2 > len(text) or not _is_han(text[i + 1]):
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
            w, given = text[i:end], text[i + 1:end]
            # 修敬老院: the find cuts into a word; 修大棚: a verb and its object, not a name
            verb_object = tags.get(i, "").startswith("v") and any(
                t.start == i + 1 and t.end == end and t.tag in ("n", "nz", "vn") for t in all_tokens)
            cuts_word = verb_object or any(t.start < end < t.end or (t.start == i and t.end == end and t.tag == "nz")
                                           for t in all_tokens)  # 孔雀草: LAC read one word
            if (_dictionary_word(w) or _dictionary_word(w[:2]) or (len(given) == 2 and _dictionary_word(given))
                    or given in _common_two_char_words()
                    or cuts_word or text[end:end + 1] in _PLACE_AFTER or _place_like(w)):
                break
            out.append((i, end))
            break
    return out


def _spaced_names(raw: str) -> list[tuple[int, int]]:
    """王 秀 兰: a surname and one or two characters, each after a space (offsets into ``raw``)."""
    out = []
    for m in re.finditer(rf"([{_SURNAME_CLASS}])((?:[ \u00a0\u3000]+{_HAN}){{1,2}})", raw):
        out.append((m.start(), m.end()))
    return out


def _form_names(text: str) -> list[tuple[int, int]]:
    old, kinform = _form_res()
    not_person = set(lexicon()["old_not_person"])
    starts = _token_starts(text)
    out = []
    for m in old.finditer(text):
        if text[m.start():m.start() + 2] in not_person and not m.group().endswith("头"):
            continue
        out.append((m.start(), m.end()))
    for m in kinform.finditer(text):
        s = m.start()
        # the surname must begin a word (东边大爷: 边 ends 东边, no person)
        if s in starts or s == 0 or not _is_han(text[s - 1]):
            out.append((s, m.end()))
    return out


def _given(name: str) -> Optional[str]:
    name = name.replace(" ", "")
    if name[:1] == "老" or name[1:] in lexicon()["kin_suffixes"]:
        return None
    if len(name) == 4 and name[:2] in COMPOUND_SURNAMES:
        return name[2:]
    if len(name) == 3 and name[0] in SURNAMES:
        return name[1:]
    return None


def _looks_like_name(s: str) -> bool:
    return 2 <= len(s) <= 4 and all(_is_han(c) for c in s)


_LIST_NEXT = re.compile(rf"\s*[、,，/和及与]\s*((?:{'|'.join(COMPOUND_SURNAMES)}|[{_SURNAME_CLASS}]){_HAN}{{1,2}}?)"
                        rf"(?=[、，,。；;和及与等\s)）]|$|{_HAN}?(?:说|反映|家|同意|表示|称))")


def _name_spans(c: _Copy, known: list[str]) -> list[tuple[int, int, str]]:
    """Name spans in the copy's coordinates."""
    t = c.text
    spans: list[tuple[int, int, str]] = [(s, e, "name") for s, e in _lac_persons(t)]
    spans += [(s, e, "name") for s, e in _form_names(t)]
    spans += [(s, e, "name") for s, e in _after_place_names(t)]
    for h in all_person_names(t, ()):
        s, e = h.start, h.end
        if _dictionary_word(h.name):
            continue  # 看了看路况: the cue rule read a word
        if _place_like(h.name) or t[e:e + 1] in _PLACE_END:
            continue  # the extractor's LAC persons include places LAC takes for people (毛甸子)
        # 张大爷和李婶: the cue rule reads 和李婶 (和 is also a surname)
        if e - s >= 2 and t[s] in "和与跟及同" and t[s + 1] in SURNAMES:
            s += 1
            if e - s < 2:
                continue
        spans.append((s, e, "name"))
    for k in known:
        kk = normalize(k).replace(" ", "")
        if len(kk) < 2:
            continue
        for m in re.finditer(re.escape(kk), t):
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
    givens = {g for g in map(_given, fulls) if g}
    spans = [(s, e, "given" if t[s:e] in givens else kind) for s, e, kind in spans]
    for full in fulls:
        g = _given(full)
        if not g:
            continue
        for m in re.finditer(re.escape(g), t):
            if t[m.end():m.end() + 1] in _PLACE_END:
                continue  # 辛宝山 … 宝山村: the village, not the given name
            if not any(a <= m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), "given"))
    return spans


# --- the detector --------------------------------------------------------------------------------


def _merge(hits: list[PiiHit]) -> list[PiiHit]:
    hits = sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))
    out: list[PiiHit] = []
    for h in hits:
        if h.end <= h.start:
            continue
        if out and h.start < out[-1].end:
            last = out[-1]
            if h.end <= last.end:
                continue
            names = ("name", "known", "given", "cadre")
            kind = last.kind if last.kind not in names else (h.kind if h.kind not in names else last.kind)
            out[-1] = PiiHit("", last.start, h.end, kind, last.replace or h.replace)
            continue
        out.append(h)
    return out


def pii_spans(text: str, known: Iterable[str] = (), *, keep: Iterable[str] = ()) -> list[PiiHit]:
    """Every PII occurrence in text order, overlapping finds joined; offsets into ``text``."""
    raw = text or ""
    if not raw.strip():
        return []
    known = [k.strip() for k in known if k and k.strip()]
    digit_copy = _copy(raw, digits=True)
    name_copy = _copy(raw, digits=False)
    hits: list[PiiHit] = []
    for s, e, kind in _pattern_hits(digit_copy):
        a, b = digit_copy.span(s, e)
        hits.append(PiiHit("", a, b, kind))
    for s, e, kind in _name_spans(name_copy, known):
        a, b = name_copy.span(s, e)
        hits.append(PiiHit("", a, b, kind))
    hits += [PiiHit("", a, b, "name") for a, b in _spaced_names(raw)]
    keep_spans = []
    for k in keep:
        if k:
            keep_spans += [(m.start(), m.end()) for m in re.finditer(re.escape(k), raw)]
    # a word the county names (a village, a township) is never a person, whatever LAC thinks
    hits = [h for h in hits if not (h.kind == "name" and any(a <= h.start and h.end <= b for a, b in keep_spans))]
    out = _merge(hits)
    return [PiiHit(raw[h.start:h.end], h.start, h.end, h.kind) for h in out]


def find_pii(text: str, known: Iterable[str] = ()) -> list[str]:
    """PII strings in order of appearance, each once."""
    known = list(known)
    seen: list[str] = []
    for h in pii_spans(text, known):
        if h.text not in seen:
            seen.append(h.text)
    for k in known:  # names known to the caller are PII even when this text lacks them
        k = (k or "").strip()
        if k and k in (text or "") and k not in seen:
            seen.append(k)
    return seen


_NAME_KINDS = ("name", "known", "given")


def _mask(h: PiiHit) -> str:
    s = h.text
    if h.kind in _NAME_KINDS and _looks_like_name(s.replace(" ", "")):
        s = s.replace(" ", "")
        if h.kind == "given":
            return "某" * len(s)
        if s[0] == "老":
            return "老" + "某" * (len(s) - 1 - (s.endswith("头"))) + ("头" if s.endswith("头") else "")
        if s[:2] in COMPOUND_SURNAMES:
            return s[:2] + "某" * (len(s) - 2)
        if s[0] in SURNAMES and len(s) <= 3 and s[1:] in lexicon()["kin_suffixes"]:
            return "某" + s[1:]
        if s[0] in SURNAMES:
            return s[0] + "某" * (len(s) - 1)
        return "某" * len(s)
    return "".join("＊" if not c.isspace() else c for c in s)


def redact(text: str, extra: Iterable[str] = (), *, cadres: Optional[Mapping[str, str]] = None,
           keep: Iterable[str] = ()) -> str:
    """Text with every PII occurrence masked: names become 王某某 (老某, 某婶), numbers ＊＊＊, and
    the names in ``cadres`` become the cadre's unit (public pages name units, not people)."""
    return apply_masks(text, spans(text, extra, cadres=cadres, keep=keep))


def spans(text: str, extra: Iterable[str] = (), *, cadres: Optional[Mapping[str, str]] = None,
          keep: Iterable[str] = ()) -> list[PiiHit]:
    """What ``redact`` masks, as spans (the publish step shows them highlighted)."""
    text = text or ""
    cadres = {k: v for k, v in (cadres or {}).items() if k and k.strip()}
    extra = [e for e in extra if e and e.strip() and e not in cadres]
    hits = pii_spans(text, extra, keep=keep)
    for name in sorted(cadres, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            hits = [h for h in hits if h.end <= m.start() or h.start >= m.end()]
            hits.append(PiiHit(name, m.start(), m.end(), "cadre", cadres[name]))
    # strings in `extra` that the detector did not cover (a number read differently) are masked
    # wherever they occur
    for e in extra:
        for m in re.finditer(re.escape(e), text):
            if not any(h.start <= m.start() and m.end() <= h.end for h in hits):
                hits.append(PiiHit(e, m.start(), m.end(), "known" if _looks_like_name(e) else "extra"))
    merged = _merge(hits)
    return [PiiHit(text[h.start:h.end], h.start, h.end, h.kind, h.replace) for h in merged]


def apply_masks(text: str, hits: Iterable[PiiHit]) -> str:
    """``text`` with each hit replaced by its mask (hits must not overlap)."""
    out, pos = [], 0
    for h in sorted(hits, key=lambda h: h.start):
        if h.start < pos:
            continue
        out.append(text[pos:h.start])
        out.append(h.replace or _mask(PiiHit(text[h.start:h.end], h.start, h.end, h.kind)))
        pos = h.end
    out.append(text[pos:])
    return "".join(out)
