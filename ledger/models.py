"""Tables of the domain, as SQLAlchemy 2.0 typed mappings.

Schema changes go through Alembic (ledger/migrations); never `create_all` in production code.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ledger.db import Base


def utcnow() -> dt.datetime:
    from ledger.clock import shift  # MINXIN_CLOCK_FILE: a clock drills and tests can move

    return shift(dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None)


# --- organisation -------------------------------------------------------------------

ORG_LEVELS = ("county", "township", "village")
LEDGER_LEVELS = ORG_LEVELS  # the 台账 has one level per org level


class OrgUnit(Base):
    """县 → 乡/镇 → 村. Names are kept exactly as written in Chinese."""

    __tablename__ = "org_units"
    # "At or under this unit" is `path LIKE '/1/4/%'`: PostgreSQL uses a btree for a prefix LIKE
    # only with pattern ops (outside the C collation); SQLite gets a plain index.
    __table_args__ = (UniqueConstraint("parent_id", "name"),
                      Index("ix_org_units_path_prefix", "path", postgresql_ops={"path": "varchar_pattern_ops"}))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # county | township | village
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_units.id"), index=True)
    # Materialised path "/1/4/9/" so "at or under this unit" is one LIKE query.
    path: Mapped[str] = mapped_column(String(255), default="/")

    parent: Mapped[Optional["OrgUnit"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["OrgUnit"]] = relationship(back_populates="parent", order_by="OrgUnit.id")

    def is_within(self, other: "OrgUnit") -> bool:
        """True if self is `other` or lies under it."""
        return self.path.startswith(other.path)

    def ancestors(self) -> list["OrgUnit"]:
        chain, unit = [], self.parent
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    @property
    def full_name(self) -> str:
        return "".join(u.name for u in reversed([self, *self.ancestors()]))

    def __repr__(self) -> str:
        return f"<OrgUnit {self.level} {self.name}>"


# --- people -------------------------------------------------------------------------

ROLES = ("cadre", "supervisor", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="cadre")
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on deactivation or password change; sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.login} {self.role}>"


class UserSession(Base):
    """A signed-in browser. The cookie carries a random key, the row its SHA-256; deleting the
    row (logout, password change, deactivation, idle timeout) ends the session server-side."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()


# --- intake -------------------------------------------------------------------------

CAPTURE_KINDS = ("audio", "pages")
CAPTURE_STATUSES = (
    "received",
    "recognizing",
    "ready_for_review",
    "confirmed",
    "returned",
    "rejected",
    "failed",
)


class Capture(Base):
    """One upload: a voice memo, or one or more photos of notebook pages of one entry."""

    __tablename__ = "captures"
    # The review queue (unit, status, oldest first) and a cadre's own captures (newest first).
    __table_args__ = (Index("ix_captures_unit_status_received", "org_unit_id", "status", "received_at", "id"),
                      Index("ix_captures_uploader_received", "uploader_id", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # audio | pages
    status: Mapped[str] = mapped_column(String(24), default="received", index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The uploader's unit when it arrived: scoping must not move if the cadre moves.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    # SHA-256 over the ordered file hashes: the same bytes uploaded twice are one capture.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    captured_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    visit_date_hint: Mapped[Optional[dt.date]] = mapped_column(Date)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[Optional[str]] = mapped_column(Text)
    review_comment: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    uploader: Mapped[User] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()
    files: Mapped[list["CaptureFile"]] = relationship(
        back_populates="capture", order_by="CaptureFile.position", cascade="all, delete-orphan"
    )
    transcript: Mapped[Optional["Transcript"]] = relationship(
        back_populates="capture", uselist=False, cascade="all, delete-orphan"
    )
    entry: Mapped[Optional["DiaryEntry"]] = relationship(back_populates="capture", uselist=False)
    jobs: Mapped[list["Job"]] = relationship(back_populates="capture", order_by="Job.id")

    __mapper_args__ = {"version_id_col": version}


class CaptureFile(Base):
    """One stored original. Bytes live in the content-addressed store under `sha256`."""

    __tablename__ = "capture_files"
    __table_args__ = (UniqueConstraint("capture_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(64))  # sniffed from content
    size: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255), default="")

    capture: Mapped[Capture] = relationship(back_populates="files")


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
from recognize.extract.vocab import CATEGORIES, VISIT_METHODS  # noqa: E402

ENTRY_STATUSES = ("draft", "confirmed")
# Fields a reviewer edits; each change is audited field by field.
ENTRY_FIELDS = (
    "visit_date", "visit_time", "place", "interviewee", "visit_method",
    "problem", "solution", "reflections", "category",
)


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

    @validates("confidence")
    def _track_min_confidence(self, _key: str, value: Optional[dict]) -> Optional[dict]:
        self.min_confidence = lowest_confidence(value)
        return value


def lowest_confidence(confidence: Optional[dict]) -> float:
    """The lowest confidence among the reviewable fields of a confidence map (1.0 when none)."""
    values = [float(v) for k, v in (confidence or {}).items() if k in ENTRY_FIELDS and v is not None]
    return min(values) if values else 1.0


# --- the ledger (台账) ---------------------------------------------------------------

ledger_item_entries = Table(
    "ledger_item_entries",
    Base.metadata,
    Column("ledger_item_id", ForeignKey("ledger_items.id"), primary_key=True),
    Column("diary_entry_id", ForeignKey("diary_entries.id"), primary_key=True),
    Index("ix_ledger_item_entries_diary_entry_id", "diary_entry_id"),
)


class KeyProject(Base):
    """重点项目: groups many items, e.g. a water pipe renovation."""

    __tablename__ = "key_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class LedgerItem(Base):
    """A problem in the ledger of one unit. The workflow (ledger/workflow.py) moves it."""

    __tablename__ = "ledger_items"
    # The ledger list: a unit's items newest first (keyset on opened_at, id); deadlines of
    # active items (overdue and due-soon lists); a place's closed items (public pages).
    __table_args__ = (Index("ix_ledger_items_unit_opened", "org_unit_id", "opened_at", "id"),
                      Index("ix_ledger_items_status_deadline", "status", "deadline"),
                      Index("ix_ledger_items_place_status", "place_unit_id", "status", "closed_at"),
                      Index("ix_ledger_items_unit_status_deadline",
                            "org_unit_id", "status", "deadline", "opened_at", "id"),
                      Index("ix_ledger_items_unit_version", "org_unit_id", "version", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short public code printed with the QR code for villager evaluation.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # village | township | county
    place_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_units.id"), index=True)
    place: Mapped[str] = mapped_column(String(128), default="")
    reporter: Mapped[str] = mapped_column(String(64), default="")  # the villager (PII)
    problem: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16), default="其他", index=True)
    status: Mapped[str] = mapped_column(String(24), default="open", index=True)
    triage: Mapped[Optional[str]] = mapped_column(String(16))  # now | deadline | escalate
    deadline: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    responsible_unit: Mapped[str] = mapped_column(String(128), default="")
    result: Mapped[str] = mapped_column(Text, default="")
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    # Flags the county uses.
    common_need: Mapped[bool] = mapped_column(Boolean, default=False)  # 共性需求
    widespread: Mapped[bool] = mapped_column(Boolean, default=False)  # 普遍性问题
    pain_point: Mapped[bool] = mapped_column(Boolean, default=False)  # 痛点难点
    legacy: Mapped[bool] = mapped_column(Boolean, default=False)  # 历史遗留
    key_project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("key_projects.id"), index=True)
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_items.id"))
    pii: Mapped[list] = mapped_column(JSON, default=list)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    # 办理结果: 已解决 / 部分解决 / 未能解决 (the last two with a reason), set when completed.
    outcome: Mapped[str] = mapped_column(String(16), default="", server_default="")
    outcome_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    org_unit: Mapped[OrgUnit] = relationship(foreign_keys=[org_unit_id])
    place_unit: Mapped[Optional[OrgUnit]] = relationship(foreign_keys=[place_unit_id])
    key_project: Mapped[Optional[KeyProject]] = relationship()
    entries: Mapped[list[DiaryEntry]] = relationship(
        secondary=ledger_item_entries, back_populates="ledger_items"
    )
    transitions: Mapped[list["LedgerTransition"]] = relationship(
        back_populates="item", order_by="LedgerTransition.id", cascade="all, delete-orphan"
    )
    feedbacks: Mapped[list["Feedback"]] = relationship(back_populates="item", order_by="Feedback.id")
    evaluations: Mapped[list["Evaluation"]] = relationship(back_populates="item", order_by="Evaluation.id")
    extensions: Mapped[list["DeadlineExtension"]] = relationship(
        back_populates="item", order_by="DeadlineExtension.id")

    __mapper_args__ = {"version_id_col": version}


class LedgerTransition(Base):
    """History of a ledger item: every state change with who, when and why."""

    __tablename__ = "ledger_transitions"
    # The month's counts (at, action); what a unit sent up (from_unit_id, action).
    __table_args__ = (Index("ix_ledger_transitions_at_action", "at", "action"),
                      Index("ix_ledger_transitions_from_unit_action", "from_unit_id", "action"),
                      Index("ix_ledger_transitions_to_unit_action_at", "to_unit_id", "action", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_items.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[Optional[str]] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    from_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_units.id"))
    to_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_units.id"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[LedgerItem] = relationship(back_populates="transitions")
    actor: Mapped[Optional[User]] = relationship()


class Feedback(Base):
    """How and when the result was told to the villager (反馈)."""

    __tablename__ = "feedbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_items.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # 当面 / 电话 / 村务公开栏 ...
    told_at: Mapped[dt.datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    item: Mapped[LedgerItem] = relationship(back_populates="feedbacks")


EVALUATION_RATINGS = ("满意", "基本满意", "不满意")


class Evaluation(Base):
    """群众评议: one per item code from the public page, or recorded in person by a cadre."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_items.id"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="public")  # public | in_person
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Taken in person by a cadre of the unit responsible for the item: shown apart in the figures.
    by_responsible: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[LedgerItem] = relationship(back_populates="evaluations")
    recorded_by: Mapped[Optional[User]] = relationship()


OUTCOMES = ("已解决", "部分解决", "未能解决")
EXTENSION_STATUSES = ("pending", "approved", "refused")


class DeadlineExtension(Base):
    """延期: the holder asks, before the deadline and with a reason; the level above decides."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_items.id"), index=True)
    old_deadline: Mapped[dt.date] = mapped_column(Date)
    new_deadline: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[LedgerItem] = relationship(back_populates="extensions")
    requested_by: Mapped[Optional[User]] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])


class Notification(Base):
    """Every notice the ledger sent or tried to send (催办, 督办, 延期告知): the outbox and its log.
    `key` makes a notice that must go once (one 催办 per item and deadline) go once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # urge | supervise | extension
    key: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="")  # email | sms | public | ""
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | failed | unaddressed
    error: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    item: Mapped[Optional[LedgerItem]] = relationship()


class ReplyTemplate(Base):
    """The county's wording of the reply told to the villager, per outcome (editable by the county)."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- jobs ---------------------------------------------------------------------------

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(Base):
    """A recognition job. The row is the source of truth whichever queue runs it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_queue", "status", "queue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="recognize")
    queue: Mapped[str] = mapped_column(String(16), default="speech")  # speech | handwriting
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    worker: Mapped[Optional[str]] = mapped_column(String(128))
    # A running job whose lease has passed belongs to a dead worker and is taken again.
    lease_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    capture: Mapped[Capture] = relationship(back_populates="jobs")


# --- audit --------------------------------------------------------------------------


class AuditEvent(Base):
    """Append-only: who changed what, when, before and after. Hash-chained so edits show."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(64), default="system")
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str] = mapped_column(String(32), index=True)
    object_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


# --- publication ------------------------------------------------------------------------


class ItemPublication(Base):
    """A supervisor's approval of what the public sees of an item: the public text of its problem
    and result, the masks it was made with, and a digest of the original text it was made from
    (a later change to the item's text makes it stale; the original stays on the item)."""

    __tablename__ = "item_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("ledger_items.id"), index=True)
    problem: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    masks: Mapped[dict] = mapped_column(JSON, default=dict)  # {"problem": [[start, end], …], "result": …}
    source_digest: Mapped[str] = mapped_column(String(64))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[LedgerItem] = relationship()
    approved_by: Mapped[User] = relationship()
