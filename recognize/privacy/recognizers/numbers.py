"""Numbers: one reader of digit chains (any spelling, any grouping) for the number kinds.

The digit copy of the text (``recognize.privacy.text``) is read for chains of digit groups joined
by spaces, ``- . / _``, commas or a group in parentheses.  Every run of groups in a chain is
offered to the kinds' own checks, sure kinds first (``mobile``, ``id_card``, ``bank_card``,
``landline`` with an area code), longest run first; then what is only long (a bare 7-8 digits, 9 or
more digits of no known kind).  Dates and amounts are left alone.  The cue right before a chain
(电话, 身份证, 卡号 …) is the context that raised the score.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Iterable, Optional

from recognize.privacy.findings import Context, Finding, cues
from recognize.privacy.recognizers import bank_card, id_card, landline, mobile

NAME = "numbers"
# a line break inside a number: OCR and dictation break a long number over lines
_SEP = r"(?:[ ]+|[ ]*\n[ ]*|[ ]*[-./_,，。·:：][ ]*)"
_GROUP = r"(?:\d+|\(\s*\d+\s*\))"
_CHAIN = re.compile(rf"(?<!\d)(?:\+\s*)?{_GROUP}(?:{_SEP}?{_GROUP})*(?:{_SEP}?[Xx](?![A-Za-z]))?(?![\d])")
_GROUP_RE = re.compile(r"\d+|[Xx]")


def _cue_re(words: Iterable[str]) -> re.Pattern:
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?:{alts})(?:号码|号)?[是为]?\s*[:：]?\s*(?:是|为)?\s*$")


@lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern]:
    lx = cues()
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
    return bool(after) and after[0] in cues()["quantity_units"]


_REF_CUE = re.compile(r"(?:编号|文号|案号|件号|单号|批次|序号)[是为]?\s*[:：]?\s*$")


def _is_time(groups: list[str], seps: list[str]) -> bool:
    """8:30, 8:30-17:00: clock times."""
    if not any(":" in s or "：" in s for s in seps):
        return False
    return all(len(g) <= 2 for g in groups) and all(s.strip() in (":", "：", "-", "~", "至") for s in seps)


def _classify(digits: str, groups: list[str], seps: list[str], before: str, after: str,
              plus: bool) -> Optional[tuple[str, float, str]]:
    """(kind, score, cue) of a run of digit groups, or None for a number a page may show."""
    cue_res = _cues()
    found = {k: cue_res[k].search(before) for k in ("phone", "id", "card")}
    cue = next((m.group() for m in found.values() if m), "")
    phone_cue, id_cue, card_cue = (bool(found[k]) for k in ("phone", "id", "card"))

    def tagged(got):
        return (got[0], got[1], cue) if got else None

    got = mobile.classify(digits, groups[0], plus) or id_card.classify(digits, id_cue)
    if got:
        return tagged(got)
    if _is_time(groups, seps) or (_REF_CUE.search(before) and not (phone_cue or card_cue or id_cue)):
        return None  # 8:30-17:00; 信访件编号2023-0456: a case's number, not a person's
    if "X" in digits.upper():
        return None
    got = bank_card.classify(digits, card_cue) or landline.with_area_code(digits)
    if got:
        return tagged(got)
    if _is_date(groups, seps) and not (phone_cue or card_cue or id_cue):
        return None
    got = landline.after_cue(digits, phone_cue)
    if got:
        return tagged(got)
    if _is_amount(groups, seps, after):
        return None
    got = landline.bare(digits)
    if got:
        return tagged(got)
    if len(digits) >= 9:
        return "number", 0.8, cue
    return None


_WEAK = ("number", "landline_bare")
_LONG_KINDS = ("bank_card", "id_card", "id_like", "id_cue", "number")


def _chains(c) -> list[tuple[int, int, str, float, str]]:
    t = c.text
    out: list[tuple[int, int, str, float, str]] = []
    for m in _CHAIN.finditer(t):
        parts = [(g.start() + m.start(), g.end() + m.start(), g.group()) for g in _GROUP_RE.finditer(m.group())]
        plus = m.group().lstrip().startswith("+")
        used = [False] * len(parts)
        found: list[tuple[int, int, str, float, str]] = []
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
                    if length > 1 and end < len(t) and t[end] in cues()["quantity_units"]:
                        continue  # …3013 3万元: the last group is an amount, not part of the number
                    got = _classify("".join(groups).upper(), groups, seps,
                                     t[max(0, start - 14):start].rstrip("( "), t[end:end + 2].lstrip(") "),
                                     plus and i == 0)
                    if not got or (got[0] in _WEAK) != weak:
                        continue
                    kind, score, cue = got
                    s0 = m.start() if i == 0 and plus else start
                    if t[s0 - 1:s0] == "(":
                        s0 -= 1
                    e0 = end + (1 if t[end:end + 1] == ")" else 0)
                    found.append((s0, e0, "landline" if kind == "landline_bare" else kind, score, cue))
                    used[i:j] = [True] * length
        # an ID or a card is one long number: the groups left beside it belong to it (…1234 567)
        # …but not an amount right after it (ID 2106… 3万元: the 3 is money)
        if any(f[2] in _LONG_KINDS for f in found) and len(found) == 1:
            f = found[0]
            last = parts[-1][1]
            units = cues()["quantity_units"]
            while last > f[1] and last < len(t) and t[last] in units:
                last = max((p[1] for p in parts if p[1] < last), default=f[1])
            found = [(min(f[0], parts[0][0]), max(f[1], last), *f[2:])]
        out.extend(found)
    return out


def recognize(ctx: Context) -> list[Finding]:
    c = ctx.digits
    out = []
    for s, e, kind, score, cue in _chains(c):
        a, b = c.span(s, e)
        out.append(Finding(a, b, kind, score, NAME, (cue,) if cue else ()))
    return out


