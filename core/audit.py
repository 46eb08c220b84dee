"""The audit log: every write to an entry, a capture, a ledger item or a user goes through here.

Events are hash-chained (each hash covers the previous one), so `minxin audit-verify`
detects an event edited, deleted or moved behind the application's back. A chain alone cannot
show events cut off its end, so each check also records the head it saw (an anchor) and later
checks require every recorded head to be still there, unchanged.

The chain is keyed: each hash is an HMAC-SHA256 under a secret kept outside the database
(MINXIN_AUDIT_KEY, or `audit_key` in the instance folder; the app factory calls `use_key`). Someone
who can edit the database but not read the key cannot recompute the hashes after an edit.

Two ways onto the chain (`use_mode`):

- ``inline`` (SQLite's default): the writing transaction reads the head and chains its event onto
  it. On PostgreSQL that needs one advisory lock held until commit, so every writing transaction
  of the province would wait on every other: SQLite's single writer lock does it there for free.
- ``deferred`` (PostgreSQL's default), as transparency logs do: the transaction writes its event
  sealed (an HMAC of its content alone) but unchained, without a lock; right after the commit the
  same process chains every committed, unchained event in order of id under a short lock of its
  own (one appender at a time; a writer that finds another at work leaves its events to it). The chain
  position (`seq`) is given then, so an event committed late simply comes later in the chain. A
  seal makes an unchained event's edit show too; until it is chained (milliseconds, or until the
  next `chain_pending` — audit-verify and the sweeper run it — where a process died between its
  commit and its chaining) its removal would not.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

from sqlalchemy import event as sa_event
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Engine
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


_log = logging.getLogger(__name__)
_KEY: Optional[bytes] = None
_MODE: Optional[str] = None  # None: by dialect (inline on SQLite, deferred on PostgreSQL)
_CHAIN_LOCK = 0x6D696E78  # "minx": the advisory lock id of the audit chain
_PENDING = "minxin.audit_pending"  # Session.info key: this transaction wrote unchained events
MODES = ("inline", "deferred")


def use_key(key: Optional[str | bytes]) -> None:
    """The HMAC key of the chain, for this process (None: unkeyed SHA-256, for scripts only)."""
    global _KEY
    _KEY = key.encode("utf-8") if isinstance(key, str) else key


def use_mode(mode: Optional[str]) -> None:
    """How events join the chain in this process (None: by the database, see the module doc)."""
    global _MODE
    if mode is not None and mode not in MODES:
        raise ValueError(f"audit chain mode must be one of {MODES}, not {mode!r}")
    _MODE = mode


def mode_for(dialect_name: str) -> str:
    return _MODE or ("deferred" if dialect_name == "postgresql" else "inline")


def keyed() -> bool:
    return bool(_KEY)


def _content(event: AuditEvent) -> list:
    return [
        event.at.isoformat(timespec="microseconds") if event.at else "",
        event.actor_id,
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.before,
        event.after,
    ]


def _mac(payload: list, key: Optional[bytes]) -> str:
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    key = key if key is not None else _KEY
    if key:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def event_digest(event: AuditEvent, key: Optional[bytes] = None) -> str:
    """The chain hash: the previous hash and the content (the format of every version so far)."""
    return _mac([event.prev_hash, *_content(event)], key)


def event_seal(event: AuditEvent, key: Optional[bytes] = None) -> str:
    """The content alone, keyed, written with the event before it is chained."""
    return _mac(["seal", *_content(event)], key)


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
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.login if actor is not None else "system",
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        prev_hash="",
        hash="",
    )
    event.seal = event_seal(event)
    dialect = session.get_bind().dialect.name
    if mode_for(dialect) == "inline":
        # Serialise chain writers. On PostgreSQL a transaction-scoped advisory lock, taken before
        # the head is read: locking the head row itself is not enough, since a writer that waited
        # on it gets that same row back after the other commits and chains onto a head that is no
        # longer the last. SQLite's single writer lock does it there.
        if dialect == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
        _link(event, _head(session))
        session.add(event)
        session.flush()
        return event
    session.add(event)
    session.flush()
    session.info.setdefault(_PENDING, []).append(event.id)
    return event


def _head(session: Session) -> Optional[AuditEvent]:
    return session.scalars(select(AuditEvent).where(AuditEvent.seq.is_not(None))
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()


def _link(event: AuditEvent, head: Optional[AuditEvent]) -> None:
    event.seq = head.seq + 1 if head is not None else 1
    event.prev_hash = head.hash if head is not None else ""
    event.hash = event_digest(event)


def chain_pending(bind: Engine, *, wait: bool = True, rounds: int = 8) -> int:
    """Chain every committed, unchained event, in order of id; returns how many it chained.

    One appender at a time (on PostgreSQL an advisory lock held only for this short transaction,
    not for the writers' own). With `wait` it waits for the lock and makes one pass, which chains
    everything committed before it. Without, as writers call it after their commit, it returns at
    once when another appender holds the lock: that one looks again after letting go, so an event
    committed meanwhile is chained by it or by the next (at most `rounds` passes, so a writer is
    not kept chaining others' events forever; the next commit or `chain_pending` takes the rest)."""
    table = AuditEvent.__table__
    c = table.c
    postgres = bind.dialect.name == "postgresql"
    total = 0
    for _ in range(1 if wait else rounds):
        with bind.begin() as conn:
            if postgres:
                if wait:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
                elif not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK}).scalar():
                    return total
            pending = conn.execute(
                select(c.id, c.at, c.actor_id, c.actor_label, c.action, c.object_type, c.object_id,
                       c.before, c.after).where(c.seq.is_(None)).order_by(c.id)).all()
            if not pending:
                return total
            head = conn.execute(select(c.seq, c.hash).where(c.seq.is_not(None))
                                .order_by(c.seq.desc()).limit(1)).first()
            seq, prev = (head.seq, head.hash) if head is not None else (0, "")
            links = []
            for row in pending:
                seq += 1
                digest = _mac([prev, *_content(row)], None)
                links.append({"_id": row.id, "_seq": seq, "_prev": prev, "_hash": digest})
                prev = digest
            conn.execute(table.update().where(c.id == bindparam("_id"))
                         .values(seq=bindparam("_seq"), prev_hash=bindparam("_prev"), hash=bindparam("_hash")),
                         links)
        total += len(pending)
        if wait:
            break
    return total


@sa_event.listens_for(Session, "after_commit")
def _chain_after_commit(session: Session) -> None:
    mine = session.info.pop(_PENDING, None)
    if mine:
        try:
            chain_pending(session.get_bind(), wait=False)
        except Exception:  # noqa: BLE001 - the change is committed; the next appender chains them
            _log.exception("audit events %s committed but not chained yet", mine)


@sa_event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def diff(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _seal_ok(event: AuditEvent, key: Optional[bytes] = None) -> bool:
    # Events written before seals existed have none; the chain hash covers them.
    return event.seal is None or hmac.compare_digest(event_seal(event, key), event.seal)


def verify_chain(session: Session) -> list[str]:
    """Problems found in the chain; an empty list means it is intact. Events not chained yet are
    checked against their seals (`chain_pending` first, to check everything as chained)."""
    problems: list[str] = []
    prev = ""
    expected = 1
    for event in session.scalars(select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)):
        if event.prev_hash != prev or event.seq != expected:
            problems.append(f"event {event.id}: chain broken (an event before it was removed, altered or moved)")
        if not hmac.compare_digest(event_digest(event), event.hash or "") or not _seal_ok(event):
            problems.append(f"event {event.id}: content does not match its hash")
        prev = event.hash
        expected = event.seq + 1
    for event in session.scalars(select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)):
        if event.seal is None or not _seal_ok(event):
            problems.append(f"event {event.id}: content does not match its seal (not chained yet)")
    return problems


# --- anchors: the heads earlier checks saw ---------------------------------------------------


def chain_head(session: Session) -> Optional[tuple[int, str]]:
    last = _head(session)
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
    """Re-sign the whole chain (hashes and seals) under `new_key` after checking it under
    `old_key` (None: the unkeyed chain of earlier versions); returns the events re-signed.
    Refuses a broken chain, and one with events not chained yet (`chain_pending` first)."""
    old = old_key or b""
    if session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))):
        raise ValueError("events not chained yet: run chain_pending first; not re-signed")
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    prev = ""
    for n, event in enumerate(events, start=1):
        if (event.prev_hash != prev or event.seq != n
                or not hmac.compare_digest(event_digest(event, old), event.hash) or not _seal_ok(event, old)):
            raise ValueError(f"event {event.id}: the chain is broken; not re-signed")
        prev = event.hash
    prev = ""
    for event in events:
        event.prev_hash = prev
        event.hash = event_digest(event, new_key)
        event.seal = event_seal(event, new_key)
        prev = event.hash
    return len(events)
