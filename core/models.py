"""The audit log's table (core/audit.py writes and checks it)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base

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
    # The position in the chain (None: committed but not chained yet, see core/audit.py) and the
    # keyed seal of the content alone, written with the event (None on events from before 0017).
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    seal: Mapped[Optional[str]] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_seq", "seq", unique=True),
        # The appender's work list: the few events not chained yet.
        Index("ix_audit_events_unchained", "id", postgresql_where=seq.is_(None), sqlite_where=seq.is_(None)),
    )
