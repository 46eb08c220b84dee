"""A capture the cadre corrected and sent back: what the supervisor said when returning it and
what the cadre changed since, read from the audit log (capture.return, entry.edit,
capture.resubmit), so a resubmitted capture does not look new on the review screen."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from capture.models import Capture
from core.models import AuditEvent


@dataclass(frozen=True)
class Resubmission:
    at: dt.datetime
    comment: str  # the supervisor's reason for returning it
    changes: list[tuple[str, object, object]] = field(default_factory=list)  # (field, old, new)
    times: int = 1  # how often it came back


def resubmission(session: Session, capture: Capture) -> Optional[Resubmission]:
    events = session.scalars(select(AuditEvent).where(or_(
        (AuditEvent.object_type == "Capture") & (AuditEvent.object_id == capture.id)
        & AuditEvent.action.in_(("capture.return", "capture.resubmit")),
        (AuditEvent.object_type == "DiaryEntry") & (AuditEvent.object_id == (capture.entry.id if capture.entry else -1))
        & (AuditEvent.action == "entry.edit") & (AuditEvent.actor_id == capture.uploader_id),
    )).order_by(AuditEvent.id)).all()
    back = [e for e in events if e.action == "capture.resubmit"]
    returns = [e for e in events if e.action == "capture.return"]
    if not back or not returns:
        return None
    last_return = returns[-1]
    changes = [(k, (e.before or {}).get(k), v) for e in events
               if e.action == "entry.edit" and e.id > last_return.id for k, v in (e.after or {}).items()]
    return Resubmission(at=back[-1].at, comment=(last_return.after or {}).get("review_comment") or "",
                        changes=changes, times=len(back))
