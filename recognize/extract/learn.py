"""A per-deployment model that learns from confirmed entries, the way Paperless-ngx learns tags.

Every confirmed entry is a training example: the transcript it came from and the supervisor's
final fields.  Two scikit-learn models are trained on them:

- clause roles: the transcript is cut into clauses; each clause is labelled problem, solution,
  reflections or other from where the confirmed fields lie in it; features are character
  n-grams of the clause plus the rules' view (which field the rules put the clause in, the
  role of the clause before, its position);
- the category: character n-grams of the transcript and of the rules' problem, plus the
  keyword model's scores and the rules' category.

A field is taken from the model only where its cross-validated accuracy on these entries is
higher than the rules' accuracy on the same entries (``Trained.use``).  The model object is
pure data: ``apply(text, extraction)`` changes nothing but the extraction it returns, so
extraction stays a function of (text, now, gazetteer, model).  Nothing here reads a
database or leaves the machine: the caller stores the model in the instance folder.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from recognize.extract.textutil import char_f1  # the bench's and the calibration's measure too

TEXT_FIELDS = ("problem", "solution", "reflections")
LEARNED_FIELDS = TEXT_FIELDS + ("category",)
ROLES = TEXT_FIELDS + ("other",)
MIN_EXAMPLES = 20  # fewer confirmed entries than this: the rules alone
FOLDS = 5
FORMAT = 2  # 2: the county's own sequence model and calibration
# a county's confirmed entries count this many times beside the base notes in its sequence model
COUNTY_WEIGHT = 3


@dataclass(frozen=True)
class Example:
    """One confirmed entry: what was transcribed, when, and what the supervisor kept."""

    text: str
    now: Optional[str]
    fields: dict  # problem, solution, reflections, category


def fingerprint(examples: Sequence[Example]) -> str:
    """Changes whenever an example is added, removed or corrected (training is skipped if not)."""
    h = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: (e.text, e.now or "")):
        h.update(json.dumps([ex.text, ex.now, {k: ex.fields[k] for k in sorted(ex.fields)}],
                            ensure_ascii=False, default=str).encode("utf-8"))
    return h.hexdigest()


# --- clauses -------------------------------------------------------------------------------
_CLAUSE_END = re.compile(r"[。！!？?；;，,\n]+|[ \t\u3000]+")
_LEAD_LABEL = re.compile(r"^\s*[^\s：:，,。；;]{1,6}[：:]\s*")


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause: between punctuation, line breaks or the spaces of dictation."""
    out, pos = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return [(s, e) for s, e in out if any("\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in text[s:e])]


def _overlap(a: tuple[int, int], b: Optional[Sequence[int]]) -> int:
    if not b:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _gold_role(text: str, span: tuple[int, int], gold: dict) -> str:
    """The confirmed field a clause belongs to: where the field's text lies in the transcript,
    or, when the supervisor edited it, the field whose characters cover most of the clause."""
    clause = text[span[0] : span[1]]
    best, score = "other", 0.0
    for fld in TEXT_FIELDS:
        val = (gold.get(fld) or "").strip()
        if not val:
            continue
        at = text.find(val)
        if at >= 0:
            s = _overlap(span, (at, at + len(val))) / max(1, span[1] - span[0])
        else:
            common = sum((Counter(clause) & Counter(val)).values())
            s = common / max(1, len(clause)) if clause in val or common / max(1, len(clause)) > 0.8 else 0.0
        if s > score:
            best, score = fld, s
    return best if score >= 0.5 else "other"


def _label(text: str, span: tuple[int, int], gold: dict, evidence: dict) -> str:
    """The clause's role for training; where the confirmed entry is silent about a field (an
    eval case that does not score it), the rules' role for that field stands."""
    role = _gold_role(text, span, gold)
    if role == "other":
        ruled = _rule_role(span, evidence)
        if ruled != "other" and ruled not in gold:
            return ruled
    return role


def _rule_role(span: tuple[int, int], evidence: dict) -> str:
    best, most = "other", 0
    for fld in TEXT_FIELDS:
        o = _overlap(span, evidence.get(fld))
        if o > most:
            best, most = fld, o
    return best


def _clause_features(text: str, spans: list[tuple[int, int]], evidence: dict) -> tuple[list[str], list[dict]]:
    roles = [_rule_role(sp, evidence) for sp in spans]
    texts, feats = [], []
    n = len(spans)
    for i, sp in enumerate(spans):
        clause = text[sp[0] : sp[1]]
        label = _LEAD_LABEL.match(clause)
        feats.append({
            "rule=" + roles[i]: 1.0,
            "prev=" + (roles[i - 1] if i else "start"): 1.0,
            "next=" + (roles[i + 1] if i + 1 < n else "end"): 1.0,
            "pos=%d" % min(4, int(5 * i / max(1, n))): 1.0,
            "first": float(i == 0), "last": float(i == n - 1),
            "label=" + (label.group().strip()[:-1] if label else ""): 1.0,
            "after_break": float(sp[0] > 0 and text[sp[0] - 1] == "\n"),
        })
        # the clause with its opening marked, so that a cue at the start (我打算, 感觉) counts
        texts.append("^" + clause[:4] + "|" + clause)
    return texts, feats


def _category_features(text: str, ex_dict: dict) -> tuple[str, dict]:
    from recognize.extract.category import default_model

    feats = {"rule_cat=" + (ex_dict.get("category") or ""): 1.0}
    scores = default_model().scores(ex_dict.get("problem") or "", 3.0)
    default_model().scores(text, 1.0, scores)
    top = max(scores.values(), default=0.0) or 1.0
    for cat, sc in scores.items():
        feats["kw=" + cat] = sc / top
    return (ex_dict.get("problem") or "") + "|" + text, feats


# --- the model -------------------------------------------------------------------------------


def _vectorizer():
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True), DictVectorizer()


def _fit(texts: list[str], feats: list[dict], labels: list[str], rule_weight: float = 3.0):
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        return ("constant", labels[0] if labels else "other")
    tv, dv = _vectorizer()
    try:
        xt = tv.fit_transform(texts)
    except ValueError:  # no n-gram seen twice
        tv.set_params(min_df=1)
        xt = tv.fit_transform(texts)
    x = hstack([xt, dv.fit_transform(feats) * rule_weight]).tocsr()
    from sklearn.multiclass import OneVsRestClassifier

    clf = OneVsRestClassifier(LogisticRegression(C=4.0, solver="liblinear", class_weight="balanced"))
    clf.fit(x, np.asarray(labels))
    return ("lr", tv, dv, clf, rule_weight)


def _predict(model, texts: list[str], feats: list[dict]) -> list[tuple[str, float]]:
    from scipy.sparse import hstack

    if not texts:
        return []
    if model[0] == "constant":
        return [(model[1], 0.5)] * len(texts)
    _, tv, dv, clf, w = model
    x = hstack([tv.transform(texts), dv.transform(feats) * w]).tocsr()
    proba = clf.predict_proba(x)
    return [(str(clf.classes_[i]), float(p[i])) for p, i in zip(proba, proba.argmax(axis=1))]


@dataclass
class Trained:
    """What `train` returns and `apply` uses; pickled into the instance folder."""

    roles_model: object = None
    category_model: object = None
    use: dict = field(default_factory=dict)  # field -> True when the model beat the rules
    accuracy: dict = field(default_factory=dict)  # field -> {"rules": r, "model": m}
    examples: int = 0
    fingerprint: str = ""
    format: int = FORMAT
    # the county's sequence model (crfsuite bytes; trained on the base notes and its entries)
    # and its calibration (recognize.extract.calibration), or empty: the shipped ones
    sequence_model: bytes = b""
    calibration: dict = field(default_factory=dict)

    def fields(self) -> tuple[str, ...]:
        return tuple(f for f in LEARNED_FIELDS if self.use.get(f))

    def sequence_tagger(self):
        """The county's sequence model, opened once per process (None: use the shipped one)."""
        if not self.sequence_model:
            return None
        key = hashlib.sha256(self.sequence_model).hexdigest()
        if key not in _taggers:
            import pycrfsuite

            tg = pycrfsuite.Tagger()
            tg.open_inmemory(self.sequence_model)
            _taggers[key] = tg
        return _taggers[key]


_taggers: dict = {}


def _spans_from_roles(text: str, spans: list[tuple[int, int]], roles: list[tuple[str, float]]) -> dict:
    """field -> (start, end, confidence): the longest run of clauses given the field's role."""
    out: dict = {}
    for fld in TEXT_FIELDS:
        best, run = None, None
        for sp, (role, p) in zip(spans, roles):
            if role == fld:
                run = (run[0], sp[1], run[2] + [p]) if run else (sp[0], sp[1], [p])
            elif run is not None:
                if best is None or run[1] - run[0] > best[1] - best[0]:
                    best = run
                run = None
        if run is not None and (best is None or run[1] - run[0] > best[1] - best[0]):
            best = run
        if best is not None:
            s, e = best[0], best[1]
            label = _LEAD_LABEL.match(text, s, e)
            if label and label.end() < e:
                s = label.end()
            out[fld] = (s, e, round(sum(best[2]) / len(best[2]), 2))
    return out


def predict_fields(trained: Trained, text: str, ex_dict: dict) -> dict:
    """field -> (value, confidence, evidence span or None) as the model would propose them."""
    out: dict = {}
    if trained.roles_model is not None:
        spans = clauses(text)
        ctexts, cfeats = _clause_features(text, spans, ex_dict.get("evidence") or {})
        roles = _predict(trained.roles_model, ctexts, cfeats)
        got = _spans_from_roles(text, spans, roles)
        for fld in TEXT_FIELDS:
            if fld in got:
                s, e, c = got[fld]
                out[fld] = (text[s:e], c, [s, e])
            else:
                out[fld] = ("", 0.5, None)
    if trained.category_model is not None:
        ctext, cfeat = _category_features(text, ex_dict)
        (cat, p), = _predict(trained.category_model, [ctext], [cfeat])
        out["category"] = (cat, round(p, 2), None)
    return out


# --- scoring and training --------------------------------------------------------------------


def field_right(fld: str, got: str, gold: str) -> bool:
    """The bench's measure: character F1 >= 0.8 for text, exact for the category."""
    return char_f1(got, gold) >= 0.8 if fld in TEXT_FIELDS else (got or "") == (gold or "")


RuleRunner = Callable[[Example], dict]


def _fit_all(examples: Sequence[Example], rule_dicts: Sequence[dict]) -> Trained:
    ctexts, cfeats, clabels = [], [], []
    ktexts, kfeats, klabels = [], [], []
    for ex, rd in zip(examples, rule_dicts):
        spans = clauses(ex.text)
        t, f = _clause_features(ex.text, spans, rd.get("evidence") or {})
        ctexts += t
        cfeats += f
        clabels += [_label(ex.text, sp, ex.fields, rd.get("evidence") or {}) for sp in spans]
        kt, kf = _category_features(ex.text, rd)
        ktexts.append(kt)
        kfeats.append(kf)
        klabels.append(ex.fields.get("category") or "其他")
    if not klabels:
        return Trained(examples=0)
    return Trained(roles_model=_fit(ctexts, cfeats, clabels), category_model=_fit(ktexts, kfeats, klabels),
                   examples=len(examples))


def train(examples: Sequence[Example], rules: RuleRunner, *, folds: int = FOLDS, seed: int = 0) -> Trained:
    """Cross-validate the model against the rules on `examples`, then fit it on all of them.

    `rules(example)` is the rule extractor's ``to_dict()`` for the example (no model, no reading:
    ``extract_entry(..., reading=False)``).  The county's own sequence model and calibration
    are added by ``recognize.extract.fitting.fit_county``."""
    import random

    examples = list(examples)
    rule_dicts = [rules(ex) for ex in examples]
    right_rules = {f: 0 for f in LEARNED_FIELDS}
    right_model = {f: 0 for f in LEARNED_FIELDS}
    known = {f: sum(f in ex.fields for ex in examples) for f in LEARNED_FIELDS}
    n = len(examples)
    for ex, rd in zip(examples, rule_dicts):
        for f in LEARNED_FIELDS:
            if f in ex.fields:
                right_rules[f] += field_right(f, rd.get(f) or "", ex.fields[f] or "")
    if n < MIN_EXAMPLES:
        acc = {f: {"rules": round(right_rules[f] / max(1, known[f]), 3), "model": None} for f in LEARNED_FIELDS}
        return Trained(use={}, accuracy=acc, examples=n, fingerprint=fingerprint(examples))
    order = list(range(n))
    random.Random(seed).shuffle(order)
    k = max(2, min(folds, n // 5))
    for fold in range(k):
        test = set(order[fold::k])
        train_ix = [i for i in range(n) if i not in test]
        model = _fit_all([examples[i] for i in train_ix], [rule_dicts[i] for i in train_ix])
        model.use = {f: True for f in LEARNED_FIELDS}
        for i in test:
            got = predict_fields(model, examples[i].text, rule_dicts[i])
            for f in LEARNED_FIELDS:
                if f in examples[i].fields:
                    right_model[f] += field_right(f, got.get(f, ("",))[0], examples[i].fields[f] or "")
    final = _fit_all(examples, rule_dicts)
    final.accuracy = {f: {"rules": round(right_rules[f] / max(1, known[f]), 3),
                          "model": round(right_model[f] / max(1, known[f]), 3)} for f in LEARNED_FIELDS}
    # better by a margin, not by the luck of one fold: at least two entries and 2 points
    final.use = {f: right_model[f] - right_rules[f] >= max(2.0, 0.02 * known[f]) for f in LEARNED_FIELDS}
    final.fingerprint = fingerprint(examples)
    return final


def apply(trained: Optional[Trained], text: str, extraction):
    """The extraction with the fields the model is trusted for replaced by its proposals, and
    ``proposed_by`` saying which one (rules or model) proposed each learned field."""
    if trained is None or not trained.fields():
        return extraction
    got = predict_fields(trained, text, extraction.to_dict())
    for fld in trained.fields():
        value, conf, span = got.get(fld, (None, 0.0, None))
        if value is None:
            continue
        setattr(extraction, fld, value)
        extraction.confidence[fld] = float(conf)
        extraction.proposed_by[fld] = "model"
        if fld in TEXT_FIELDS:
            if span:
                extraction.evidence[fld] = list(span)
            else:
                extraction.evidence.pop(fld, None)
    return extraction


# --- storage ---------------------------------------------------------------------------------


def save(trained: Trained, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(trained, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    meta = {k: v for k, v in dataclasses.asdict(trained).items() if k not in ("roles_model", "category_model", "sequence_model")}
    path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


_cache: dict = {}


def load(path: Path) -> Optional[Trained]:
    """The model stored at `path` (cached by modification time), or None when there is none."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    hit = _cache.get(path)
    if hit and hit[0] == mtime:
        return hit[1]
    try:
        with open(path, "rb") as fh:
            trained = pickle.load(fh)  # written by this deployment's own trainer only
    except Exception:  # a damaged or older file: the rules alone until it is retrained
        return None
    if not isinstance(trained, Trained) or trained.format != FORMAT:
        return None
    _cache[path] = (mtime, trained)
    return trained


def stored_fingerprint(path: Path) -> Optional[str]:
    try:
        return json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        return None


def examples_from_cases(cases: Iterable[dict]) -> list[Example]:
    """Bench and test cases (``{"text", "now", "expected"}``) as if a reviewer had confirmed them."""
    out = []
    for c in cases:
        exp = c.get("expected") or {}
        if "category" not in exp:
            continue
        out.append(Example(c["text"], c.get("now"), {f: exp[f] for f in LEARNED_FIELDS if f in exp}))
    return out
