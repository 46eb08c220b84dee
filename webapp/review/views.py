"""The supervisor's review queue."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger.db import db_session
from ledger.models import Capture
from ledger.scope import scope_captures
from webapp.review import bp


@bp.route("/")
@login_required
def queue():
    if current_user.role not in ("supervisor", "admin"):
        abort(403)
    captures = db_session.scalars(
        scope_captures(select(Capture), current_user)
        .where(Capture.status == "ready_for_review")
        .order_by(Capture.received_at)
    ).all()
    return render_template("review/queue.html", captures=captures)
