"""Text handling for Whisper output: simplified Chinese, prompts, echoes, repeats, CER."""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Iterable, Sequence

from recognize import simplify

# The initial prompt that nudges Whisper towards simplified Chinese with punctuation.
BASE_PROMPT_ZH = "以下是普通话的句子。"
# Whisper's prompt context holds at most ~224 tokens; keep vocabulary well inside it.
MAX_VOCAB_CHARS = 120

# What Whisper says over silence or music in Chinese: subtitle credits and sign-offs from
# its training data. A field-visit memo never contains them; a segment that is nothing
# else is dropped.
HALLUCINATIONS = (
    "请不吝点赞订阅转发打赏支持明镜与点点栏目",
    "字幕由amara.org社区提供",
    "小编字幕由amara.org社区提供",
    "中文字幕志愿者",
    "谢谢观看",
    "谢谢大家观看",
    "感谢观看",
    "谢谢收看",
    "优优独播剧场yoyotelevisionseriesexclusive",
    "本视频由",
    "字幕",
    "订阅",
)


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese (OpenCC t2s, then the context fixes of
    recognize.simplify: 带著 -> 带着); punctuation is kept as is."""
    return simplify.to_simplified(text)


_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_FULL_WIDTH = {",": "，", "?": "？", "!": "！", ";": "；", ":": "：", ".": "。"}
# Half-width , ? ! ; : next to a Chinese character; "." only after one and not before a digit
# (so 3.5亩 and 10:30 keep theirs).
_HALF_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}])\s*([,?!;:])\s*|\s*([,?!;:])\s*(?=[{_CJK}])"
                               rf"|(?<=[{_CJK}])\.(?!\d)\s*")


def full_width_punct(text: str) -> str:
    """Chinese punctuation in Chinese text: Whisper often writes 上午,我到… with ASCII marks."""
    return _HALF_NEXT_TO_CJK.sub(lambda m: _FULL_WIDTH[m.group(1) or m.group(2) or "."], text)


def strip_punct(text: str) -> str:
    """Drop whitespace and punctuation/symbols (Unicode categories P*, S*, Z*)."""
    return "".join(
        ch for ch in text if not unicodedata.category(ch)[0] in "PSZ" and not ch.isspace()
    )


def normalize_for_cer(text: str) -> str:
    """Scoring form: simplified, lower case, no spaces or punctuation."""
    return strip_punct(to_simplified(text)).lower()


def edit_distance(a: Sequence, b: Sequence) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` (normalized)."""
    ref, hyp = normalize_for_cer(reference), normalize_for_cer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(hyp, ref) / len(ref)


def build_prompt(language: str | None, vocabulary: Iterable[str], *, base: bool) -> str | None:
    """The initial prompt: optional base sentence plus the deployment's vocabulary."""
    words: list[str] = []
    seen = set()
    for raw in vocabulary or ():
        word = str(raw).strip()
        if word and word not in seen:
            seen.add(word)
            words.append(word)
    zh = (language or "zh").startswith("zh")
    parts: list[str] = []
    if base and zh:
        parts.append(BASE_PROMPT_ZH)
    if words:
        listed, total = [], 0
        for w in words:
            if total + len(w) + 1 > MAX_VOCAB_CHARS:
                break
            listed.append(w)
            total += len(w) + 1
        sep = "、" if zh else ", "
        parts.append(("可能提到：" if zh else "Names: ") + sep.join(listed) + ("。" if zh else "."))
    return "".join(parts) or None


def is_prompt_echo(text: str, prompt: str | None, vocabulary: Iterable[str] = ()) -> bool:
    """True when a segment merely repeats the prompt (Whisper does this on unclear audio)."""
    if not prompt:
        return False
    seg = normalize_for_cer(text)
    ref = normalize_for_cer(prompt)
    if not seg or not ref:
        return False
    base = normalize_for_cer(BASE_PROMPT_ZH)
    if base in seg and len(seg) <= len(base) + 4:
        return True
    if len(seg) >= 4 and seg in ref and len(seg) >= 0.5 * len(ref):
        return True
    if len(seg) >= 6 and difflib.SequenceMatcher(None, seg, ref).ratio() >= 0.75:
        return True
    # A run of vocabulary words with (almost) nothing else is the word list read back.
    terms = sorted({normalize_for_cer(v) for v in vocabulary if normalize_for_cer(v)}, key=len)
    hits = 0
    rest = seg
    for term in reversed(terms):
        if term in rest:
            hits += rest.count(term)
            rest = rest.replace(term, "")
    rest = rest.replace(normalize_for_cer("可能提到"), "")
    return hits >= 3 and len(rest) <= 0.2 * len(seg)


_REPEAT_UNIT = re.compile(r"(.{2,15}?)(?:[，,、。\s]*\1){2,}")
_REPEAT_CHAR = re.compile(r"(\w)\1{4,}")


def collapse_repeats(text: str) -> str:
    """Collapse hallucinated loops: a 2-15 character unit said 3+ times in a row, or one
    character 5+ times, is kept once."""
    previous = None
    while previous != text:
        previous = text
        text = _REPEAT_CHAR.sub(r"\1", text)
        text = _REPEAT_UNIT.sub(r"\1", text)
    return text


def is_hallucination(text: str) -> bool:
    norm = normalize_for_cer(text)
    return bool(norm) and any(norm == normalize_for_cer(h) for h in HALLUCINATIONS)
