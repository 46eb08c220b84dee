"""tus 1.0 (core, creation, checksum, termination) over the same resumable uploads as
webapp/api/uploads.py (capture/uploads.py: the row every server shares, claim / receive /
settle), so any tus client (tus-js-client, Uppy, tus-android-client, TUSKit) can send a file
that then becomes a capture with `POST /api/captures {"uploads": [id]}` (docs/UPLOADS.md).

    OPTIONS /api/tus/          -> 204, what this server speaks
    POST    /api/tus/          Upload-Length, Upload-Metadata (filename, sha256) -> 201 Location
    HEAD    /api/tus/<id>      -> 200 Upload-Offset, Upload-Length
    PATCH   /api/tus/<id>      Upload-Offset, [Upload-Checksum], bytes -> 204 Upload-Offset
    DELETE  /api/tus/<id>      -> 204

The declared SHA-256 of the whole file (metadata `sha256`, hex) is required: an upload is
complete only when its bytes hash to it. Another try of a chunk being written now is answered
423 (tus clients retry it); an offset that is not where the upload stands 409.
"""
from __future__ import annotations

import base64
import binascii

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from capture import uploads
from core.db import db_session
from webapp.api import bp
from webapp.api.uploads import write_chunk
from webapp.api.views import api_login_required
from webapp.capture.service import upload_chunks
from webapp.params import takes_chunk

VERSION = "1.0.0"
EXTENSIONS = "creation,checksum,termination"
CHECKSUMS = ("sha1", "sha256")


def _tus(resp, status: int):
    resp.status_code = status
    resp.headers["Tus-Resumable"] = VERSION
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _empty(status: int, **headers):
    resp = current_app.response_class(b"")
    for name, value in headers.items():
        resp.headers[name.replace("_", "-")] = str(value)
    return _tus(resp, status)


def _refused(exc: uploads.UploadError):
    status = 423 if exc.code == "busy" else exc.status
    resp = jsonify(error=str(exc), code=exc.code)
    if exc.offset is not None:
        resp.headers["Upload-Offset"] = str(exc.offset)
    return _tus(resp, status)


def _version_refused():
    if request.headers.get("Tus-Resumable") != VERSION:
        resp = jsonify(error="只支持 tus 1.0.0 (Tus-Resumable: 1.0.0 required)", code="tus_version")
        resp.headers["Tus-Version"] = VERSION
        return _tus(resp, 412)
    return None


def _metadata(raw: str) -> dict[str, str]:
    """`key base64,key base64`: the values decoded as UTF-8 (bad pairs are left out)."""
    found = {}
    for pair in (raw or "").split(",")[:32]:
        key, _sep, value = pair.strip().partition(" ")
        try:
            found[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
    return found


def _number(raw: str | None):
    raw = raw or ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


@bp.route("/tus/", methods=["OPTIONS"], provide_automatic_options=False)
def tus_options():
    return _empty(204, Tus_Version=VERSION, Tus_Extension=EXTENSIONS,
                  Tus_Max_Size=current_app.config["MAX_UPLOAD_BYTES"], Tus_Checksum_Algorithm=",".join(CHECKSUMS))


@bp.route("/tus/", methods=["POST"])
@api_login_required
def tus_create():
    refused = _version_refused()
    if refused:
        return refused
    size = _number(request.headers.get("Upload-Length"))
    if size is None:
        return _tus(jsonify(error="缺少 Upload-Length (Upload-Length required)", code="length"), 400)
    meta = _metadata(request.headers.get("Upload-Metadata", ""))
    try:
        up = uploads.start(db_session, upload_chunks(), current_user.id, meta.get("filename") or meta.get("name", ""),
                           size, meta.get("sha256", ""), current_app.config["MAX_UPLOAD_BYTES"])
        db_session.commit()
    except uploads.UploadError as exc:
        db_session.rollback()
        return _refused(exc)
    return _empty(201, Location=url_for("api.tus_upload", upload_id=up.id, _external=True), Upload_Offset=up.offset)


@bp.route("/tus/<upload_id>", methods=["HEAD"])
@api_login_required
def tus_upload(upload_id: str):
    refused = _version_refused()
    if refused:
        return refused
    try:
        up = uploads.get(db_session, current_user.id, upload_id)
    except uploads.UploadError as exc:
        return _refused(exc)
    return _empty(200, Upload_Offset=up.offset, Upload_Length=up.size)


@bp.route("/tus/<upload_id>", methods=["PATCH"])
@takes_chunk
@api_login_required
def tus_patch(upload_id: str):
    refused = _version_refused()
    if refused:
        return refused
    if request.mimetype != "application/offset+octet-stream":
        return _tus(jsonify(error="Content-Type 应为 application/offset+octet-stream", code="content_type"), 415)
    offset = _number(request.headers.get("Upload-Offset"))
    if offset is None:
        return _tus(jsonify(error="缺少 Upload-Offset (Upload-Offset required)", code="offset"), 400)
    checksum = None
    if request.headers.get("Upload-Checksum"):
        algo, _sep, digest = request.headers["Upload-Checksum"].strip().partition(" ")
        try:
            checksum = (algo, base64.b64decode(digest, validate=True))
        except (binascii.Error, ValueError):
            checksum = None
        if algo not in CHECKSUMS or checksum is None:
            return _tus(jsonify(error="不支持的校验算法 (checksum algorithm not supported)", code="checksum"), 400)
    try:
        up = write_chunk(upload_id, offset, None, checksum)
    except uploads.UploadError as exc:
        return _refused(exc)
    return _empty(204, Upload_Offset=up.offset)


@bp.route("/tus/<upload_id>", methods=["DELETE"])
@api_login_required
def tus_delete(upload_id: str):
    refused = _version_refused()
    if refused:
        return refused
    try:
        uploads.terminate(db_session, upload_chunks(), current_user.id, upload_id)
        db_session.commit()
    except uploads.UploadError as exc:
        db_session.rollback()
        return _refused(exc)
    return _empty(204)
