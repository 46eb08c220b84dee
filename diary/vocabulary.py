"""The county's vocabulary, gathered for the speech corrector (``recognize.speech.vocabulary``).

What a county's memos name: its villages, townships and groups (the org tree), its cadres,
the people and places of its confirmed diary entries, and the words its supervisors
corrected in transcripts (``transcript.correct`` events of the audit log, before -> after;
the corrector applies one only after it was made more than once).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEvent
from diary.models import DiaryEntry
from org.models import OrgUnit, User
from recognize.speech.vocabulary import Vocabulary

CORRECTION_ACTION = "transcript.correct"


def _county(unit: OrgUnit) -> OrgUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def county_vocabulary(session: Session, unit: OrgUnit) -> Vocabulary:
    county = _county(unit)
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(county.path))))
    ids = [u.id for u in units]
    cadres = session.scalars(select(User.display_name).where(User.org_unit_id.in_(ids)))
    confirmed = session.execute(
        select(DiaryEntry.interviewee, DiaryEntry.place)
        .where(DiaryEntry.org_unit_id.in_(ids), DiaryEntry.status == "confirmed")
    ).all()
    people = [*cadres, *(row.interviewee for row in confirmed if row.interviewee)]
    places = [u.name for u in units] + [row.place for row in confirmed if row.place]
    return Vocabulary.build(names=people, places=places, corrections=corrections(session, county))


def corrections(session: Session, county: OrgUnit) -> list[tuple[str, str]]:
    """(before, after) of every correction a supervisor made to a voice memo's transcript in
    this county (the speech corrector learns from them; a photo's corrections are not speech)."""
    events = session.scalars(
        select(AuditEvent.after).where(AuditEvent.action == CORRECTION_ACTION).order_by(AuditEvent.id)
    )
    out = []
    for after in events:
        if not isinstance(after, dict) or after.get("county_id") != county.id:
            continue
        if after.get("kind") == "pages":  # a misread handwritten character is not a misheard word
            continue
        before_text, after_text = after.get("before") or "", after.get("text") or ""
        if before_text and after_text:
            out.append((before_text, after_text))
    return out
