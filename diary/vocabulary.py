"""The county's vocabulary, gathered for the speech corrector (``recognize.vocabulary``).

What a county's memos name: its villages, townships and groups (the org tree), its cadres,
the people and places of its confirmed diary entries, and the words its supervisors
corrected in transcripts (``transcript_corrections``, written with each ``transcript.correct``
audit event: before -> after; the corrector applies one only after it was made more than once).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from diary.models import DiaryEntry, TranscriptCorrection
from org.models import OrgUnit, User
from recognize.vocabulary import Vocabulary

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
    """(before, after) of every transcript correction a supervisor made in this county."""
    rows = session.execute(
        select(TranscriptCorrection.before_text, TranscriptCorrection.after_text)
        .where(TranscriptCorrection.county_id == county.id).order_by(TranscriptCorrection.id)
    )
    return [(before, after) for before, after in rows if before and after]
