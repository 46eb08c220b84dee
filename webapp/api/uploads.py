"""Resumable uploads over the JSON API (protocol: docs/UPLOADS.md; store: capture/uploads.py).

    POST  /api/uploads             {"name", "size", "sha256"}  -> 201 {"id", "offset", "chunk_size", ...}
    GET   /api/uploads/<id>                                     -> 200 {"offset", "complete", ...}
    PATCH /api/uploads/<id>   Upload-Offset, X-Chunk-SHA256, raw bytes -> 200 {"offset", ...}
    POST  /api/captures            {"uploads": [id, ...], "visit_date", "captured_at"}
"""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user

from capture import uploads
from webapp.api import bp
from webapp.api.views import api_login_required
from core.db import db_session
from webapp.capture.service import upload_chunks
from webapp.params import takes_chunk


def _refused(exc: uploads.UploadError):
    body = {"error": str(exc), "code": exc.code}
    if exc.offset is not None:
        body["offset"] = exc.offset
    return jsonify(body), exc.status


def _answer(up: uploads.Upload, status: int = 200):
    resp = jsonify(up.as_json())
    resp.headers["Upload-Offset"] = str(up.offset)
    resp.headers["Cache-Control"] = "no-store"
    return resp, status


@bp.route("/uploads", methods=["POST"])
@api_login_required
def start_upload():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="请求应为 JSON：name、size、sha256 (JSON body required)", code="bad_request"), 400
    try:
        up = uploads.start(db_session, upload_chunks(), current_user.id, str(body.get("name") or ""),
                           body.get("size"), str(body.get("sha256") or ""), current_app.config["MAX_UPLOAD_BYTES"])
        db_session.commit()
    except uploads.UploadError as exc:
        db_session.rollback()
        return _refused(exc)
    return _answer(up, 201 if up.offset == 0 else 200)


@bp.route("/uploads/<upload_id>", methods=["GET"])
@api_login_required
def upload_state(upload_id: str):
    try:
        return _answer(uploads.get(db_session, current_user.id, upload_id))
    except uploads.UploadError as exc:
        return _refused(exc)


def write_chunk(upload_id: str, offset: int, chunk_sha: str | None,
                checksum: tuple[str, bytes] | None = None) -> uploads.Upload:
    """The request's body as the upload's chunk at `offset`, for both protocols (this one and tus):
    claim, receive, settle, each step committed, so every app server sees who writes the upload
    while the chunk's bytes arrive (capture/uploads.py). UploadError when refused: what the refusal
    changed stays (a whole that failed its hash is reset); the claim goes."""
    store, token = upload_chunks(), uploads.new_claim()
    try:
        up = uploads.claim(db_session, current_user.id, upload_id, offset, token)
        db_session.commit()
    except uploads.UploadError:
        db_session.rollback()
        raise
    try:
        length, key, sha = uploads.receive(store, up, token, chunk_sha, request.stream, request.content_length,
                                           checksum)
        up = uploads.settle(db_session, store, current_user.id, upload_id, token, length, sha, key)
        db_session.commit()
        return up
    except uploads.UploadError:
        uploads.release(db_session, upload_id, token)
        db_session.commit()
        raise
    except BaseException:
        db_session.rollback()
        uploads.release(db_session, upload_id, token)
        db_session.commit()
        raise


@bp.route("/uploads/<upload_id>", methods=["PATCH"])
@takes_chunk
@api_login_required
def upload_chunk(upload_id: str):
    raw = request.headers.get("Upload-Offset", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 15):
        return jsonify(error="缺少 Upload-Offset (Upload-Offset required)", code="offset"), 400
    offset, chunk_sha = int(raw), request.headers.get("X-Chunk-SHA256", "")
    try:
        up = write_chunk(upload_id, offset, chunk_sha)
    except uploads.UploadError as exc:
        return _refused(exc)
    return _answer(up)
