"""Recognition jobs: the row is the source of truth whichever queue runs it."""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Optional

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base

if TYPE_CHECKING:  # related tables of other areas, named by string at run time
    from capture.models import Capture


# --- jobs ---------------------------------------------------------------------------

class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_STATUSES = tuple(JobStatus)


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
