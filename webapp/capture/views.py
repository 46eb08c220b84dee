"""The cadre's capture page: upload a voice memo or page photos, see own captures and their progress."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.file import MultipleFileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateField
from wtforms.validators import Optional as OptionalValue

from capture.models import Capture
from capture.storage import get_storage
from core.db import db_session
from org.scope import can_see_capture, scope_captures
from webapp.capture import bp
from webapp.capture.service import UploadRefused, upload_from_request
from webapp.catalogue import CAPTURE_STATUS_LABELS as STATUS_LABELS
from webapp.forms import Form
from webapp.params import takes_files


@dataclass(frozen=True)
class OfflineSettings:
    """How the capture page shrinks what it sends (measured by bench/capture_sizes.py)."""

    photo_long_side: int = 2560  # px (bench/capture_sizes.py: CER flat down to 64 px line height x 40)
    photo_quality: float = 0.85
    # bit/s for a recorded memo where the browser records Opus: CER on the real clips is the same
    # at 24 as at 48 and 64 kbit/s (bench/capture_sizes.py --audio)
    opus_bitrate: int = 24000
    record_slice_ms: int = 1000  # a recording reaches IndexedDB at least this often


def offline_settings() -> OfflineSettings:
    c = current_app.config
    d = OfflineSettings()
    return OfflineSettings(
        photo_long_side=int(c.get("CAPTURE_PHOTO_LONG_SIDE", d.photo_long_side)),
        photo_quality=float(c.get("CAPTURE_PHOTO_QUALITY", d.photo_quality)),
        opus_bitrate=int(c.get("CAPTURE_OPUS_BITRATE", d.opus_bitrate)),
        record_slice_ms=d.record_slice_ms,
    )


class UploadForm(Form):
    files = MultipleFileField("录音或页面照片")
    visit_date = DateField("走访日期", validators=[OptionalValue()])


def _own_captures():
    return db_session.scalars(
        scope_captures(select(Capture), current_user).options(selectinload(Capture.files))
        .order_by(Capture.received_at.desc()).limit(50)
    ).all()


@bp.route("/", methods=["GET", "POST"])
@takes_files
@login_required
def index():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            capture = upload_from_request(current_user)
        except UploadRefused as exc:
            if exc.code == "duplicate" and exc.existing_id is not None:
                # The cadre's own earlier upload (sent again after a lost answer): it is there.
                flash(_("已上传 #%(id)d", id=exc.existing_id), "ok")
                return redirect(url_for("capture.detail", capture_id=exc.existing_id))
            flash(exc.message, "error")
            return render_template("capture/index.html", form=form, captures=_own_captures(),
                                   labels=STATUS_LABELS, offline=offline_settings()), exc.status
        flash(_("已上传，正在识别"), "ok")
        return redirect(url_for("capture.detail", capture_id=capture.id))
    status = 400 if form.errors else 200
    return render_template("capture/index.html", form=form, captures=_own_captures(), labels=STATUS_LABELS,
                           offline=offline_settings()), status


def _visible(capture_id: int) -> Capture:
    capture = db_session.get(Capture, capture_id)
    # Another cadre's (or another township's) capture answers like a missing one.
    if capture is None or not can_see_capture(current_user, capture):
        abort(404)
    return capture


@bp.route("/<int:capture_id>")
@login_required
def detail(capture_id: int):
    capture = _visible(capture_id)
    return render_template("capture/detail.html", capture=capture, labels=STATUS_LABELS)


@bp.route("/<int:capture_id>/files/<int:position>")
@login_required
def original(capture_id: int, position: int):
    capture = _visible(capture_id)
    match = [f for f in capture.files if f.position == position]
    if not match:
        abort(404)
    f = match[0]
    storage = get_storage(current_app.config)
    resp = send_file(storage.open(f.sha256), mimetype=f.media_type, download_name=f.original_name or f.sha256,
                     max_age=3600, etag=f.sha256)
    # Served as the type sniffed at intake, never re-sniffed by the browser (polyglot uploads).
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"  # not in a shared computer's cache after logout
    return resp


# --- the installable offline capture app ------------------------------------------------------

@bp.route("/manifest.webmanifest")
def manifest():
    data = {
        "name": "民心日记",
        "short_name": "民心日记",
        "lang": "zh-CN",
        "start_url": url_for("capture.index"),
        "scope": url_for("capture.index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b22222",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    resp = current_app.response_class(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.route("/sw.js")
def service_worker():
    """The service worker, served under /capture/ so that its scope is the capture app. The
    cached page is kept as long as the sign-in it was made for (see capture-sw.js)."""
    path = Path(current_app.static_folder) / "capture-sw.js"
    body = path.read_text(encoding="utf-8")
    settings = {
        "version": f"{int(path.stat().st_mtime)}-{_static_version()}",
        "page": url_for("capture.index"),
        "static": [url_for("static", filename=n) for n in OFFLINE_STATIC],
        "list": url_for("api.list_captures"),
        "keepSeconds": int(current_app.permanent_session_lifetime.total_seconds()),
    }
    resp = current_app.response_class(f"const SETTINGS = {json.dumps(settings)};\n{body}",
                                      mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    return resp


# What the capture page needs to open with no signal.
OFFLINE_STATIC = ("app.css", "capture.js", "capture-store.js", "icons/icon-192.png",
                  "vendor/tus-js-client-4.3.1/tus.min.js")


def _static_version() -> int:
    folder = Path(current_app.static_folder)
    return max(int((folder / n).stat().st_mtime) for n in OFFLINE_STATIC if (folder / n).exists())
