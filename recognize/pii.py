"""The one PII detector: used by extraction, public pages and public exports.

``find_pii(text, known=())`` lists the strings that must never reach a public page;
``redact(text, extra=())`` masks them.  Detected:

- person names after role cues (村民/户主/老人/低保户/受访对象/邻居/妻子 …) and every name in
  ``known`` (e.g. the interviewee of the entry);
- mainland mobile numbers 1[3-9]x-xxxx-xxxx (spaces/dashes tolerated, +86 prefix);
- landlines 0xxx-xxxxxxx, and 7–8 digit numbers after 电话/座机;
- resident ID numbers: 18 characters with a valid GB 11643 check digit and a plausible birth
  date, or 15 digits with a plausible birth date; after a 身份证 cue any 15–18 character
  number (a mistyped ID is still someone's ID);
- bank card numbers: 16–19 digits passing the Luhn check, or after a 银行卡/卡号/账号 cue;
- house numbers: 三组15号, 南荒沟村8号, 门牌号12, 5号楼3单元201;
- licence plates (辽F12345) and e-mail addresses.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable

from recognize.extract.names import all_person_names
from recognize.extract.textutil import normalize

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_SEP = r"[ \-\u2010-\u2015\u3000]?"
_MOBILE = re.compile(rf"(?<![\dA-Za-z])(?:(?:\+|00)?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?![\dA-Za-z])")
_LANDLINE = re.compile(r"(?<![\dA-Za-z])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ \-]?[2-9]\d{6,7}(?:[-转]\d{1,4})?(?![\dA-Za-z])")
_PHONE_CUE = re.compile(r"(?:电话|座机|手机|联系方式|号码)[是为]?[:：]?\s*(?P<n>\d[\d \-]{5,14}\d)")
_LONG_NUM = re.compile(r"(?<![\dA-Za-z])(?:\d[ \-]?){14,18}[\dXx](?![\dA-Za-z])")
_ID_CUE = re.compile(r"(?:身份证|证件)(?:号码|号)?[是为]?[:：]?\s*(?P<n>[\dXx][\dXx \-]{8,22}[\dXx])")
_CARD_CUE = re.compile(r"(?:银行卡|卡号|账号|存折|一卡通|社保卡)(?:号码|号)?[是为]?[:：]?\s*(?P<n>\d[\d \-]{8,26}\d)")
_HOUSE = re.compile(
    r"(?:(?:[一二三四五六七八九十]{1,3}|\d{1,2})组|[\u4e00-\u9fff]{1,6}(?:村|屯|街|路|巷|道|胡同|小区))"
    r"\s*(?:\d{1,4}|[一二三四五六七八九十百]{1,4})号(?:院|楼)?"
    r"|门牌号?[:：]?\s*\d{1,4}号?"
    r"|\d{1,3}号楼(?:\d{1,2}单元)?(?:\d{1,4}室?)?"
    r"|\d{1,2}单元\d{1,4}室?"
)
# numbers read out digit by digit and written so by the recognizer (一三八四一五二六七零九)
_SPOKEN_DIGITS = "零〇一二三四五六七八九幺"
_SPOKEN_NUM = re.compile(rf"(?<![{_SPOKEN_DIGITS}十百千万])[{_SPOKEN_DIGITS}](?:[ \u3000\-]?[{_SPOKEN_DIGITS}]){{6,16}}"
                         rf"(?:[ \u3000\-]?[{_SPOKEN_DIGITS}Xx叉])?(?![{_SPOKEN_DIGITS}十百千万])")
_SPOKEN_VALUE = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1", "叉": "X", "x": "X"}
_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][·• ]?[A-Z0-9]{5,6}(?![A-Za-z0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass
class PiiHit:
    text: str
    start: int
    end: int
    kind: str  # name | mobile | landline | id_card | id_cue | bank_card | house_number | plate | email | known


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit() or c in "Xx").upper()


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


def pii_spans(text: str, known: Iterable[str] = ()) -> list[PiiHit]:
    """Every PII occurrence, longest first where they overlap, in text order."""
    raw = text or ""
    # detect on a same-length normalized copy (full-width digits, traditional characters),
    # report the strings as they are in the caller's text
    text = normalize(raw)
    found: list[PiiHit] = []
    for m in _MOBILE.finditer(text):
        found.append(PiiHit(m.group(), m.start(), m.end(), "mobile"))
    for m in _LONG_NUM.finditer(text):
        got = m.group().rstrip(" -")
        num = _digits(got)
        end = m.start() + len(got)
        if len(num) == 18 and valid_id18(num):
            found.append(PiiHit(got, m.start(), end, "id_card"))
        elif len(num) == 15 and valid_id15(num):
            found.append(PiiHit(got, m.start(), end, "id_card"))
        elif 16 <= len(num) <= 19 and num.isdigit() and luhn_ok(num) and not num.startswith("0"):
            found.append(PiiHit(got, m.start(), end, "bank_card"))
    for regex, kind in ((_ID_CUE, "id_cue"), (_CARD_CUE, "bank_card"), (_PHONE_CUE, "landline")):
        for m in regex.finditer(text):
            got = m["n"].rstrip(" -")
            found.append(PiiHit(got, m.start("n"), m.start("n") + len(got), kind))
    for m in _SPOKEN_NUM.finditer(text):
        num = "".join(_SPOKEN_VALUE.get(c, c) for c in m.group() if c not in " \u3000-")
        if len(num) == 11 and re.fullmatch(r"1[3-9]\d{9}", num):
            found.append(PiiHit(m.group(), m.start(), m.end(), "mobile"))
        elif len(num) == 18 and valid_id18(num):
            found.append(PiiHit(m.group(), m.start(), m.end(), "id_card"))
        elif 7 <= len(num) <= 12 and re.search(r"(?:电话|座机|手机|号码)[是为]?[:：]?\s*$", text[max(0, m.start() - 8) : m.start()]):
            found.append(PiiHit(m.group(), m.start(), m.end(), "landline"))
    for m in _LANDLINE.finditer(text):
        found.append(PiiHit(m.group(), m.start(), m.end(), "landline"))
    for m in _HOUSE.finditer(text):
        g = m.group()
        # keep only the number part for 'X村8号' so the village name stays readable
        k = re.search(r"(?:[一二三四五六七八九十]{1,3}|\d{1,2})组\s*\S*号|\d.*|[一二三四五六七八九十百]{1,4}号.*", g)
        s = m.start() + (k.start() if k and not g.startswith("门牌") else 0)
        found.append(PiiHit(text[s : m.end()], s, m.end(), "house_number"))
    for regex, kind in ((_PLATE, "plate"), (_EMAIL, "email")):
        for m in regex.finditer(text):
            found.append(PiiHit(m.group(), m.start(), m.end(), kind))
    known = [k for k in known if k and k.strip()]
    for h in all_person_names(text, known):
        found.append(PiiHit(h.name, h.start, h.end, "known" if h.cue == "known" else "name"))
    # drop hits inside longer ones; dates like 3月12号 are not house numbers (no 组/村 before)
    found.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out: list[PiiHit] = []
    for h in found:
        if h.end <= h.start:
            continue
        if out and h.start < out[-1].end:
            if h.end <= out[-1].end:
                continue
            if h.kind in ("name", "known"):
                continue
        out.append(h)
    return [PiiHit(raw[h.start : h.end], h.start, h.end, h.kind) for h in out]


def find_pii(text: str, known: Iterable[str] = ()) -> list[str]:
    """PII strings in order of appearance, each once."""
    seen: list[str] = []
    for h in pii_spans(text, known):
        if h.text not in seen:
            seen.append(h.text)
    for k in known:  # names known to the caller are PII even when this text lacks them
        k = (k or "").strip()
        if k and k in (text or "") and k not in seen:
            seen.append(k)
    return seen


def _mask(h: PiiHit) -> str:
    if h.kind in ("name", "known") and len(h.text) >= 2:
        return h.text[0] + "某" * (len(h.text) - 1)
    return "".join("＊" if not c.isspace() and c not in "-" else c for c in h.text)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Text with every PII occurrence masked (names become 张某某, numbers ＊＊＊)."""
    text = text or ""
    extra = [e for e in extra if e and e.strip()]
    hits = pii_spans(text, extra)
    # strings in `extra` that the span finder did not cover (e.g. a phone number read
    # differently) are masked wherever they occur
    covered = [(h.start, h.end) for h in hits]
    for e in extra:
        i = text.find(e)
        while i >= 0:
            if not any(a <= i and i + len(e) <= b for a, b in covered):
                hits.append(PiiHit(e, i, i + len(e), "known" if _looks_like_name(e) else "extra"))
            i = text.find(e, i + len(e))
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out, pos = [], 0
    for h in hits:
        if h.start < pos:
            if h.end <= pos:
                continue
            h = PiiHit(text[pos : h.end], pos, h.end, h.kind)
        out.append(text[pos : h.start])
        out.append(_mask(h))
        pos = h.end
    out.append(text[pos:])
    return "".join(out)


def _looks_like_name(s: str) -> bool:
    return 2 <= len(s) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in s)
