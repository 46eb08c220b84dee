"""The ledger (台账): items, their transitions, feedback, villager ratings, deadline extensions,
notifications, reply templates, key projects and public versions.

Schema changes go through Alembic (ops/migrations); never `create_all` in production code."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Optional

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base
from org.models import ORG_LEVELS

if TYPE_CHECKING:  # related tables of other areas, named by string at run time
    from diary.models import DiaryEntry
    from org.models import OrgUnit, User


LEDGER_LEVELS = ORG_LEVELS  # the 台账 has one level per org level

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
    # The item's number: the public reference (lists, exports, the reply told to the villager).
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # The villager's secret evaluation code for the current result: drawn at each closing, gone
    # on reopening, printed only on the feedback slip (never in lists, exports or the audit).
    eval_code: Mapped[Optional[str]] = mapped_column(String(16), unique=True)
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
    # The problem's content words, place words of its county removed (ledger/problem_words.py),
    # set when the item opens; None on items from before 0017 (the clusters' job fills them).
    problem_words: Mapped[Optional[list]] = mapped_column(JSON)

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


class PrivacyWord(Base):
    """What the county's supervisors taught the redactor on the publish step: a word that is a
    person's name here (they masked it) or a word that is not a name (they unmasked it or answered
    no).  Read from the next draft on (``ledger.publication``); each one is audited."""

    __tablename__ = "privacy_words"
    __table_args__ = (Index("ix_privacy_words_county_word", "county_id", "word", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    word: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # name | not_name
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ledger_items.id"), nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RecurringResult(Base):
    """The last recurring-problem clusters worked out for a unit (ledger/recurring.py): computed in
    the background, read by the dashboard as they are, with when they were computed."""

    __tablename__ = "recurring_results"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    day: Mapped[dt.date] = mapped_column(Date)  # the "today" the recent window was counted from
    fingerprint: Mapped[str] = mapped_column(String(64))  # the unit's items then (see _fingerprint)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # [[category, [item ids], [village ids], words], ...], largest first
    clusters: Mapped[list] = mapped_column(JSON)


class MonthCounts(Base):
    """A settled month's dashboard rows for a unit (its units' counts and 三率), kept by the
    background job (ledger/month_counts.py) so the page reads them instead of counting the
    month's history again on every view."""

    __tablename__ = "month_counts"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[str] = mapped_column(String(64))  # the 三率 rules they were counted under
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    stats: Mapped[list] = mapped_column(JSON)  # [[unit id, opened, solved, overdue, escalated, ratings, own], ...]
    # [[unit id, due, responded, completed, outcomes, ratings], ...]; None until the month settles
    rates: Mapped[Optional[list]] = mapped_column(JSON(none_as_null=True))
