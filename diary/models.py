"""The diary: a capture's transcript and pieces, and the diary entry drawn from it."""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.clock import utcnow
from core.db import Base

if TYPE_CHECKING:  # related tables of other areas, named by string at run time
    from capture.models import Capture
    from ledger.models import LedgerItem
    from org.models import OrgUnit, User


# --- transcripts -------------------------------------------------------------------


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), unique=True)
    engine: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    text: Mapped[str] = mapped_column(Text, default="")
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    duration: Mapped[Optional[float]] = mapped_column(Float)
    page_sizes: Mapped[Optional[list]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    capture: Mapped[Capture] = relationship(back_populates="transcript")
    pieces: Mapped[list["TranscriptPiece"]] = relationship(
        back_populates="transcript", order_by="TranscriptPiece.position", cascade="all, delete-orphan"
    )


class TranscriptPiece(Base):
    """An audio segment (start/end seconds) or a page line (page + polygon)."""

    __tablename__ = "transcript_pieces"

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    char_start: Mapped[int] = mapped_column(Integer, default=0)
    char_end: Mapped[int] = mapped_column(Integer, default=0)
    start: Mapped[Optional[float]] = mapped_column(Float)
    end: Mapped[Optional[float]] = mapped_column(Float)
    page: Mapped[Optional[int]] = mapped_column(Integer)
    polygon: Mapped[Optional[list]] = mapped_column(JSON)
    # Speech: recognize.transcript.Piece.words (timing, probability, flag, corrections).
    words: Mapped[Optional[list]] = mapped_column(JSON)

    transcript: Mapped[Transcript] = relationship(back_populates="pieces")


# --- the diary ----------------------------------------------------------------------

# defined once for the project, in recognize/extract/data/{methods,categories}.toml


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"


ENTRY_STATUSES = tuple(EntryStatus)
# Fields a reviewer edits; each change is audited field by field.
ENTRY_FIELDS = (
    "visit_date", "visit_time", "place", "interviewee", "visit_method",
    "problem", "solution", "reflections", "category",
)


class TranscriptCorrection(Base):
    """A supervisor's correction of a transcript (before -> after), kept by county for the
    vocabulary the speech corrector learns from; the audit log has the same change as
    ``transcript.correct``."""

    __tablename__ = "transcript_corrections"
    __table_args__ = (Index("ix_transcript_corrections_county", "county_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    capture_id: Mapped[Optional[int]] = mapped_column(ForeignKey("captures.id"))
    piece: Mapped[int] = mapped_column(Integer, default=0)
    char_start: Mapped[int] = mapped_column(Integer, default=0)
    before_text: Mapped[str] = mapped_column(Text)
    after_text: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DiaryEntry(Base):
    """One 民心日记 entry: 时间, 地点, 受访对象, 反映问题, 解决思路, 心得体会."""

    __tablename__ = "diary_entries"
    __table_args__ = (Index("ix_diary_entries_unit_status", "org_unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[Optional[int]] = mapped_column(ForeignKey("captures.id"), unique=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    visit_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    visit_time: Mapped[Optional[str]] = mapped_column(String(32))
    place: Mapped[str] = mapped_column(String(128), default="")
    place_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_units.id"), index=True)
    interviewee: Mapped[str] = mapped_column(String(64), default="")
    visit_method: Mapped[str] = mapped_column(String(16), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    reflections: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16), default="")
    # From extraction: strings that must never reach a public page; field -> 0..1;
    # field -> [start, end] character span in the transcript.
    pii: Mapped[list] = mapped_column(JSON, default=list)
    confidence: Mapped[dict] = mapped_column(JSON, default=dict)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    # field -> "rules" | "model": which extractor proposed it (the county's learned model or the rules)
    proposed_by: Mapped[Optional[dict]] = mapped_column(JSON, default=dict)
    # The lowest confidence among the reviewable fields, kept beside the JSON map so the review
    # queue can sort "least confident first" in SQL (an index, not a scan of every map).
    min_confidence: Mapped[float] = mapped_column(Float, default=1.0, server_default="1", index=True)
    # The fields the calibrated extractor asks a person to check (recognize.extract.calibration);
    # a field a person edits leaves it.  None: a draft from before calibration (the old
    # low-confidence rule applies).  review_count sorts the queue "most doubtful first".
    review: Mapped[Optional[list]] = mapped_column(JSON, default=None)
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    capture: Mapped[Optional[Capture]] = relationship(back_populates="entry")
    cadre: Mapped[User] = relationship(foreign_keys=[cadre_id])
    confirmed_by: Mapped[Optional[User]] = relationship(foreign_keys=[confirmed_by_id])
    org_unit: Mapped[OrgUnit] = relationship(foreign_keys=[org_unit_id])
    place_unit: Mapped[Optional[OrgUnit]] = relationship(foreign_keys=[place_unit_id])
    ledger_items: Mapped[list["LedgerItem"]] = relationship(
        secondary="ledger_item_entries", back_populates="entries"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("review")
    def _track_review_count(self, _key: str, value: Optional[list]) -> Optional[list]:
        self.review_count = len(value or [])
        return value

    @validates("confidence")
    def _track_min_confidence(self, _key: str, value: Optional[dict]) -> Optional[dict]:
        self.min_confidence = lowest_confidence(value)
        return value


def lowest_confidence(confidence: Optional[dict]) -> float:
    """The lowest confidence among the reviewable fields of a confidence map (1.0 when none)."""
    values = [float(v) for k, v in (confidence or {}).items() if k in ENTRY_FIELDS and v is not None]
    return min(values) if values else 1.0
