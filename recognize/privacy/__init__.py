"""Nothing personal on a public page: the one PII detector and redactor, used by extraction, the
publish step and every public page and export.

In Presidio's shape: recognizers (``recognize.privacy.recognizers``, one module per kind of
personal data) return scored findings with the cue words that raised the score; the analyzer
(``analyzer.analyze``) runs them all and merges; the decision (``decision.decide``) masks a sure
finding, asks the supervisor about an unsure one, keeps the rest; the anonymizer
(``anonymizer.apply_masks``) writes the public text.

``spans(text, extra=(), cadres={}, keep=())`` lists what is masked or asked (``PiiHit.decision``);
``redact`` masks both (no one is there to answer); ``redact_with_questions`` masks the sure ones
and returns the questions; ``find_pii`` lists the personal strings a draft stores.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, Optional

from recognize.privacy.analyzer import analyze
from recognize.privacy.anonymizer import PiiHit, apply_masks, mask
from recognize.privacy.decision import ASK, KEEP, MASK, decide
from recognize.privacy.recognizers.bank_card import luhn_ok
from recognize.privacy.recognizers.id_card import valid_id15, valid_id18
from recognize.privacy.recognizers.person import inside_ordinary, looks_like_name

__all__ = ["PiiHit", "apply_masks", "find_pii", "looks_like_name", "luhn_ok", "mask", "pii_spans", "redact",
           "redact_with_questions", "spans", "valid_id15", "valid_id18", "ASK", "KEEP", "MASK", "NUMBER_KINDS"]

# Kinds a supervisor may unmask only with a typed reason (ledger.publication)
NUMBER_KINDS = frozenset({"mobile", "landline", "id_card", "id_like", "id_cue", "bank_card", "number", "plate",
                          "wechat", "qq", "email", "house_number", "house_address"})


def pii_spans(text: str, known: Iterable[str] = (), *, keep: Iterable[str] = ()) -> list[PiiHit]:
    """Every personal candidate to mask or ask about, in text order; offsets into ``text``."""
    raw = text or ""
    out = []
    for f in analyze(raw, known, keep=keep):
        d = decide(f)
        if d != KEEP:
            out.append(PiiHit(raw[f.start:f.end], f.start, f.end, f.kind, "", d, f.score, f.context))
    return out


def find_pii(text: str, known: Iterable[str] = ()) -> list[str]:
    """The personal strings of ``text`` in order of appearance, each once (a draft's ``pii``)."""
    known = list(known)
    text = text or ""
    seen: list[str] = []
    hits = [h for h in pii_spans(text, known) if h.decision == MASK]
    for h in hits:
        if h.text not in seen:
            seen.append(h.text)
    for k in known:  # names known to the caller are PII wherever the detector did not list them
        k = (k or "").strip()
        if not k or k not in text or k in seen:
            continue
        places = [m.start() for m in re.finditer(re.escape(k), text)]
        if all(any(h.start <= p and p + len(k) <= h.end for h in hits) for p in places):
            continue  # 王德 inside 王德 顺: the list holds the whole string, not a fragment of it
        seen.append(k)
    return seen


def spans(text: str, extra: Iterable[str] = (), *, cadres: Optional[Mapping[str, str]] = None,
          keep: Iterable[str] = ()) -> list[PiiHit]:
    """What is masked (``decision`` mask) or asked (``ask``), as spans: the publish step shows them."""
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
            if len(e) == 2 and looks_like_name(e) and inside_ordinary(text, m.start(), m.end()):
                continue  # 金山 in 金山银山
            if not any(h.start <= m.start() and m.end() <= h.end for h in hits):
                hits.append(PiiHit(e, m.start(), m.end(), "known" if looks_like_name(e) else "extra"))
    return _merge_hits(text, hits)


def _merge_hits(text: str, hits: list[PiiHit]) -> list[PiiHit]:
    names = ("name", "known", "given", "cadre")
    hits = sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))
    out: list[PiiHit] = []
    for h in hits:
        if h.end <= h.start:
            continue
        if out and h.start < out[-1].end:
            last = out[-1]
            if h.end <= last.end:
                if h.decision == MASK and last.decision == ASK:
                    last.decision = MASK
                continue
            kind = last.kind if last.kind not in names else (h.kind if h.kind not in names else last.kind)
            decision = MASK if MASK in (last.decision, h.decision) else ASK
            out[-1] = PiiHit("", last.start, h.end, kind, last.replace or h.replace, decision,
                             max(last.score, h.score), last.context + h.context)
            continue
        out.append(h)
    return [PiiHit(text[h.start:h.end], h.start, h.end, h.kind, h.replace, h.decision, h.score, h.context)
            for h in out]


def redact(text: str, extra: Iterable[str] = (), *, cadres: Optional[Mapping[str, str]] = None,
           keep: Iterable[str] = ()) -> str:
    """Text with every personal candidate masked, asked ones too (no one is there to answer):
    names become 王某某 (老某, 某婶), numbers ＊＊＊, and the names in ``cadres`` the cadre's unit."""
    return apply_masks(text, spans(text, extra, cadres=cadres, keep=keep))


def redact_with_questions(text: str, extra: Iterable[str] = (), *, cadres: Optional[Mapping[str, str]] = None,
                          keep: Iterable[str] = ()) -> tuple[str, list[tuple[int, int]]]:
    """(the text with the sure finds masked, the (start, end) of each question, left as written)."""
    hits = spans(text, extra, cadres=cadres, keep=keep)
    public = apply_masks(text, [h for h in hits if h.decision == MASK])
    return public, [(h.start, h.end) for h in hits if h.decision == ASK]
