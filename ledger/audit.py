"""The audit log: every write to an entry, a capture, a ledger item or a user goes through here.

Events are hash-chained (each hash covers the previous one), so `minxin audit-verify`
detects an event edited or deleted behind the application's back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import AuditEvent, User, utcnow


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def event_digest(event: AuditEvent) -> str:
    payload = json.dumps(
        [
            event.prev_hash,
            event.at.isoformat(timespec="microseconds") if event.at else "",
            event.actor_id,
            event.actor_label,
            event.action,
            event.object_type,
            event.object_id,
            event.before,
            event.after,
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    action: str,
    obj: Any = None,
    *,
    actor: Optional[User] = None,
    before: Optional[dict] = None,
    after: Optional[dict] = None,
    object_type: Optional[str] = None,
    object_id: Optional[int] = None,
) -> AuditEvent:
    """Add one audit event to `session` (committed with the change it describes)."""
    if obj is not None:
        session.flush()  # the object needs its id
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    # Serialise chain writers: on PostgreSQL lock the last row; SQLite's writer lock does it.
    last_q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        last_q = last_q.with_for_update()
    last = session.scalars(last_q).first()
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.login if actor is not None else "system",
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        prev_hash=last.hash if last is not None else "",
    )
    event.hash = event_digest(event)
    session.add(event)
    return event


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def verify_chain(session: Session) -> list[str]:
    """Problems found in the chain; an empty list means it is intact."""
    problems: list[str] = []
    prev = ""
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev:
            problems.append(f"event {event.id}: chain broken (an event before it was removed or altered)")
        if event_digest(event) != event.hash:
            problems.append(f"event {event.id}: content does not match its hash")
        prev = event.hash
    return problems
