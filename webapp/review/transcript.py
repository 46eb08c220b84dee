"""The review screen's transcript: correcting a misheard word, and re-extracting the draft.

Routes of the review blueprint kept apart from ``views.py``: POST ``/<id>/transcript``
(JSON in, JSON out: the piece re-rendered by the page's script) and POST ``/<id>/reextract``
(the entry form: what was typed is saved first, then the other fields are read again from
the corrected transcript).
"""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import params
from core.db import db_session
from core.errors import DomainError, NotAllowed
from diary import transcript_edits
from diary.review import NotReviewable, ReviewConflict
from webapp.review import bp
from webapp.review.views import _capture_for_review, _int_or_none, _run, _versions


@bp.route("/<int:capture_id>/transcript", methods=["POST"])
@login_required
def correct_transcript(capture_id: int):
    capture = _capture_for_review(capture_id)
    try:
        data = params.json_object(request.get_json(silent=True)) or request.form
    except params.BadParameter as exc:
        return jsonify(error=str(exc)), 400
    try:
        fixed = transcript_edits.correct_span(
            db_session, capture, current_user,
            piece=_int_or_none(data.get("piece")) if data.get("piece") is not None else -1,
            char_start=_int_or_none(data.get("char_start")) or 0,
            char_end=_int_or_none(data.get("char_end")) or 0,
            text=str(data.get("text") or ""),
            capture_version=_int_or_none(data.get("capture_version")),
        )
        db_session.commit()
    except ReviewConflict:
        db_session.rollback()
        return jsonify(error=_("这条记录在你打开之后已被修改，请刷新")), 409
    except (NotReviewable, DomainError) as exc:
        db_session.rollback()
        return jsonify(error=str(exc)), 400
    except NotAllowed:
        db_session.rollback()
        abort(404)
    transcript = capture.transcript
    piece = transcript.pieces[fixed["piece"]]
    entry = capture.entry
    return jsonify(
        word=fixed,
        piece={"i": fixed["piece"], "text": piece.text, "cs": piece.char_start, "ce": piece.char_end,
               "words": piece.words},
        pieces=[{"i": i, "cs": p.char_start, "ce": p.char_end} for i, p in enumerate(transcript.pieces)],
        evidence=(entry.evidence or {}) if entry is not None else {},
        entry_version=entry.version if entry is not None else None,
    )


@bp.route("/<int:capture_id>/reextract", methods=["POST"])
@login_required
def reextract(capture_id: int):
    from diary import review as svc

    capture = _capture_for_review(capture_id)
    cv, ev = _versions()
    return _run(
        capture,
        lambda: transcript_edits.reextract(
            db_session, capture, current_user, edits=svc.edits_from_form(request.form),
            capture_version=cv, entry_version=ev,
        ),
        success=lambda changed: _("已按改正后的文字重新提取，更新了 %(n)d 个字段", n=len(changed)),
        go_next=False,
    )
