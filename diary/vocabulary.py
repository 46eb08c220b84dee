"""The county's vocabulary, gathered for the speech corrector (``recognize.speech.vocabulary``).

What a county's memos name: its villages, townships and groups (the org tree), its cadres,
the people and places of its confirmed diary entries, and the words its supervisors
corrected in transcripts (``transcript_corrections``, written with each ``transcript.correct``
audit event: before -> after; the corrector applies one only after it was made more than once).
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from capture.models import Capture
from diary.models import DiaryEntry, TranscriptCorrection
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
    rows = session.execute(
        select(TranscriptCorrection.before_text, TranscriptCorrection.after_text)
        .outerjoin(Capture, Capture.id == TranscriptCorrection.capture_id)
        .where(TranscriptCorrection.county_id == county.id,
               or_(Capture.kind.is_(None), Capture.kind != "pages"))  # a misread character is not a misheard word
        .order_by(TranscriptCorrection.id)
    )
    return [(before, after) for before, after in rows if before and after]
