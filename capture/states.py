"""The states of a capture, the transitions between them, and the one door they pass through.

States (the stored strings)
---------------------------
received          已接收    stored, waiting for its recognition job
recognizing       识别中    a worker holds its job
ready_for_review  待审核    transcript and draft entry stored, waiting for a supervisor
confirmed         已确认    the supervisor confirmed the entry
returned          已退回    sent back to the cadre with a comment
rejected          已驳回    not a visit, or unusable
failed            失败      recognition gave up; `minxin requeue` runs it again

`move` is the only code that writes `Capture.status`: it checks `TRANSITIONS`, writes the
status and the audit event the table names, in the caller's transaction. Two listeners on the
Session class (registered when this module is imported) refuse the other ways: a flush in which
a capture's status changed without `move` (`before_flush`), and an UPDATE statement executed
through a session that sets `captures.status` (`do_orm_execute`). A capture is born in the
status its row is written with: intake creates it through `move` (no status → received,
`capture.create`); test fixtures and restores write rows as they are.
"""
from __future__ import annotations

import enum
from typing import Optional

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from capture.models import Capture
from core import audit
from core.models import AuditEvent
from org.models import User


class CaptureStatus(enum.StrEnum):
    RECEIVED = "received"
    RECOGNIZING = "recognizing"
    READY_FOR_REVIEW = "ready_for_review"
    CONFIRMED = "confirmed"
    RETURNED = "returned"
    REJECTED = "rejected"
    FAILED = "failed"


S = CaptureStatus
# (from, to) -> the audit action that records it. None: a capture not yet written.
TRANSITIONS: dict[tuple[Optional[CaptureStatus], CaptureStatus], str] = {
    (None, S.RECEIVED): "capture.create",
    (S.RECEIVED, S.RECOGNIZING): "capture.status",
    (S.RECEIVED, S.READY_FOR_REVIEW): "capture.status",
    (S.RECOGNIZING, S.READY_FOR_REVIEW): "capture.status",
    (S.RECEIVED, S.FAILED): "capture.status",
    (S.RECOGNIZING, S.FAILED): "capture.status",
    (S.FAILED, S.RECEIVED): "capture.requeue",
    (S.READY_FOR_REVIEW, S.CONFIRMED): "capture.confirm",
    (S.READY_FOR_REVIEW, S.RETURNED): "capture.return",
    (S.READY_FOR_REVIEW, S.REJECTED): "capture.reject",
    (S.RETURNED, S.READY_FOR_REVIEW): "capture.resubmit",
    (S.CONFIRMED, S.READY_FOR_REVIEW): "capture.unconfirm",  # a confirm undone (diary.corrections)
}
# Still with the recognizer: the review queue lists them as 识别中, the CLI waits for them.
IN_RECOGNITION = (S.RECEIVED, S.RECOGNIZING)

# The instance attribute through which `move` tells the guard that it wrote the status.
_MARK = "_status_moved_to"


class CaptureStateError(RuntimeError):
    """A capture status change outside the table or outside `move`: a bug, not a user's input."""


class IllegalTransition(CaptureStateError):
    pass


class UnauditedStatusChange(CaptureStateError):
    pass


def _status(value: Optional[str]) -> Optional[CaptureStatus]:
    return None if value is None else CaptureStatus(value)


def can_move(source: Optional[str], to: str) -> bool:
    """Whether the table has a transition from `source` to `to`."""
    return (_status(source), CaptureStatus(to)) in TRANSITIONS


def move(session: Session, capture: Capture, to: str, *, actor: Optional[User] = None,
         before: Optional[dict] = None, after: Optional[dict] = None) -> AuditEvent:
    """Set the capture's status to `to` and record the transition's audit event (flushes).

    `before` and `after` add fields to the event beside the status (an error, a comment, the
    entry made). Raises IllegalTransition when the table has no such transition."""
    source, target = _status(capture.status), CaptureStatus(to)
    action = TRANSITIONS.get((source, target))
    if action is None:
        raise IllegalTransition(f"capture #{capture.id}: no transition from {source} to {target}")
    capture.status = target.value
    setattr(capture, _MARK, target.value)
    if source is None:
        session.add(capture)
    return audit.record(
        session, action, capture, actor=actor,
        before=None if source is None and not before else {"status": source and source.value, **(before or {})},
        after={"status": target.value, **(after or {})},
    )


def _refuse_unaudited(session: Session, _flush_context, _instances) -> None:
    """before_flush: every capture whose status changed must have had it written by `move`."""
    for obj in list(session.dirty) + list(session.new):
        if not isinstance(obj, Capture):
            continue
        moved_to = obj.__dict__.pop(_MARK, None)
        if obj in session.new:
            continue
        changed = inspect(obj).attrs.status.history.added
        if changed and moved_to != changed[0]:
            raise UnauditedStatusChange(
                f"capture #{obj.id}: status set to {changed[0]!r} outside capture.states.move (no audit event)")


def _refuse_bulk_status(state) -> None:
    """do_orm_execute: an UPDATE of the captures table through a session may not set a status
    (it would bypass the flush the guard above watches)."""
    if not state.is_update:
        return
    statement = state.statement
    if getattr(getattr(statement, "table", None), "name", None) != Capture.__tablename__:
        return
    values = dict(getattr(statement, "_values", None) or {})
    values.update(dict(getattr(statement, "_ordered_values", None) or ()))
    if any(getattr(key, "key", key) == "status" for key in values):
        raise UnauditedStatusChange("an UPDATE statement sets captures.status: use capture.states.move")


for _name, _guard in (("before_flush", _refuse_unaudited), ("do_orm_execute", _refuse_bulk_status)):
    if not event.contains(Session, _name, _guard):
        event.listen(Session, _name, _guard)
