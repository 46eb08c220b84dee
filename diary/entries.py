"""From a recognition result to rows: the Transcript with its pieces, and a draft DiaryEntry.

The job reads `extraction_context(session, capture)` (the org tree as an `OrgSnapshot`, so
南荒沟 resolves to 南荒沟村 under 古楼子乡 and the cadres' names are never taken as the
interviewee; the county's learned model; the moment relative dates count from) before the
recognition, runs `recognize.pipeline` with no transaction open, and writes the typed
`Recognition` with `store_result`. The place is linked to an OrgUnit where one matches.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional, Sequence

from sqlalchemy.orm import Session

from capture.models import Capture
from core import audit
from diary.context import county_of, org_snapshot, units_under, visit_moment
from diary.models import ENTRY_FIELDS, DiaryEntry, Transcript, TranscriptPiece
from diary.training import model_for
from org.models import OrgUnit, User
from recognize import pipeline
from recognize import transcript as rt
from recognize.extract import extract_entry
from recognize.extract.vocab import CATEGORIES, VISIT_METHODS

log = logging.getLogger(__name__)


def match_place(
    session: Session, root: OrgUnit, place: str, township: str = ""
) -> Optional[OrgUnit]:
    """The unit under `root` that `place` names: exact, or with its 村/乡/镇 suffix left off."""
    place = (place or "").strip()
    if not place:
        return None
    units = units_under(session, root)
    if township:
        towns = [u for u in units if u.level == "township" and (u.name == township or u.name[:-1] == township)]
        if towns:
            units = [u for u in units if any(u.is_within(t) for t in towns)]
    for unit in sorted(units, key=lambda u: ("county", "township", "village").index(u.level), reverse=True):
        if place == unit.name:
            return unit
    # The full name before its stem: "步达远村三组" is 步达远村, not 步达远镇 (both stem 步达远);
    # among equally long names the finer unit (a village) first.
    finest_longest = sorted(units, key=lambda u: (-len(u.name), -("county", "township", "village").index(u.level)))
    for unit in finest_longest:
        if place.startswith(unit.name):
            return unit
    for unit in finest_longest:
        stem = unit.name[:-1] if unit.name[-1] in "村乡镇县" else unit.name
        if len(stem) >= 2 and (place == stem or place.startswith(stem)):
            return unit
    return None


def follow_place(session: Session, entry: DiaryEntry, actor: Optional[User] = None) -> Optional[OrgUnit]:
    """After the place was corrected: the unit the confirmed place names becomes the entry's
    linked unit, and the entry's ledger items that sat at the old unit follow it (audited)."""
    old_id = entry.place_unit_id
    unit = match_place(session, county_of(entry.org_unit), entry.place or "")
    new_id = unit.id if unit is not None else None
    if new_id == old_id:
        return unit
    entry.place_unit = unit
    audit.record(session, "entry.place_unit", entry, actor=actor,
                 before={"place_unit_id": old_id}, after={"place_unit_id": new_id, "place": entry.place})
    for item in entry.ledger_items:
        if item.status != "merged" and item.place_unit_id == old_id:
            before = {"place_unit_id": item.place_unit_id, "place": item.place}
            item.place_unit = unit
            item.place = entry.place or ""
            audit.record(session, "ledger_item.place", item, actor=actor, before=before,
                         after={"place_unit_id": new_id, "place": item.place, "entry_id": entry.id})
    return unit


def store_transcript(session: Session, capture: Capture, result: rt.RecognizedText) -> Transcript:
    row = Transcript(
        capture=capture,
        engine=result.engine or "",
        model=result.model or "",
        language=result.language or "zh",
        text=result.text,
        seconds=float(result.seconds or 0.0),
        duration=result.duration,
        page_sizes=[list(s) for s in result.page_sizes] or None,
    )
    row.pieces = [
        TranscriptPiece(
            position=i, text=p.text, confidence=float(p.confidence), char_start=p.char_start,
            char_end=p.char_end, start=p.start, end=p.end, page=p.page, polygon=p.polygon,
            words=p.words,
        )
        for i, p in enumerate(result.pieces)
    ]
    session.add(row)
    session.flush()
    audit.record(
        session, "transcript.create", row,
        after={"capture_id": capture.id, "engine": row.engine, "model": row.model,
               "chars": len(row.text), "pieces": len(row.pieces)},
    )
    return row


def extraction_context(session: Session, capture: Capture) -> pipeline.ExtractionContext:
    """What the extract stage needs of this capture's county, read before the recognition."""
    county = county_of(capture.org_unit)
    return pipeline.ExtractionContext(org=org_snapshot(session, county), now=visit_moment(capture),
                                      model=model_for(county))


def extract_fields(session: Session, capture: Capture, text: str) -> dict[str, Any]:
    """`Extraction.to_dict()` for this capture's text."""
    context = extraction_context(session, capture)
    return extract_entry(text, context.now, context.org.gazetteer(), model=context.model).to_dict()


def _date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


_LINE_BREAK = re.compile(r"[ \t]*\n\s*")


def unwrap_lines(value: str) -> str:
    """A notebook line ends wherever the paper does: join wrapped lines back into one text
    (with a space only between two Latin letters or digits)."""

    def join(m: re.Match) -> str:
        before = m.string[m.start() - 1] if m.start() else ""
        after = m.string[m.end()] if m.end() < len(m.string) else ""
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""

    return _LINE_BREAK.sub(join, value.strip())


def create_draft(session: Session, capture: Capture, fields: pipeline.EntryFields,
                 pii: Sequence[str] = ()) -> DiaryEntry:
    """The draft entry from the fields the pipeline extracted (no extraction here)."""
    root = county_of(capture.org_unit)
    place = (fields.place or "").strip()
    place_unit = match_place(session, root, (fields.place_village or place).strip(), fields.place_township or "")
    visit_date = fields.visit_date or capture.visit_date_hint
    if visit_date is None and capture.captured_at is not None:
        visit_date = visit_moment(capture).date()
    method = fields.visit_method or ""
    category = fields.category or ""
    entry = DiaryEntry(
        capture=capture,
        cadre_id=capture.uploader_id,
        org_unit_id=capture.org_unit_id,
        status="draft",
        visit_date=visit_date,
        visit_time=(fields.visit_time or None),
        place=place[:128],
        place_unit=place_unit,
        interviewee=(fields.interviewee or "")[:64],
        visit_method=method if method in VISIT_METHODS else "",
        problem=unwrap_lines(fields.problem or ""),
        solution=unwrap_lines(fields.solution or ""),
        reflections=unwrap_lines(fields.reflections or ""),
        category=category if category in CATEGORIES else "",
        pii=list(pii),
        confidence=dict(fields.confidence),
        evidence={k: list(v) for k, v in fields.evidence.items()},
        proposed_by=dict(fields.proposed_by),
        review=list(fields.review),
    )
    session.add(entry)
    session.flush()
    record_draft(session, entry)
    return entry


def store_result(session: Session, capture: Capture, result: pipeline.Recognition) -> DiaryEntry:
    """A finished recognition's transcript rows plus its draft entry, in the caller's transaction."""
    store_transcript(session, capture, result.transcript)
    return create_draft(session, capture, result.extraction, result.pii)
def record_draft(session: Session, entry: DiaryEntry, actor: Optional[User] = None) -> None:
    """The `entry.create` event of a new draft (its fields as written)."""
    audit.record(session, "entry.create", entry, actor=actor,
                 after={**audit.snapshot(entry, ENTRY_FIELDS), "status": "draft",
                        "capture_id": entry.capture_id, "place_unit_id": entry.place_unit_id})


def store_recognition(session: Session, capture: Capture, result: rt.RecognizedText) -> DiaryEntry:
    """A transcript in hand (tests, tools): the pipeline's extract and PII stages, then `store_result`."""
    recognition = pipeline.recognize_transcript(result, extraction_context(session, capture))
    return store_result(session, capture, recognition)
