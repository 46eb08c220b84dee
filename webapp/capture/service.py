"""Turning an upload request (form or API) into a stored capture and a queued job."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from flask import current_app, request

from capture.intake import DuplicateCapture, IntakeError, ingest
from capture.storage import get_storage
from ledger.db import db_session
from ledger.models import Capture, User


@dataclass
class UploadRefused(Exception):
    message: str
    code: str
    status: int
    existing_id: Optional[int] = None


# Captures and visits before this are a wrong clock or a typing error.
EARLIEST = dt.datetime(2000, 1, 1)


def _parse_date(value: str) -> Optional[dt.date]:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = dt.date.fromisoformat(value) if len(value) <= 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise UploadRefused("走访日期格式应为 YYYY-MM-DD (visit date must be YYYY-MM-DD)", "bad_date", 400)
    if not EARLIEST.date() <= parsed <= dt.date.today() + dt.timedelta(days=1):
        raise UploadRefused(f"走访日期不合理：{parsed} (visit date out of range)", "bad_date", 400)
    return parsed


def _parse_time(value: str) -> Optional[dt.datetime]:
    value = (value or "").strip()
    if not value:
        return None
    try:
        # Python accepts trailing digits after the seconds; a real timestamp is short.
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if len(value) <= 40 else None
        if parsed is not None and parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)  # may overflow near year 1/9999
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise UploadRefused("拍摄时间格式应为 ISO 8601 (captured_at must be ISO 8601)", "bad_time", 400)
    if not EARLIEST <= parsed <= dt.datetime.utcnow() + dt.timedelta(days=1):
        raise UploadRefused(f"拍摄时间不合理：{parsed:%Y-%m-%d %H:%M} (captured_at out of range)", "bad_time", 400)
    return parsed


def upload_from_request(user: User) -> Capture:
    """Files from `files` (or `file`), `visit_date` and `captured_at` fields of the request."""
    uploads = [f for f in request.files.getlist("files") + request.files.getlist("file") if f and f.filename]
    visit_date = _parse_date(request.form.get("visit_date", ""))
    captured_at = _parse_time(request.form.get("captured_at", ""))
    files = [(f.filename, f.read()) for f in uploads]
    try:
        capture = ingest(db_session, get_storage(current_app.config), user, files,
                         captured_at=captured_at, visit_date_hint=visit_date,
                         max_bytes=current_app.config["MAX_UPLOAD_BYTES"], enqueue=True)
    except DuplicateCapture as exc:
        raise UploadRefused(str(exc), exc.code, exc.status, exc.capture_id) from exc
    except IntakeError as exc:
        raise UploadRefused(str(exc), exc.code, exc.status) from exc
    return capture
