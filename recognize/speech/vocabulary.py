"""The county's own vocabulary, applied to what Whisper heard: a pinyin-aware corrector.

Whisper base knows 南荒沟村 no better than any other four syllables, and writes 南黄沟村,
鼓楼子乡 or 不达远. The county knows its names (``diary.vocabulary`` gathers them: places of
the org tree, cadres, names and terms of confirmed entries, supervisors' corrections). A span
of the transcript that *sounds* like a vocabulary entry (pypinyin, tones ignored, the
confusable sounds of ``data/fuzzy_pinyin.json`` allowed for one syllable) but is written
differently is replaced by the entry, and the change is kept on the word, so the reviewer
sees what was changed and from what.

Guards against new errors:

* an exact occurrence of a vocabulary name is never touched, nor anything overlapping it;
* two-syllable entries only replace a span read with the same syllables *and tones*, one
  character different; longer ones need at least half their characters written the same;
* a correction learned from supervisors (before -> after, from the audit log) is applied as
  written only once it was made more than once (``LEARNED_MIN_TIMES``), and never where the
  "before" is itself a vocabulary name.
"""
from __future__ import annotations

import copy
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from recognize.transcript import Piece, RecognizedText

DATA = Path(__file__).parent.parent / "data" / "fuzzy_pinyin.json"
# "Only after it was made more than once."
LEARNED_MIN_TIMES = 2
MIN_NAME_CHARS = 2
MAX_NAME_CHARS = 8
# Place names are said without their level as often as with it (到步达远, 南荒沟那边).
PLACE_SUFFIXES = "村乡镇县屯组"


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@lru_cache(maxsize=1)
def _fuzzy() -> tuple[dict[str, str], dict[str, str]]:
    """Canonical representative of each initial and final under the confusable swaps."""
    data = json.loads(DATA.read_text(encoding="utf-8"))

    def classes(pairs) -> dict[str, str]:
        parent: dict[str, str] = {}

        def find(x):
            parent.setdefault(x, x)
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in pairs:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return {x: find(x) for x in parent}

    return classes(data["initials"]), classes(data["finals"])


@lru_cache(maxsize=8192)
def _readings(ch: str) -> tuple[tuple[str, str, str], ...]:
    """(toned, toneless, canonical) readings of one character; () for a non-Han one."""
    if not _is_han(ch):
        return ()
    from pypinyin import Style, pinyin
    from pypinyin.style._utils import get_finals, get_initials

    initials, finals = _fuzzy()
    out = []
    for toned in pinyin(ch, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)[0][:4]:
        plain = toned.rstrip("012345")
        ini = get_initials(plain, strict=False)
        fin = get_finals(plain, strict=False)
        canon = initials.get(ini, ini) + "|" + finals.get(fin, fin)
        out.append((toned, plain, canon))
    return tuple(dict.fromkeys(out))


def _keys(text: str) -> list[tuple[str, ...]]:
    """Every canonical syllable sequence ``text`` may be read as (heteronyms multiply)."""
    options = [sorted({r[2] for r in _readings(ch)}) for ch in text]
    if any(not o for o in options):
        return []
    return [tuple(k) for k in itertools.islice(itertools.product(*options), 64)]


@dataclass(frozen=True)
class Correction:
    start: int
    end: int
    before: str
    after: str
    source: str  # "vocabulary" (sounds like a name) or "learned" (supervisors' correction)


@dataclass(frozen=True)
class Vocabulary:
    """Names the county uses, and supervisors' corrections made more than once."""

    names: tuple[str, ...] = ()
    learned: tuple[tuple[str, str], ...] = ()
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        names: Iterable[str] = (),
        places: Iterable[str] = (),
        corrections: Iterable[tuple[str, str]] = (),
        min_times: int = LEARNED_MIN_TIMES,
    ) -> "Vocabulary":
        """``names``: people and terms, as written; ``places``: unit names, also said
        without their level suffix (步达远镇 -> 步达远); ``corrections``: every (before,
        after) a supervisor made, one pair per correction."""
        words: dict[str, None] = {}
        for raw in names:
            w = str(raw).strip()
            if MIN_NAME_CHARS <= len(w) <= MAX_NAME_CHARS and all(_is_han(c) for c in w):
                words[w] = None
        for raw in places:
            w = str(raw).strip()
            if not (MIN_NAME_CHARS <= len(w) <= MAX_NAME_CHARS and all(_is_han(c) for c in w)):
                continue
            words[w] = None
            if w[-1] in PLACE_SUFFIXES and len(w) - 1 >= 3:
                words[w[:-1]] = None
        counts = Counter((b.strip(), a.strip()) for b, a in corrections if b and a and b.strip() != a.strip())
        learned = []
        for (before, after), n in sorted(counts.items()):
            if n < min_times or before in words:
                continue
            learned.append((before, after))
            if MIN_NAME_CHARS <= len(after) <= MAX_NAME_CHARS and all(_is_han(c) for c in after):
                words[after] = None
        vocab = cls(tuple(words), tuple(learned))
        index: dict[tuple[str, ...], list[str]] = {}
        for w in vocab.names:
            for key in _keys(w):
                index.setdefault(key, []).append(w)
        vocab._index.update(index)
        return vocab

    def __bool__(self) -> bool:
        return bool(self.names or self.learned)

    def lengths(self) -> list[int]:
        return sorted({len(w) for w in self.names}, reverse=True)

    def candidates(self, span: str) -> list[str]:
        seen: dict[str, None] = {}
        for key in _keys(span):
            for w in self._index.get(key, ()):
                if len(w) == len(span):
                    seen[w] = None
        return list(seen)


def as_vocabulary(value: "Vocabulary | Iterable[str] | None") -> Vocabulary:
    """A Vocabulary as is; a plain list of names (CLI, tests) as place and person names."""
    if isinstance(value, Vocabulary):
        return value
    return Vocabulary.build(places=list(value or ()))


def _sounds_like(span: str, name: str) -> Optional[list[int]]:
    """``span`` is ``name`` misheard (see the module docstring for the rules): the positions
    whose sound differs (near-homophones), or None when it is not."""
    if span == name:
        return None
    diffs = [i for i, (a, b) in enumerate(zip(span, name)) if a != b]
    fuzzy = []
    for i in diffs:
        ra, rb = _readings(span[i]), _readings(name[i])
        if len(name) <= 2:
            if not {r[0] for r in ra} & {r[0] for r in rb}:
                return None  # two syllables: the very same sounds, tones included
        elif not {r[1] for r in ra} & {r[1] for r in rb}:
            fuzzy.append(i)
    if len(name) <= 2:
        return fuzzy if len(diffs) == 1 else None
    return fuzzy if len(diffs) <= max(1, len(name) // 2) and len(fuzzy) <= 1 else None


# A character Whisper heard with at least this probability is taken as heard when only a
# near-homophone would change it (庞 and 潘 sound different; a sure decoder heard which):
# a true homophone carries no such evidence (南黄/南荒 sound the same).
SURE = 0.9


def correct_text(text: str, vocab: Vocabulary, sure: Optional[list[bool]] = None) -> list[Correction]:
    """The corrections to make in ``text``, left to right, not overlapping. ``sure[k]``:
    character k was heard with probability >= ``SURE`` (speech; None for plain text)."""
    if not vocab or not text:
        return []
    written = [False] * len(text)  # inside a vocabulary name written exactly
    for name in vocab.names:
        start = text.find(name)
        while start >= 0:
            for k in range(start, start + len(name)):
                written[k] = True
            start = text.find(name, start + 1)
    used = [False] * len(text)
    out: list[Correction] = []

    def take(c: Correction) -> None:
        out.append(c)
        for k in range(c.start, c.end):
            used[k] = True

    for before, after in vocab.learned:
        start = text.find(before)
        while start >= 0:
            end = start + len(before)
            if not any(written[start:end]) and not any(used[start:end]):
                take(Correction(start, end, before, after, "learned"))
            start = text.find(before, end)
    lengths = vocab.lengths()
    for i in range(len(text)):
        if used[i] or not _is_han(text[i]):
            continue
        for n in lengths:
            span = text[i : i + n]
            if len(span) < n or any(used[i : i + n]) or not all(_is_han(c) for c in span):
                continue
            # A name written right is never changed; a longer name around it may be
            # completed (步达远 written right, 步达远寸 -> 步达远村).
            hits = []
            for w in vocab.candidates(span):
                fuzzy = _sounds_like(span, w)
                if fuzzy is None or any(written[i + k] for k in range(n) if span[k] != w[k]):
                    continue
                if sure is not None and any(sure[i + k] for k in fuzzy):
                    continue
                hits.append(w)
            if not hits:
                continue
            # The entry written most like what was heard; a tie: keep the text as heard.
            same = sorted(((sum(a == b for a, b in zip(span, w)), w) for w in hits), reverse=True)
            if len(same) > 1 and same[0][0] == same[1][0]:
                continue
            take(Correction(i, i + n, span, same[0][1], "vocabulary"))
            break
    return sorted(out, key=lambda c: c.start)


def apply(text: str, corrections: list[Correction]) -> str:
    parts, pos = [], 0
    for c in sorted(corrections, key=lambda c: c.start):
        parts.append(text[pos : c.start])
        parts.append(c.after)
        pos = c.end
    parts.append(text[pos:])
    return "".join(parts)


def correct_piece(piece: Piece, vocab: Vocabulary) -> Piece:
    """A copy of ``piece`` with its text corrected; each corrected span becomes one word
    carrying ``corrected_from`` (what was heard) and ``source``, timed over the words it
    replaced."""
    sure = None
    if piece.words:
        sure = [False] * len(piece.text)
        for w in piece.words:
            if (w.get("probability") or 0.0) >= SURE:
                for k in range(w["char_start"], w["char_end"]):
                    sure[k] = True
    fixes = correct_text(piece.text, vocab, sure)
    if not fixes:
        return piece
    new = copy.deepcopy(piece)
    new.text = apply(piece.text, fixes)
    if piece.words is None:
        return new
    def moved(old: int) -> int:  # an offset outside every corrected span, in the new text
        return old + sum(len(c.after) - len(c.before) for c in fixes if c.end <= old)

    words: list[dict] = []
    done: set[int] = set()
    for w in piece.words:
        c = next((c for c in fixes if w["char_start"] < c.end and w["char_end"] > c.start), None)
        if c is None:
            words.append({**w, "char_start": moved(w["char_start"]), "char_end": moved(w["char_end"])})
            continue
        if c.start in done:
            continue
        done.add(c.start)
        covered = [x for x in piece.words if x["char_start"] < c.end and x["char_end"] > c.start]
        old_start = min(c.start, covered[0]["char_start"])
        old_end = max(c.end, covered[-1]["char_end"])
        start, end = moved(old_start), moved(old_end)
        words.append({
            **w,
            "text": new.text[start:end],
            "start": covered[0]["start"],
            "end": max(x["end"] for x in covered),
            "probability": min(x["probability"] for x in covered),
            **({"score": min(x["score"] for x in covered)} if all("score" in x for x in covered) else {}),
            "flagged": False,
            "char_start": start,
            "char_end": end,
            "corrected_from": piece.text[old_start:old_end],
            "source": c.source,
        })
    new.words = words
    return new


def correct_transcript(transcript: RecognizedText, vocab: Optional[Vocabulary]) -> RecognizedText:
    """``transcript`` with every piece corrected and the full text and offsets rebuilt, the
    separators between pieces kept as they were."""
    if not vocab or not transcript.pieces:
        return transcript
    pieces = [correct_piece(p, vocab) for p in transcript.pieces]
    if all(a is b for a, b in zip(pieces, transcript.pieces)):
        return transcript
    old = transcript.text
    gaps = iter([old[a.char_end : b.char_start] for a, b in zip(transcript.pieces, transcript.pieces[1:])])
    return RecognizedText.join(
        pieces, sep=lambda _before, _after: next(gaps),
        language=transcript.language, engine=transcript.engine, model=transcript.model,
        seconds=transcript.seconds, duration=transcript.duration, page_sizes=list(transcript.page_sizes),
    )


def corrections_in(transcript: RecognizedText) -> list[dict]:
    """What the corrector changed: [{"before", "after", "source", "start"}] (for the review)."""
    return [
        {"before": w["corrected_from"], "after": w["text"], "source": w.get("source", ""), "start": w["start"]}
        for p in transcript.pieces for w in (p.words or []) if w.get("corrected_from")
    ]
