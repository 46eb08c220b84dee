"""Turning an upload request (form or API) into a stored capture and a queued job."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Optional

from flask import current_app, request

from capture import uploads
from capture.intake import DuplicateCapture, IntakeError
from capture.models import Capture
from capture.storage import get_storage
from capture.submit import submit
from core.db import db_session
from org.models import User


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
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    total = 0
    for f in uploads:
        # Werkzeug spooled the part to a temporary file as it arrived (under MAX_CONTENT_LENGTH):
        # an oversized file is refused by its length, before any of it is read into memory.
        f.stream.seek(0, io.SEEK_END)
        size = f.stream.tell()
        f.stream.seek(0)
        if size > max_bytes:
            raise UploadRefused(f"文件过大：{f.filename}，{size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB "
                                "(file too large)", "too_large", 413)
        total += size
    # One capture is at most the upload limit in all: what is read into memory for intake is
    # bounded by it, however many files one request carries (four 99 MB files are refused).
    if total > max_bytes:
        raise UploadRefused(f"上传总量过大：{total / 1048576:.1f} MB，一次上限 {max_bytes / 1048576:.0f} MB "
                            "(upload too large in all)", "too_large", 413)
    return _ingest(user, [(f.filename, f.read()) for f in uploads], visit_date, captured_at)


def _ingest(user: User, files, visit_date, captured_at) -> Capture:
    """Submit the upload and commit it (the request's edge: the job is queued on commit)."""
    try:
        capture = submit(db_session, get_storage(current_app.config), user, files,
                         captured_at=captured_at, visit_date_hint=visit_date,
                         max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        db_session.commit()
    except DuplicateCapture as exc:
        raise UploadRefused(str(exc), exc.code, exc.status, exc.capture_id) from exc
    except IntakeError as exc:
        raise UploadRefused(str(exc), exc.code, exc.status) from exc
    return capture


def upload_chunks() -> uploads.ChunkStore:
    """Where unfinished uploads' chunks live, the same for every app server (capture/uploads.py)."""
    return uploads.chunk_store(current_app.config, current_app.instance_path)


def capture_from_uploads(user: User, upload_ids: list, visit_date: str, captured_at: str) -> Capture:
    """A capture of finished resumable uploads (capture/uploads.py), in the order given.

    Asked again for uploads that already made a capture (the answer was lost on the way), the
    same capture is refused as a duplicate with its id, which the caller reports as success."""
    if not isinstance(upload_ids, list) or not upload_ids or len(upload_ids) > 20 \
            or not all(isinstance(u, str) for u in upload_ids):
        raise UploadRefused("没有选择文件 (no uploads named)", "no_files", 400)
    visit = _parse_date(visit_date or "")
    at = _parse_time(captured_at or "")
    store = upload_chunks()
    try:
        states = [uploads.get(db_session, user.id, u) for u in upload_ids]
        made = {s.capture_id for s in states}
        if len(made) == 1 and None not in made:
            capture = db_session.get(Capture, made.pop())
            if capture is not None and capture.uploader_id == user.id:
                raise UploadRefused(f"已上传 #{capture.id} (already uploaded)", "duplicate", 409, capture.id)
        files = [(up.name, data) for up, data in (uploads.read_complete(db_session, store, user.id, u)
                                                    for u in upload_ids)]
    except uploads.UploadError as exc:
        raise UploadRefused(str(exc), exc.code, exc.status) from exc
    try:
        capture = _ingest(user, files, visit, at)
    except UploadRefused as exc:
        if exc.existing_id is not None:
            for u in upload_ids:
                uploads.mark_used(db_session, store, user.id, u, exc.existing_id)
            db_session.commit()
        raise
    for u in upload_ids:
        uploads.mark_used(db_session, store, user.id, u, capture.id)
    db_session.commit()
    return capture
