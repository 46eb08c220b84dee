"""What a cadre uploaded: a capture (one memo, or a set of page photos) and its stored files."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Optional

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base

if TYPE_CHECKING:  # related tables of other areas, named by string at run time
    from diary.models import DiaryEntry, Transcript
    from jobs.models import Job
    from org.models import OrgUnit, User


# --- intake -------------------------------------------------------------------------

CAPTURE_KINDS = ("audio", "pages")
# Capture statuses and their transitions: capture.states (CaptureStatus, TRANSITIONS).


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


# --- resumable uploads --------------------------------------------------------------

class ResumableUpload(Base):
    """One file being sent in chunks (capture/uploads.py). The row is what every app server
    shares: where the upload stands, the chunks it holds, and who is writing it now."""

    __tablename__ = "resumable_uploads"
    __table_args__ = (Index("ix_resumable_uploads_user_sha", "user_id", "sha256", "size"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    # sha256(previous chain + chunk sha256) over the acknowledged chunks, moved with `offset`.
    chain: Mapped[str] = mapped_column(String(64), default="")
    # [[offset, length, sha256, key], ...]: the chunks in the shared store, in order.
    parts: Mapped[list] = mapped_column(JSON, default=list)
    # The one request writing a chunk now (a lease: a dead server's claim runs out).
    writer: Mapped[Optional[str]] = mapped_column(String(64))
    writer_since: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # The whole file hashed to `sha256`: only then is it complete.
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    capture_id: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
