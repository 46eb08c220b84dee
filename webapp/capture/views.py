"""The cadre's capture page: upload and see own captures."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.db import db_session
from ledger.models import Capture
from ledger.scope import scope_captures
from webapp.capture import bp


@bp.route("/")
@login_required
def index():
    captures = db_session.scalars(
        scope_captures(select(Capture), current_user).order_by(Capture.received_at.desc()).limit(50)
    ).all()
    return render_template("capture/index.html", captures=captures)
