"""A learned reading of a note: clauses labelled by a linear-chain CRF (python-crfsuite).

A note is cut into clauses at punctuation, line breaks, the spaces of dictation, fillers
(嗯, 那个) and discourse cues (然后, 回去研究的是, 俺们寻思); each clause gets one role of
``ROLES``.  The rules of this package are features of a clause (which field the rules put it
in, which cue words open it, whether it holds the visit's facts), not final answers, so a
cue that misleads the rules in one style is outweighed by what the model learned from the
others.  ``read(model, text, rules_dict)`` gives the problem, solution and reflections as
spans of the text, each with the model's own probability (the clause marginals).

The base model is trained by ``scripts/train_extractor_model.py`` (``make extractor-model``)
from every labelled note the project has and ships as ``data/sequence.crfsuite``; a county's
model (``learn.py``) is the same thing trained on its confirmed entries as well.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

from recognize.extract import vocab
from recognize.extract.category import default_model
from recognize.extract.textutil import normalize

ROLES = ("facts", "problem", "solution", "reflections", "other")
TEXT_FIELDS = ("problem", "solution", "reflections")
FACT_FIELDS = ("visit_date", "place", "interviewee", "visit_method")
BASE_MODEL = vocab.DATA_DIR / "sequence.crfsuite"
BASE_CATEGORY = vocab.DATA_DIR / "category.crfsuite"

_DATA = vocab.load("sequence")
_FILLERS = sorted(_DATA["fillers"]["words"], key=len, reverse=True)
_FILLER_RX = re.compile("|".join(re.escape(w) for w in _FILLERS))
_OPENER = re.compile("|".join(_DATA["openers"]["patterns"]))
_HARD = re.compile(r"[。！!？?；;，,：:\n]+|[ \t\u3000]+")
_EDGE = "，,。；;：:！!？?、 \t\u3000\n"
_LABEL_AHEAD = re.compile(r"[^\s：:，,。；;\n]{1,8}[：:]")  # a label opens the next line
_LEAD = re.compile("|".join(_DATA["lead"]["patterns"]))
# the model's reading replaces the rules' only when it is surer of its own by this much
SWITCH_MARGIN = float(_DATA["switch"]["margin"])


def _rx(kind: str, file: str = "sequence") -> re.Pattern:
    return re.compile("|".join(vocab.load(file)[kind]["patterns"]))


@lru_cache(maxsize=None)
def _cue_patterns() -> dict[str, re.Pattern]:
    return {
        "cue_problem": _rx("problem", "cues"), "cue_weak_problem": _rx("weak_problem", "cues"),
        "cue_solution": _rx("solution", "cues"), "cue_reflection": _rx("reflection", "cues"),
        "cue_weak_reflection": _rx("weak_reflection", "cues"), "cue_report": _rx("report", "cues"),
        "cue_maxim": _rx("maxim", "cues"), "counts": _rx("counts"), "self": _rx("self"),
        "villager": _rx("villager"), "plan": _rx("plan_words"), "trouble": _rx("problem_words"),
        "opener": _OPENER,
    }


# --- clauses --------------------------------------------------------------------------------


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of `text` (offsets into it), trimmed of fillers at the edges."""
    t = normalize(text)
    cuts: set[int] = {0, len(t)}
    # a line break between two characters of a sentence is the edge of the paper, not a pause
    gaps = [(m.start(), m.end()) for m in _HARD.finditer(t) if not _wrapped(t, m.start(), m.end())]
    gaps += [(m.start(), m.end()) for m in _FILLER_RX.finditer(t) if _filler_alone(t, m.start(), m.end())]
    for m in _OPENER.finditer(t):
        if m.start() > 0:
            cuts.add(m.start())
    for a, b in gaps:
        cuts.add(a)
        cuts.add(b)
    blocked = [False] * (len(t) + 1)
    for a, b in gaps:
        for i in range(a, b):
            blocked[i] = True
    out = []
    edges = sorted(cuts)
    for s, e in zip(edges, edges[1:]):
        while s < e and blocked[s]:
            s += 1
        while e > s and (blocked[e - 1] or t[e - 1] in _EDGE):
            e -= 1
        if e > s and any("\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in t[s:e]):
            if out and s < out[-1][1]:
                continue
            out.append((s, e))
    return _merge_tiny(t, out)


def _wrapped(t: str, s: int, e: int) -> bool:
    return (t[s:e] == "\n" and 0 < s and e < len(t) and "\u4e00" <= t[s - 1] <= "\u9fff"
            and "\u4e00" <= t[e] <= "\u9fff" and not _LABEL_AHEAD.match(t, e))


def _filler_alone(t: str, s: int, e: int) -> bool:
    """嗯 and 那个 as a pause (beside a space or a boundary), not inside a word (那个人)."""
    after = e >= len(t) or not ("\u4e00" <= t[e] <= "\u9fff")
    return after or (e - s == 1 and t[s] in "嗯呃哦噢额")


def _merge_tiny(t: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A one-character piece cut by an opener (我 + 跟…) stays with the clause it opens."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and e - s == 1 and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def same_reading(a, b) -> bool:
    """Two spans that cover mostly the same characters (one inside the other give or take a cue)."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter > 0 and inter >= 0.8 * max(a[1] - a[0], b[1] - b[0])


# --- features -------------------------------------------------------------------------------


def _overlap(a: tuple[int, int], b) -> int:
    if not b:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def rule_role(span: tuple[int, int], evidence: dict) -> str:
    best, most = "other", 0
    for fld in TEXT_FIELDS:
        o = _overlap(span, evidence.get(fld))
        if o * 2 > (span[1] - span[0]) and o > most:
            best, most = fld, o
    if best == "other" and any(_overlap(span, evidence.get(f)) for f in FACT_FIELDS):
        return "facts"
    return best


def features(text: str, spans: Sequence[tuple[int, int]], rules: dict) -> list[dict]:
    """One feature dict per clause: its words, the cue words found in it, where it lies, and
    the rules' reading of it (``rules`` is the rule extractor's ``to_dict()``)."""
    t = normalize(text)
    ev = rules.get("evidence") or {}
    pats = _cue_patterns()
    n = len(spans)
    base: list[dict] = []
    for i, (s, e) in enumerate(spans):
        c = t[s:e]
        f: dict = {"bias": 1.0, "rule=" + rule_role((s, e), ev): 1.0,
                   "pos=%d" % min(4, int(5 * i / max(1, n))): 1.0,
                   "len=%d" % min(4, (e - s) // 4): 1.0,
                   "first": float(i == 0), "last": float(i == n - 1)}
        gap = t[spans[i - 1][1] : s] if i else "^"
        f["sep=" + ("nl" if "\n" in gap else "stop" if re.search(r"[。！!？?；;]", gap)
                    else "comma" if re.search(r"[，,]", gap) else "colon" if re.search(r"[：:]", gap)
                    else "space" if gap.strip() == "" and gap else "start" if gap == "^" else "cue")] = 1.0
        if e < len(t) and t[e] in "：:":
            f["label"] = 1.0
            f["label=" + c[-4:]] = 1.0
        for k in (1, 2, 3):
            f[f"b{k}=" + c[:k]] = 1.0
        f["e2=" + c[-2:]] = 1.0
        for j in range(len(c) - 1):
            f["bg=" + c[j : j + 2]] = 1.0
        for name, rx in pats.items():
            m = rx.search(c)
            if m:
                f[name] = 1.0
                if m.start() <= 2:
                    f[name + "@start"] = 1.0
        for fld in FACT_FIELDS:
            if _overlap((s, e), ev.get(fld)):
                f["fact=" + fld] = 1.0
        base.append(f)
    keep = [k for k in ("opener", "cue_problem", "cue_solution", "cue_reflection", "cue_weak_reflection",
                        "self", "villager", "label", "counts")]
    out = []
    for i, f in enumerate(base):
        g = dict(f)
        for d, tag in ((-1, "p:"), (1, "n:")):
            j = i + d
            if 0 <= j < n:
                for k, v in base[j].items():
                    if k.startswith("rule=") or k in keep or k.startswith("sep="):
                        g[tag + k] = v
        out.append(g)
    return out


# --- gold roles -----------------------------------------------------------------------------


def _locate(t: str, value: str) -> list[bool]:
    """Which characters of `t` the gold value covers: an exact match, else the matching blocks
    (a supervisor's light edit or a label the eval wrote without its filler)."""
    cov = [False] * len(t)
    v = normalize(value or "").strip()
    if not v:
        return cov
    at = t.find(v)
    if at >= 0:
        for i in range(at, at + len(v)):
            cov[i] = True
        return cov
    sm = difflib.SequenceMatcher(None, t, v, autojunk=False)
    for a, _b, size in sm.get_matching_blocks():
        if size >= 2:
            for i in range(a, a + size):
                cov[i] = True
    return cov


def gold_roles(text: str, spans: Sequence[tuple[int, int]], gold: dict, rules: dict) -> list[str]:
    """The role of each clause in a confirmed entry: the text field covering most of it; a
    field the entry does not state (absent from `gold`) falls back on the rules' reading."""
    t = normalize(text)
    cover = {f: _locate(t, gold.get(f) or "") for f in TEXT_FIELDS if f in gold}
    ev = rules.get("evidence") or {}
    out = []
    for s, e in spans:
        size = max(1, sum(1 for ch in t[s:e] if not ch.isspace()))
        best, score = "other", 0.0
        for fld, cov in cover.items():
            sc = sum(1 for i in range(s, e) if cov[i] and not t[i].isspace()) / size
            if sc > score:
                best, score = fld, sc
        role = best if score >= 0.5 else "other"
        if role == "other":
            ruled = rule_role((s, e), ev)
            if ruled in TEXT_FIELDS and ruled not in gold:
                role = ruled
            elif ruled == "facts" or any(_overlap((s, e), ev.get(f)) for f in FACT_FIELDS):
                role = "facts"
        out.append(role)
    return out


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldReading:
    value: str
    span: Optional[tuple[int, int]]
    prob: float  # mean marginal of the field's clauses (or of none having the role, when empty)
    edge: float  # the lowest marginal at the span's edges: how sure the cut is
    backing: float = 0.0  # the model's support for the rules' own answer (see `read`)


def train(items: Sequence[tuple[str, dict, dict]], path: Path, *, c1: float = 0.05, c2: float = 0.05,
          iterations: int = 150) -> Path:
    """Train on (text, gold fields, rules dict) triples and write the model file to `path`."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for text, gold, rules in items:
        spans = clauses(text)
        if not spans:
            continue
        trainer.append(features(text, spans, rules), gold_roles(text, spans, gold, rules))
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": iterations,
                        "feature.possible_transitions": True})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(path))
    return path


_taggers: dict = {}


def tagger(path: Path = BASE_MODEL):
    """The model at `path`, opened once per process (keyed by path and modification time)."""
    import pycrfsuite

    path = Path(path)
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        return None
    hit = _taggers.get(str(path))
    if hit and hit[0] == key:
        return hit[1]
    tg = pycrfsuite.Tagger()
    tg.open(str(path))
    _taggers[str(path)] = (key, tg)
    return tg


def read(tg, text: str, rules: dict) -> dict[str, FieldReading]:
    """field -> FieldReading for problem, solution and reflections."""
    spans = clauses(text)
    if tg is None or not spans:
        return {}
    labels = tg.tag(features(text, spans, rules))
    marg = [{r: tg.marginal(r, i) for r in ROLES if r in tg.labels()} for i in range(len(spans))]
    out = {}
    ev = rules.get("evidence") or {}
    for fld in TEXT_FIELDS:
        # how much the model backs the rules' own answer: the field's marginal over the clauses
        # the rules' span covers, or, when the rules found nothing, that no clause has the role
        r = ev.get(fld)
        cover = [i for i, sp in enumerate(spans) if r and _overlap(sp, r) * 2 > sp[1] - sp[0]] or [
            i for i, sp in enumerate(spans) if r and _overlap(sp, r)]  # a part of one clause
        backing = (sum(marg[i].get(fld, 0.0) for i in cover) / len(cover) if cover
                   else min((1.0 - m.get(fld, 0.0) for m in marg), default=1.0) if not r else 0.0)
        runs, cur = [], None
        for i, lab in enumerate(labels):
            if lab == fld:
                cur = [cur[0], i] if cur else [i, i]
            elif cur and lab == "other" and i + 1 < len(labels) and labels[i + 1] == fld and spans[i][1] - spans[i][0] <= 4:
                continue  # a filler between two pieces of the field
            else:
                if cur:
                    runs.append(cur)
                cur = None
        if cur:
            runs.append(cur)
        if not runs:
            p_none = min((1.0 - m.get(fld, 0.0) for m in marg), default=1.0)
            out[fld] = FieldReading("", None, round(p_none, 3), round(p_none, 3), round(backing, 3))
            continue
        a, b = max(runs, key=lambda r: sum(marg[i].get(fld, 0.0) * (spans[i][1] - spans[i][0]) for i in range(r[0], r[1] + 1)))
        s, e = spans[a][0], spans[b][1]
        lead = _LEAD.match(normalize(text[s:e]))
        if lead and 0 < lead.end() < e - s:
            s += lead.end()
        inside = [marg[i].get(fld, 0.0) for i in range(a, b + 1)]
        edge = min([inside[0], inside[-1]]
                   + ([1 - marg[a - 1].get(fld, 0.0)] if a > 0 else [])
                   + ([1 - marg[b + 1].get(fld, 0.0)] if b + 1 < len(spans) else []))
        out[fld] = FieldReading(text[s:e], (s, e), round(sum(inside) / len(inside), 3), round(edge, 3), round(backing, 3))
    return out


# --- the category: the same learner over one item (a maximum-entropy classifier) ---------------


def category_features(text: str, rules: dict) -> dict:
    """The rules' category and keyword scores, and the words of the problem and of the note."""
    t = normalize(text)
    problem = normalize(rules.get("problem") or "")
    f: dict = {"bias": 1.0, "rule=" + (rules.get("category") or ""): 1.0}
    kw = default_model().scores(problem, 3.0)
    default_model().scores(t, 1.0, kw)
    top = max(kw.values(), default=0.0) or 1.0
    for cat, sc in kw.items():
        f["kw=" + cat] = sc / top
    for j in range(len(problem) - 1):
        f["p=" + problem[j : j + 2]] = 1.0
    for j in range(len(t) - 1):
        if "\u4e00" <= t[j] <= "\u9fff":
            f["t=" + t[j : j + 2]] = 0.5
    return f


def train_category(items: Sequence[tuple[str, dict, dict]], path: Path, *, c1: float = 0.1, c2: float = 0.01) -> Optional[Path]:
    """(text, gold, rules) -> the category model at `path` (None when no item states a category)."""
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    n = 0
    for text, gold, rules in items:
        if gold.get("category"):
            trainer.append([category_features(text, rules)], [gold["category"]])
            n += 1
    if not n:
        return None
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": 200})
    path = Path(path)
    trainer.train(str(path))
    return path


@dataclass(frozen=True)
class CategoryReading:
    value: str
    prob: float  # the model's probability of its own choice
    backing: float  # the model's probability of the rules' category


def read_category(tg, text: str, rules: dict) -> Optional[CategoryReading]:
    if tg is None:
        return None
    label = tg.tag([category_features(text, rules)])[0]
    labels = set(tg.labels())
    rule = rules.get("category") or ""
    return CategoryReading(label, round(tg.marginal(label, 0), 3),
                           round(tg.marginal(rule, 0), 3) if rule in labels else 0.0)
