"""JSON API: upload a capture, follow its recognition.

Authentication is the web session (Flask-Login); POST requests carry the CSRF token in the
`X-CSRFToken` header (or a `csrf_token` form field). Errors are `{"error": reason}` with
Chinese first.
"""
from __future__ import annotations

from functools import wraps

from flask import jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from capture.models import Capture
from core.db import db_session
from jobs import operations as jobs
from org.scope import can_see_capture, scope_captures
from webapp.api import bp
from webapp.params import takes_files
from webapp.capture.service import UploadRefused, capture_from_uploads, upload_from_request


def api_login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return jsonify(error="请先登录 (login required)"), 401
        return view(*args, **kwargs)

    return wrapped


def capture_json(capture: Capture) -> dict:
    state = jobs.job_state(db_session, capture.id)
    return {
        **state,
        "kind": capture.kind,
        "received_at": capture.received_at.isoformat() + "Z" if capture.received_at else None,
        "captured_at": capture.captured_at.isoformat() + "Z" if capture.captured_at else None,
        "visit_date_hint": capture.visit_date_hint.isoformat() if capture.visit_date_hint else None,
        "files": [{"position": f.position, "media_type": f.media_type, "size": f.size, "name": f.original_name}
                  for f in capture.files],
        "entry_id": capture.entry.id if capture.entry is not None else None,
    }


@bp.route("/captures", methods=["POST"])
@takes_files
@api_login_required
def create_capture():
    """Multipart `files` (see module docstring), or JSON `{"uploads": [id, ...], "visit_date",
    "captured_at"}` naming finished resumable uploads (docs/UPLOADS.md)."""
    try:
        if request.is_json:
            body = request.get_json(silent=True) or {}
            if not isinstance(body, dict):
                body = {}
            capture = capture_from_uploads(current_user, body.get("uploads"), str(body.get("visit_date") or ""),
                                           str(body.get("captured_at") or ""))
        else:
            capture = upload_from_request(current_user)
    except UploadRefused as exc:
        if exc.code == "duplicate" and exc.existing_id is not None:
            # The cadre's own earlier upload of these bytes (a retry whose answer was lost): success.
            own = db_session.get(Capture, exc.existing_id)
            return jsonify(id=own.id, status=own.status, kind=own.kind, duplicate=True,
                           message=f"已上传 #{own.id} (already uploaded)"), 200
        body = {"error": exc.message, "code": exc.code}
        return jsonify(body), exc.status
    return jsonify(id=capture.id, status=capture.status, kind=capture.kind), 201


@bp.route("/session")
def session_state():
    """Whether the browser is still signed in, and a fresh CSRF token for the queued uploads
    (the capture page may have been opened from the offline cache hours ago)."""
    if not current_user.is_authenticated:
        return jsonify(error="请先登录 (login required)", signed_in=False), 401
    resp = jsonify(signed_in=True, user_id=current_user.id, csrf_token=generate_csrf())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/captures/<int:capture_id>")
@api_login_required
def get_capture(capture_id: int):
    capture = db_session.get(Capture, capture_id)
    # Someone else's capture answers exactly like a missing one.
    if capture is None or not can_see_capture(current_user, capture):
        return jsonify(error="没有这个采集 (no such capture)"), 404
    return jsonify(capture_json(capture))


@bp.route("/captures")
@api_login_required
def list_captures():
    captures = db_session.scalars(
        scope_captures(select(Capture), current_user).order_by(Capture.id.desc()).limit(100)
    ).all()
    return jsonify(captures=[{"id": c.id, "kind": c.kind, "status": c.status, "progress": c.progress,
                              "error": c.error} for c in captures])
