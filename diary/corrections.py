"""Corrections after confirming, on the diary's side: a confirmed entry's problem, category,
place or interviewee set right by the supervisor (or admin) whose unit holds it, audited with the
old value; and a confirm undone (the entry back to review) while its ledger item has not moved."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from capture import states
from capture.states import CaptureStatus
from core import audit
from core.clock import utcnow
from core.errors import DomainError, NotAllowed
from diary.entries import follow_place
from diary.models import DiaryEntry
from diary.review import clean_value
from ledger.corrections import withdraw_unmoved
from org.models import User

FIELDS = ("problem", "category", "place", "interviewee")


def may_correct(actor: Optional[User], entry: DiaryEntry) -> bool:
    return (actor is not None and actor.active and actor.role in ("supervisor", "admin")
            and entry.org_unit.is_within(actor.org_unit))


def _check(entry: DiaryEntry, actor: User, version: Optional[int]) -> None:
    if not may_correct(actor, entry):
        raise NotAllowed("not in the supervisor's scope")
    if entry.status != "confirmed":
        raise DomainError("只有已确认的日记在这里更正 (only confirmed entries are corrected here)")
    if version is not None and int(version) != entry.version:
        raise DomainError("该日记已被他人修改，请刷新后重试 (the entry was changed meanwhile; reload and try again)")


def correct_entry(session: Session, entry: DiaryEntry, actor: User, edits: dict, *,
                  version: Optional[int] = None) -> dict:
    """Set the given fields right; returns {field: (old, new)} of those that changed. The
    corrected place decides the linked unit (and the items at the old unit follow it)."""
    _check(entry, actor, version)
    changes = {}
    for name in FIELDS:
        if name not in edits:
            continue
        new = clean_value(name, edits[name])
        old = getattr(entry, name) or ""
        if name == "problem" and not new:
            raise DomainError("请填写反映问题 (the problem is required)")
        if new != old:
            changes[name] = (old, new)
    if not changes:
        return {}
    for name, (_old, new) in changes.items():
        setattr(entry, name, new)
    audit.record(session, "entry.correct", entry, actor=actor,
                 before={n: o for n, (o, _v) in changes.items()}, after={n: v for n, (_o, v) in changes.items()})
    if "place" in changes:
        follow_place(session, entry, actor)
    entry.updated_at = utcnow()
    session.flush()
    return changes


def undo_confirm(session: Session, entry: DiaryEntry, actor: User, *, version: Optional[int] = None) -> list[str]:
    """The entry goes back to review (its capture to 待审核) and the item its confirm opened is
    withdrawn, while that item has not moved. Returns the withdrawn items' numbers."""
    _check(entry, actor, version)
    codes = withdraw_unmoved(session, entry, actor)
    before = {"status": entry.status, "confirmed_by_id": entry.confirmed_by_id}
    entry.status = "draft"
    entry.confirmed_by_id = None
    entry.confirmed_at = None
    audit.record(session, "entry.unconfirm", entry, actor=actor, before=before,
                 after={"status": "draft", "withdrawn_items": codes})
    if entry.capture is not None and entry.capture.status == CaptureStatus.CONFIRMED:
        states.move(session, entry.capture, CaptureStatus.READY_FOR_REVIEW, actor=actor)
    session.flush()
    return codes
