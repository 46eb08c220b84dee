"""Submitting an upload: store it and queue its recognition, in one transaction.

The one way the web page, the API, the CLI and the demo turn files into a capture that will
be recognized. It flushes; the caller commits, and the job reaches the queue only once that
commit is done (a rolled-back upload queues nothing). The capture and its job are committed
together, so no crash leaves one without the other.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

from sqlalchemy.orm import Session

from capture.intake import DEFAULT_MAX_BYTES, store_upload
from capture.models import Capture
from capture.storage import Storage
from jobs import operations as jobs
from org.models import User


def submit(
    session: Session,
    storage: Storage,
    uploader: User,
    files: Sequence[tuple[str, bytes]],
    captured_at: Optional[dt.datetime] = None,
    visit_date_hint: Optional[dt.date] = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    queue: Optional[jobs.JobQueue] = None,
) -> Capture:
    """Check, store and record one upload and write its recognition job (flushed). Raises
    IntakeError (DuplicateCapture) as `capture.intake.store_upload` does."""
    capture = store_upload(session, storage, uploader, files, captured_at, visit_date_hint, max_bytes=max_bytes)
    job = jobs.add_recognition_job(session, capture)
    jobs.submit_after_commit(session, job, queue)
    return capture
