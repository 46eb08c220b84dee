"""/search?q=: diary entries, ledger items and transcripts within the user's scope, newest first,
each hit linked to its page, the words highlighted."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user, login_required

from sqlalchemy import select

from core.db import db_session
from diary.models import DiaryEntry, Transcript
from search.query import find
from webapp.search import bp


def _link(hit, captures: dict[int, int]) -> str:
    if hit.kind == "item":
        return url_for("ledger.item", item_id=hit.ref_id)
    capture_id = captures.get((hit.kind, hit.ref_id))
    if capture_id is None:  # an entry typed in, with no upload behind it
        if current_user.role == "cadre":
            return url_for("ledger.diary")
        return url_for("ledger.correct_entry", entry_id=hit.ref_id)
    if current_user.role == "cadre":
        return url_for("capture.detail", capture_id=capture_id)
    return url_for("review.screen", capture_id=capture_id)


def _captures_of(hits) -> dict:
    out = {}
    entry_ids = [h.ref_id for h in hits if h.kind == "entry"]
    transcript_ids = [h.ref_id for h in hits if h.kind == "transcript"]
    if entry_ids:
        out.update({("entry", i): c for i, c in db_session.execute(
            select(DiaryEntry.id, DiaryEntry.capture_id).where(DiaryEntry.id.in_(entry_ids)))})
    if transcript_ids:
        out.update({("transcript", i): c for i, c in db_session.execute(
            select(Transcript.id, Transcript.capture_id).where(Transcript.id.in_(transcript_ids)))})
    return out


@bp.route("/")
@login_required
def index():
    q = (request.args.get("q") or "").strip()[:100]
    hits = find(db_session, current_user, q) if q else []
    captures = _captures_of(hits)
    rows = [(h, _link(h, captures)) for h in hits]
    return render_template("search/index.html", q=q, rows=rows)
