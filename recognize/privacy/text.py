"""The normalised copies the recognizers read, with a map back to the original positions.

Full-width, Chinese (一三九, 幺, 〇), capital (壹叁玖) and circled (①) digits become ASCII (in the
digit copy), zero-width characters go, dashes and brackets get one spelling, and spaces between two
Han characters are dropped (王 秀 兰).  Every span a recognizer finds on a copy is mapped back to
the original text with ``Copy.span``.
"""
from __future__ import annotations

from dataclasses import dataclass

from recognize.extract.textutil import normalize

_ZERO_WIDTH = set("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_SPACES = set("\u00a0\u2007\u202f\u3000\u2002\u2003\u2009\t")
_DIGIT_OF = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "幺": "1", "洞": "0"}
_DIGIT_OF |= {c: str(i) for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")} | {"貳": "2", "參": "3", "陸": "6"}
_DIGIT_OF |= {chr(0x2460 + i): str(i + 1) for i in range(9)} | {"⓪": "0"}  # ①..⑨
_DIGIT_OF |= {chr(0x2776 + i): str(i + 1) for i in range(9)} | {chr(0x2780 + i): str(i + 1) for i in range(9)}
_DASHES = set("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc")
_FULLSTOP = set("．。")  # 139。1234。5678 is dictation punctuation inside a number


def is_han(c: str) -> bool:
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
class Copy:
    text: str
    pos: tuple[int, ...]  # pos[i]: index in the original of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.pos[start], self.pos[end - 1] + 1


def copy(raw: str, digits: bool) -> Copy:
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
        if c == " " and out_c and is_han(out_c[-1]):
            j = i
            while j < n and chars[j] == " ":
                j += 1
            if j < n and is_han(chars[j]):
                continue
        out_c.append(c)
        out_p.append(pos[i])
    return Copy("".join(out_c), tuple(out_p))


def digits_of(s: str) -> str:
    """The ASCII digits of ``s`` in any spelling (一三九 → 139)."""
    return "".join(ch for ch in copy(s, digits=True).text if ch.isdigit())
