"""The supervisor corrects the transcript itself, and re-extracts the draft from it.

``correct_span`` replaces characters of one piece (a misheard word), keeps every offset that
points into the transcript right (later pieces, words, the entry's evidence spans) and audits
the change as ``transcript.correct`` (before -> after, which ``diary.vocabulary`` learns
from). ``reextract`` reads the corrected text again and refreshes the draft's fields, except
those a supervisor already edited (an ``entry.edit`` event by a person), audited as
``entry.reextract``. Both flush; the request handler commits.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import Capture
from core import audit
from core.errors import DomainError
from core.models import AuditEvent
from diary import entries
from diary import review as svc
from diary.models import ENTRY_FIELDS, TranscriptCorrection
from diary.vocabulary import CORRECTION_ACTION
from org.models import User
from recognize.extract.vocab import CATEGORIES, VISIT_METHODS

MAX_WORD_CHARS = 200


def correct_span(
    session: Session,
    capture: Capture,
    actor: User,
    *,
    piece: int,
    char_start: int,
    char_end: int,
    text: str,
    capture_version: Optional[int] = None,
) -> dict:
    """Replace ``piece``'s characters [char_start, char_end) (offsets inside the piece) by
    ``text``. Returns the new word: {"piece", "char_start", "char_end", "text",
    "corrected_from"} with offsets inside the piece."""
    svc._check(capture, actor, capture_version, None)
    transcript = capture.transcript
    if transcript is None or not (0 <= piece < len(transcript.pieces)):
        raise DomainError("没有这一段识别文字 (no such transcript piece)")
    row = transcript.pieces[piece]
    new = (text or "").replace("\r", "").replace("\n", "").strip()
    if not (0 <= char_start < char_end <= len(row.text)):
        raise DomainError("要改的文字位置不对 (bad span)")
    if not new:
        raise DomainError("改后的文字不能为空 (the correction is empty)")
    if len(new) > MAX_WORD_CHARS:
        raise DomainError("改后的文字太长 (the correction is too long)")
    old = row.text[char_start:char_end]
    old_piece = row.text
    if old == new:
        return {"piece": piece, "char_start": char_start, "char_end": char_end, "text": new,
                "corrected_from": None}
    delta = len(new) - len(old)
    at, until = row.char_start + char_start, row.char_start + char_end  # in transcript.text

    row.text = row.text[:char_start] + new + row.text[char_end:]
    row.char_end += delta
    for later in transcript.pieces[piece + 1 :]:
        later.char_start += delta
        later.char_end += delta
    transcript.text = transcript.text[:at] + new + transcript.text[until:]
    if row.words is not None:
        row.words = _words_after(row.words, char_start, char_end, old_piece, row.text)
    entry = capture.entry
    if entry is not None and entry.evidence:
        entry.evidence = {k: _moved(v, at, until, delta) for k, v in entry.evidence.items()}
    county = entries.county_of(capture.org_unit)
    session.add(TranscriptCorrection(county_id=county.id, capture_id=capture.id, piece=piece,
                                     char_start=char_start, before_text=old, after_text=new, actor_id=actor.id))
    audit.record(
        session, CORRECTION_ACTION, transcript, actor=actor,
        before={"piece": piece, "text": old},
        after={"capture_id": capture.id, "county_id": county.id, "piece": piece, "kind": capture.kind,
               "char_start": char_start, "before": old, "text": new},
    )
    session.flush()
    return {"piece": piece, "char_start": char_start, "char_end": char_start + len(new), "text": new,
            "corrected_from": old}


def _words_after(words: list[dict], start: int, end: int, before: str, after: str) -> list[dict]:
    """The piece's words once [start, end) of ``before`` (the piece text) became ``after``:
    the words it touches become one corrected word, timed over them; later ones move."""
    delta = len(after) - len(before)
    covered = [w for w in words if w["char_start"] < end and w["char_end"] > start]
    lo = min([start] + [w["char_start"] for w in covered])
    hi = max([end] + [w["char_end"] for w in covered])
    fixed = {
        "text": after[lo : hi + delta],
        "start": covered[0]["start"] if covered else None,
        # a photo's characters have no times
        "end": max((w["end"] for w in covered if w.get("end") is not None), default=None),
        "probability": min(w["probability"] for w in covered) if covered else None,
        "flagged": False,
        "char_start": lo,
        "char_end": hi + delta,
        "corrected_from": before[lo:hi],
        "source": "supervisor",
    }
    out = [w for w in words if w["char_end"] <= lo]
    out.append(fixed)
    out += [{**w, "char_start": w["char_start"] + delta, "char_end": w["char_end"] + delta}
            for w in words if w["char_start"] >= hi]
    return out


def _moved(span, at: int, until: int, delta: int):
    """An evidence [start, end] after characters [at, until) became ``delta`` longer."""
    if not isinstance(span, (list, tuple)) or len(span) != 2:
        return span
    s, e = span
    if s >= until:
        s += delta
    if e >= until:
        e += delta
    elif e > at:  # the span ended inside the corrected characters: keep it covering them
        e = max(s, at + (e - at) + max(0, delta))
    return [s, max(s, e)]


def edited_fields(session: Session, entry_id: int) -> set[str]:
    """Fields of the entry a person edited (review form, cadre's correction)."""
    events = session.scalars(
        select(AuditEvent.after).where(
            AuditEvent.action == "entry.edit",
            AuditEvent.object_type == "DiaryEntry",
            AuditEvent.object_id == entry_id,
            AuditEvent.actor_id.is_not(None),
        )
    )
    return {name for after in events if isinstance(after, dict) for name in after}


def reextract(
    session: Session,
    capture: Capture,
    actor: User,
    *,
    edits: Optional[dict] = None,
    capture_version: Optional[int] = None,
    entry_version: Optional[int] = None,
) -> list[str]:
    """Save what the supervisor typed (``edits``), then refresh every other field of the
    draft from the (corrected) transcript. Returns the names of the fields refreshed."""
    svc.apply_edits(session, capture, edits or {}, actor,
                    capture_version=capture_version, entry_version=entry_version)
    entry, transcript = capture.entry, capture.transcript
    if transcript is None:
        raise DomainError("没有识别文字 (no transcript)")
    keep = edited_fields(session, entry.id)
    fields = entries.extract_fields(session, capture, transcript.text)
    fresh = _values(session, capture, fields)
    before, after = {}, {}
    for name in ENTRY_FIELDS:
        if name in keep or name not in fresh:
            continue
        old, new = getattr(entry, name), fresh[name]
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        setattr(entry, name, new)
        before[name], after[name] = old, new
    refreshed = [n for n in ENTRY_FIELDS if n not in keep]
    conf = dict(entry.confidence or {})
    evidence = dict(entry.evidence or {})
    for name in refreshed:
        conf.pop(name, None)
        evidence.pop(name, None)
        if name in (fields.get("confidence") or {}):
            conf[name] = fields["confidence"][name]
        if name in (fields.get("evidence") or {}):
            evidence[name] = list(fields["evidence"][name])
    entry.confidence, entry.evidence = conf, evidence
    entry.pii = list(dict.fromkeys([*(entry.pii or []), *(fields.get("pii") or [])]))  # never fewer
    if "place" not in keep:
        entry.place_unit = entries.match_place(
            session, entries.county_of(capture.org_unit),
            (fields.get("place_village") or entry.place or "").strip(), fields.get("place_township") or "")
    values = [v for k, v in conf.items() if k in ENTRY_FIELDS and v is not None]
    entry.min_confidence = min(values) if values else 1.0
    if "review" in fields:  # the fresh doubts of the refreshed fields; a person's fields stay checked
        entry.review = [n for n in fields["review"] if n in refreshed]
    audit.record(session, "entry.reextract", entry, actor=actor,
                 before={**before, "kept": sorted(keep)}, after=after)
    session.flush()
    return list(after)


def _values(session: Session, capture: Capture, fields: dict) -> dict:
    """Entry column values from an extraction, as ``entries.create_draft`` sets them."""
    place = (fields.get("place") or "").strip()
    visit_date = entries._date(fields.get("visit_date")) or capture.visit_date_hint
    method = fields.get("visit_method") or ""
    category = fields.get("category") or ""
    return {
        "visit_date": visit_date if visit_date is not None else (capture.entry.visit_date if capture.entry else None),
        "visit_time": fields.get("visit_time") or None,
        "place": place[:128],
        "interviewee": (fields.get("interviewee") or "")[:64],
        "visit_method": method if method in VISIT_METHODS else "",
        "problem": entries.unwrap_lines(fields.get("problem") or ""),
        "solution": entries.unwrap_lines(fields.get("solution") or ""),
        "reflections": entries.unwrap_lines(fields.get("reflections") or ""),
        "category": category if category in CATEGORIES else "",
    }
