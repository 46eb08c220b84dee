"""The audit log: every write to an entry, a capture, a ledger item or a user goes through here.

Events are hash-chained (each hash covers the previous one), so `minxin audit-verify`
detects an event edited or deleted behind the application's back. A chain alone cannot show
events cut off its end, so each check also records the head it saw (an anchor) and later
checks require every recorded head to be still there, unchanged.

The chain is keyed: each hash is an HMAC-SHA256 under a secret kept outside the database
(MINXIN_AUDIT_KEY, or `audit_key` in the instance folder; the app factory calls `use_key`). Someone
who can edit the database but not read the key cannot recompute the hashes after an edit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.models import AuditEvent

if TYPE_CHECKING:
    from org.models import User


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


_KEY: Optional[bytes] = None
_CHAIN_LOCK = 0x6D696E78  # "minx": the advisory lock id of the audit chain


def use_key(key: Optional[str | bytes]) -> None:
    """The HMAC key of the chain, for this process (None: unkeyed SHA-256, for scripts only)."""
    global _KEY
    _KEY = key.encode("utf-8") if isinstance(key, str) else key


def keyed() -> bool:
    return bool(_KEY)


def event_digest(event: AuditEvent, key: Optional[bytes] = None) -> str:
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
    ).encode("utf-8")
    key = key if key is not None else _KEY
    if key:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


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
    # Serialise chain writers. On PostgreSQL a transaction-scoped advisory lock, taken before the
    # head is read: locking the head row itself is not enough, since a writer that waited on it
    # gets that same row back after the other commits and chains onto a head that is no longer
    # the last. SQLite's single writer lock does it there.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
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
    session.flush()  # its id comes from the sequence while the lock is held, so ids follow the chain
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
        if not hmac.compare_digest(event_digest(event), event.hash or ""):
            problems.append(f"event {event.id}: content does not match its hash")
        prev = event.hash
    return problems


# --- anchors: the heads earlier checks saw ---------------------------------------------------


def chain_head(session: Session) -> Optional[tuple[int, str]]:
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    return (last.id, last.hash) if last is not None else None


def read_anchors(path: Path) -> list[tuple[int, str]]:
    """(event id, hash) per line of an anchor file (``recorded-at<TAB>id<TAB>hash``)."""
    if not path.exists():
        return []
    anchors = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].isdigit():
            anchors.append((int(parts[1]), parts[2]))
    return anchors


def record_anchor(path: Path, head: tuple[int, str]) -> bool:
    """Append `head` unless it is already the last anchor; True when written."""
    known = read_anchors(path)
    if known and known[-1] == head:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{utcnow().isoformat(timespec='seconds')}\t{head[0]}\t{head[1]}\n")
    return True


def check_anchors(session: Session, anchors: Iterable[tuple[int, str]]) -> list[str]:
    """Problems with the heads earlier checks recorded: each must still be in the chain as it was."""
    problems = []
    for event_id, digest in anchors:
        event = session.get(AuditEvent, event_id)
        if event is None:
            problems.append(f"event {event_id}: seen by an earlier check, now missing "
                            "(events were removed from the end of the log)")
        elif event.hash != digest:
            problems.append(f"event {event_id}: differs from what an earlier check saw")
    return problems


def rekey_chain(session: Session, old_key: Optional[bytes], new_key: bytes) -> int:
    """Re-sign the whole chain under `new_key` after checking it under `old_key` (None: the
    unkeyed chain of earlier versions); returns the events re-signed. Refuses a broken chain."""
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    prev = ""
    for event in events:
        if event.prev_hash != prev or not hmac.compare_digest(event_digest(event, old_key or b""), event.hash):
            raise ValueError(f"event {event.id}: the chain is broken; not re-signed")
        prev = event.hash
    prev = ""
    for event in events:
        event.prev_hash = prev
        event.hash = event_digest(event, new_key)
        prev = event.hash
    return len(events)
