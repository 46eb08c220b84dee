"""The cadre's capture page: upload a voice memo or page photos, see own captures and their progress."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from sqlalchemy import select
from wtforms import DateField
from wtforms.validators import Optional as OptionalValue

from capture.storage import get_storage
from ledger.db import db_session
from ledger.models import Capture
from ledger.scope import can_see_capture, scope_captures
from webapp.capture import bp
from webapp.capture.service import UploadRefused, upload_from_request

STATUS_LABELS = {
    "received": "已接收",
    "recognizing": "识别中",
    "ready_for_review": "待审核",
    "confirmed": "已确认",
    "returned": "已退回",
    "rejected": "已驳回",
    "failed": "失败",
}


class UploadForm(FlaskForm):
    files = MultipleFileField("录音或页面照片")
    visit_date = DateField("走访日期", validators=[OptionalValue()])


def _own_captures():
    return db_session.scalars(
        scope_captures(select(Capture), current_user).order_by(Capture.received_at.desc()).limit(50)
    ).all()


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            capture = upload_from_request(current_user)
        except UploadRefused as exc:
            flash(exc.message, "error")
            if exc.existing_id is not None:
                return redirect(url_for("capture.detail", capture_id=exc.existing_id))
            return render_template("capture/index.html", form=form, captures=_own_captures(),
                                   labels=STATUS_LABELS), exc.status
        flash(_("已上传，正在识别"), "ok")
        return redirect(url_for("capture.detail", capture_id=capture.id))
    status = 400 if form.errors else 200
    return render_template("capture/index.html", form=form, captures=_own_captures(), labels=STATUS_LABELS), status


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
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp
