"""From a recognition result to rows: the Transcript with its pieces, and a draft DiaryEntry.

The draft's fields come from `recognize.extract.extract_entry`, with the Gazetteer built from
the org tree (so 南荒沟 resolves to 南荒沟村 under 古楼子乡) and the cadres' names (never taken
as the interviewee). The place is linked to an OrgUnit where one matches.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import audit
from ledger.clock import CHINA_TZ
from ledger.models import (
    CATEGORIES,
    ENTRY_FIELDS,
    VISIT_METHODS,
    Capture,
    DiaryEntry,
    OrgUnit,
    Transcript,
    TranscriptPiece,
    User,
)
from recognize import transcript as rt

log = logging.getLogger(__name__)


def county_of(unit: OrgUnit) -> OrgUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def units_under(session: Session, root: OrgUnit) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(root.path)).order_by(OrgUnit.id)))


def gazetteer_rows(session: Session, root: OrgUnit) -> tuple[list[tuple[str, str, Optional[str]]], list[str]]:
    """(name, level, parent_name) of every unit under `root`, and the display names of its cadres."""
    units = units_under(session, root)
    rows = [(u.name, u.level, u.parent.name if u.parent is not None else None) for u in units]
    ids = [u.id for u in units]
    names = list(session.scalars(select(User.display_name).where(User.org_unit_id.in_(ids)).order_by(User.id)))
    return rows, names


def build_gazetteer(session: Session, root: OrgUnit):
    from recognize.extract import Gazetteer

    rows, cadres = gazetteer_rows(session, root)
    return Gazetteer(rows, cadres)


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


def store_transcript(session: Session, capture: Capture, result: rt.Transcript) -> Transcript:
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


def _visit_now(capture: Capture) -> dt.datetime:
    """The moment relative dates (今天, 昨天, 上周三) are read against, local time."""
    moment = capture.captured_at or capture.received_at or dt.datetime.utcnow()
    # Visit dates are local (China Standard Time); rows store naive UTC.
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(CHINA_TZ).replace(tzinfo=None)


def extract_fields(session: Session, capture: Capture, text: str) -> dict[str, Any]:
    """`Extraction.to_dict()` for this capture's text."""
    from recognize.extract import extract_entry

    from ledger.training import model_for

    county = county_of(capture.org_unit)
    gazetteer = build_gazetteer(session, county)
    return extract_entry(text, _visit_now(capture), gazetteer, model=model_for(county)).to_dict()


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


def create_draft(session: Session, capture: Capture, text: str) -> DiaryEntry:
    fields = extract_fields(session, capture, text)
    root = county_of(capture.org_unit)
    place = (fields.get("place") or "").strip()
    place_unit = match_place(session, root, (fields.get("place_village") or place).strip(),
                             fields.get("place_township") or "")
    visit_date = _date(fields.get("visit_date")) or capture.visit_date_hint
    if visit_date is None and capture.captured_at is not None:
        visit_date = _visit_now(capture).date()
    method = fields.get("visit_method") or ""
    category = fields.get("category") or ""
    entry = DiaryEntry(
        capture=capture,
        cadre_id=capture.uploader_id,
        org_unit_id=capture.org_unit_id,
        status="draft",
        visit_date=visit_date,
        visit_time=(fields.get("visit_time") or None),
        place=place[:128],
        place_unit=place_unit,
        interviewee=(fields.get("interviewee") or "")[:64],
        visit_method=method if method in VISIT_METHODS else "",
        problem=unwrap_lines(fields.get("problem") or ""),
        solution=unwrap_lines(fields.get("solution") or ""),
        reflections=unwrap_lines(fields.get("reflections") or ""),
        category=category if category in CATEGORIES else "",
        pii=list(fields.get("pii") or []),
        confidence=dict(fields.get("confidence") or {}),
        evidence={k: list(v) for k, v in (fields.get("evidence") or {}).items()},
        proposed_by=dict(fields.get("proposed_by") or {}),
    )
    session.add(entry)
    session.flush()
    audit.record(session, "entry.create", entry,
                 after={**audit.snapshot(entry, ENTRY_FIELDS), "status": "draft",
                        "capture_id": capture.id, "place_unit_id": entry.place_unit_id})
    return entry


def store_recognition(session: Session, capture: Capture, result: rt.Transcript) -> DiaryEntry:
    """Transcript rows plus the draft entry, in the caller's transaction."""
    store_transcript(session, capture, result)
    return create_draft(session, capture, result.text)
