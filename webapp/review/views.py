"""The supervisor's review: the queue, one screen per capture, and the actions on it."""
from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from capture.models import Capture, CaptureFile
from core import params
from core.db import db_session
from core.errors import DomainError, NotAllowed
from diary import review as svc
from diary.duplicates import find_duplicates
from diary.resubmissions import resubmission
from diary.models import ENTRY_FIELDS
from ledger.deadlines import local_today
from org.scope import can_review, can_see_capture, scope_captures
from recognize.extract.vocab import CATEGORIES, VISIT_METHODS
from webapp.catalogue import message as localized
from webapp.review import bp


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract -k N_`; translated where it is shown with _()."""
    return message


# Labels of the entry fields, in the order of the paper diary.
FIELD_LABELS = {
    "visit_date": N_("走访日期"),
    "visit_time": N_("走访时间"),
    "place": N_("地点"),
    "interviewee": N_("受访对象"),
    "visit_method": N_("走访方式"),
    "problem": N_("反映问题"),
    "solution": N_("解决思路"),
    "reflections": N_("心得体会"),
    "category": N_("问题类别"),
}
# Shown through _() in templates: capture statuses and navigation labels.
DYNAMIC_MSGIDS = (
    N_("已接收"), N_("识别中"), N_("待审核"), N_("已确认"), N_("已退回"), N_("已驳回"), N_("失败"),
    N_("采集"), N_("审核"), N_("台账"), N_("统计"),
)
LONG_FIELDS = ("problem", "solution", "reflections")


def _require_reviewer():
    if current_user.role not in ("supervisor", "admin"):
        abort(403)


def _capture_for_review(capture_id: int) -> Capture:
    _require_reviewer()
    capture = svc.load_for_review(db_session, capture_id)
    # Another unit's capture is reported as missing, not as forbidden: ids do not leak.
    if capture is None or not can_review(current_user, capture):
        abort(404)
    return capture


def _int_or_none(value):
    return params.integer(value)


@bp.route("/")
@login_required
def queue():
    _require_reviewer()
    filters = svc.QueueFilters.from_args(request.args)
    page = params.page(request.args.get("page"))
    q = svc.review_queue(db_session, current_user, filters, limit=50, offset=(page - 1) * 50)
    low = {c.id: svc.low_fields(c.entry) for c in q.captures}
    confident = {c.id for c in q.captures if svc.is_confident(c.entry)}
    return render_template(
        "review/queue.html",
        q=q,
        filters=filters,
        low=low,
        confident=confident,
        page=page,
        pages=max(1, (q.total + 49) // 50),
        categories=CATEGORIES,
        field_labels=FIELD_LABELS,
    )


@bp.route("/progress.json")
@login_required
def progress():
    """Status and progress of captures the user may see: {"captures": [{id, status, progress, error}]}."""
    ids = params.idents(request.args.get("ids"))
    rows = db_session.scalars(scope_captures(select(Capture), current_user).where(Capture.id.in_(ids))).all()
    return jsonify(
        captures=[
            {"id": c.id, "status": c.status, "progress": round(c.progress or 0.0, 3), "error": c.error}
            for c in rows
        ]
    )


@bp.route("/original/<int:file_id>")
@login_required
def original(file_id: int):
    """The stored original (audio or page photo), with HTTP range support for seeking."""
    cf = db_session.get(CaptureFile, file_id)
    if cf is None or not can_see_capture(current_user, cf.capture):
        abort(404)
    from capture.storage import get_storage

    path = get_storage(current_app.config).local_path(cf.sha256)
    resp = send_file(path, mimetype=cf.media_type, conditional=True, max_age=3600, etag=cf.sha256)
    resp.headers["Cache-Control"] = "private, no-store"  # not in a shared computer's cache after logout
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _photo_flags(transcript, page: int) -> list[dict]:
    """The unsure characters of one photo, drawn on it: {"i": piece, "cs"/"ce": offsets inside
    the piece, "polygon"} for each flagged character the recognizer placed (PP-OCRv6)."""
    if transcript is None:
        return []
    out = []
    for i, p in enumerate(transcript.pieces):
        if (p.page or 0) != page:
            continue
        for w in p.words or []:
            if w.get("flagged") and w.get("polygon"):
                out.append({"i": i, "cs": w["char_start"], "ce": w["char_end"], "polygon": w["polygon"]})
    return out


def _chunks(transcript) -> list[tuple[str, int | None]]:
    """The transcript text cut at piece boundaries: (text, piece index or None)."""
    if transcript is None:
        return []
    text = transcript.text or ""
    out: list[tuple[str, int | None]] = []
    pos = 0
    for i, p in enumerate(transcript.pieces):
        start, end = max(p.char_start, pos), max(p.char_end, p.char_start)
        if start > pos:
            out.append((text[pos:start], None))
        if end > start:
            out.append((text[start:end], i))
        pos = max(pos, end)
    if pos < len(text):
        out.append((text[pos:], None))
    return out


# The confirm dialog's inputs, kept when the server refuses a confirm.
TRIAGE_INPUTS = ("triage", "result", "feedback_method", "deadline", "responsible_unit", "reason")


def _attach_gaps(chunks: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """Audio segments are shown one per line: the separator after a segment ("，", a newline)
    ends that segment's line instead of standing on a line of its own. The text, and so every
    character offset the evidence uses, is unchanged."""
    out: list[tuple[str, int | None]] = []
    for text, i in chunks:
        if i is None and out and out[-1][1] is not None:
            out[-1] = (out[-1][0] + text, out[-1][1])
        else:
            out.append((text, i))
    return out


def _render_screen(capture: Capture, *, values=None, conflict=None, conflicts=None, kept=(), error=None,
                   triage_form=None, status=200):
    entry = capture.entry
    transcript = capture.transcript
    prev_id, next_id = svc.neighbours(db_session, current_user, capture)
    current = svc.entry_values(entry)
    pieces = []
    if transcript is not None:
        for i, p in enumerate(transcript.pieces):
            pieces.append(
                {
                    "i": i,
                    "cs": p.char_start,
                    "ce": p.char_end,
                    "start": p.start,
                    "end": p.end,
                    "page": p.page,
                    "polygon": p.polygon,
                    "confidence": p.confidence,
                }
            )
    pages = []
    if capture.kind == "pages":
        sizes = (transcript.page_sizes if transcript is not None else None) or []
        for n, f in enumerate(capture.files):
            size = sizes[n] if n < len(sizes) and sizes[n] else None
            pages.append(
                {
                    "n": n,
                    "url": url_for("review.original", file_id=f.id),
                    "w": size[0] if size else None,
                    "h": size[1] if size else None,
                    "pieces": [p for p in pieces if (p["page"] or 0) == n and p["polygon"]],
                    "flags": _photo_flags(transcript, n),
                }
            )
    data = {
        "captureId": capture.id,
        "kind": capture.kind,
        "status": capture.status,
        "evidence": (entry.evidence or {}) if entry is not None else {},
        "pieces": pieces,
        "prevUrl": url_for("review.screen", capture_id=prev_id) if prev_id else None,
        "nextUrl": url_for("review.screen", capture_id=next_id) if next_id else None,
        "queueUrl": url_for("review.queue"),
        "progressUrl": url_for("review.progress", ids=capture.id),
        "openConfirm": bool(triage_form),
        # span fix: the key of each field a transcript selection can set (Shift appends)
        "spanKeys": SPAN_KEYS,
    }
    confirmation = None
    if entry is not None and entry.status == "confirmed":
        confirmation = {"by": entry.confirmed_by, "at": entry.confirmed_at, "items": list(entry.ledger_items)}
    return (
        render_template(
            "review/screen.html",
            capture=capture,
            entry=entry,
            transcript=transcript,
            audio_seconds=_audio_seconds(transcript) if capture.kind == "audio" else None,
            chunks=_attach_gaps(_chunks(transcript)) if capture.kind == "audio" else _chunks(transcript),
            pages=pages,
            values=values or current,
            current=current,
            conflict=conflict,
            conflicts=conflicts if conflicts is not None else {},
            kept=set(kept),
            loaded_json=json.dumps(current, ensure_ascii=False),
            confirmation=confirmation,
            triage_form=triage_form or {},
            default_triage=svc.default_triage(entry),
            error=localized(error) if error else error,
            data=data,
            fields=ENTRY_FIELDS,
            field_labels=FIELD_LABELS,
            long_fields=LONG_FIELDS,
            low=set(svc.low_fields(entry)),
            confidence=(entry.confidence or {}) if entry is not None else {},
            proposed_by=(entry.proposed_by or {}) if entry is not None else {},
            visit_methods=VISIT_METHODS,
            categories=CATEGORIES,
            prev_id=prev_id,
            next_id=next_id,
            today=local_today(),
            duplicates=find_duplicates(db_session, capture, current_user),
            resubmitted=resubmission(db_session, capture),
        ),
        status,
    )


def _audio_seconds(transcript) -> Optional[float]:
    """The memo's length as the recognizer decoded it (else its last word's end): a WebM from
    MediaRecorder carries no duration in its header, and the player would show Infinity / 0:00."""
    if transcript is None:
        return None
    if transcript.duration:
        return float(transcript.duration)
    ends = [p.end for p in transcript.pieces if p.end is not None]
    return max(ends) if ends else None


@bp.route("/<int:capture_id>")
@login_required
def screen(capture_id: int):
    return _render_screen(_capture_for_review(capture_id))


def _versions():
    return _int_or_none(request.form.get("capture_version")), _int_or_none(request.form.get("entry_version"))


def _loaded_values() -> dict:
    """The entry as the reviewer's form was loaded (a hidden field), to merge a stale form."""
    try:
        loaded = json.loads(request.form.get("loaded") or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in loaded.items() if k in ENTRY_FIELDS} if isinstance(loaded, dict) else {}


def _conflict_screen(fresh: Capture, conflict: svc.ReviewConflict, typed: dict):
    """Re-render after a conflict: the other person's edits stand, the reviewer's edits of fields
    nobody else touched are put back, and only fields both changed are listed."""
    current = svc.entry_values(fresh.entry)
    conflicts, kept = svc.three_way(_loaded_values(), typed, current)
    values = {**current, **{k: v or "" for k, v in kept.items()}}
    return _render_screen(fresh, values=values, conflict=conflict, conflicts=conflicts, kept=kept, status=409)


def _run(capture: Capture, action, *, success: str, go_next: bool):
    """Run a review action; conflicts and refusals re-render the screen with what was typed."""
    typed = svc.edits_from_form(request.form)
    try:
        result = action()
        db_session.commit()
    except svc.ReviewConflict as conflict:
        db_session.rollback()
        fresh = svc.load_for_review(db_session, capture.id)
        return _conflict_screen(fresh, conflict, typed)
    except StaleDataError:
        db_session.rollback()
        fresh = svc.load_for_review(db_session, capture.id)
        return _conflict_screen(fresh, svc.ReviewConflict(fresh, fresh.entry, typed), typed)
    except DomainError as exc:
        db_session.rollback()
        fresh = svc.load_for_review(db_session, capture.id)
        values = {**svc.entry_values(fresh.entry), **{k: v or "" for k, v in typed.items()}}
        triage_form = None
        if request.endpoint == "review.confirm":
            triage_form = {k: request.form.get(k, "") for k in TRIAGE_INPUTS}
        return _render_screen(fresh, values=values, error=str(exc), triage_form=triage_form, status=400)
    except NotAllowed:
        db_session.rollback()
        abort(404)
    flash(success if not callable(success) else success(result), "success")
    if go_next:
        _prev, next_id = svc.neighbours(db_session, current_user, capture)
        if next_id:
            return redirect(url_for("review.screen", capture_id=next_id))
        return redirect(url_for("review.queue"))
    return redirect(url_for("review.screen", capture_id=capture.id))


# Span fix (issue 25): select text in the transcript (or click a line on the photo), press the
# field's digit to set the field to it, Shift+digit to append; the evidence follows.
SPAN_KEYS = {"place": "1", "interviewee": "2", "problem": "3", "solution": "4", "reflections": "5", "visit_time": "6"}


@bp.route("/<int:capture_id>/save", methods=["POST"])
@login_required
def save(capture_id: int):
    capture = _capture_for_review(capture_id)
    cv, ev = _versions()
    return _run(
        capture,
        lambda: svc.apply_edits(
            db_session, capture, svc.edits_from_form(request.form), current_user,
            capture_version=cv, entry_version=ev,
        ),
        success=lambda changed: _("已保存 %(n)d 处修改", n=len(changed)),
        go_next=False,
    )


@bp.route("/<int:capture_id>/confirm", methods=["POST"])
@login_required
def confirm(capture_id: int):
    capture = _capture_for_review(capture_id)
    cv, ev = _versions()
    form = request.form
    triage = form.get("triage", "") if form.get("triage") in svc.TRIAGES else ""

    def action():
        deadline = None
        if triage == "deadline" and form.get("deadline"):
            try:
                deadline = dt.date.fromisoformat(form["deadline"])
            except ValueError:
                raise DomainError(_("期限日期格式不对")) from None
        return svc.confirm_entry(
            db_session, capture, current_user,
            capture_version=cv, entry_version=ev,
            edits=svc.edits_from_form(form),
            triage=triage,
            deadline=deadline,
            responsible_unit=form.get("responsible_unit", ""),
            result=form.get("result", ""),
            reason=form.get("reason", ""),
            feedback_method=form.get("feedback_method", ""),
        )

    def message(item):
        if item is None:
            return _("已确认 #%(id)d", id=capture.id)
        return _("已确认 #%(id)d，问题已进入台账（编号 %(code)s）", id=capture.id, code=item.code)

    return _run(capture, action, success=message, go_next=True)


@bp.route("/confirm-selected", methods=["POST"])
@login_required
def confirm_selected():
    """Bulk accept from the queue: the ticked captures whose fields are all confident, each
    confirmed (and audited) on its own; a problem goes into the ledger as 待办理."""
    _require_reviewer()
    ids = params.idents(request.form.getlist("ids"))
    captures, versions = [], {}
    for capture_id in ids:
        capture = svc.load_for_review(db_session, capture_id)
        if capture is None or not can_review(current_user, capture):
            continue  # another unit's ids answer like missing ones
        captures.append(capture)
        cv, _sep, ev = (request.form.get(f"v_{capture_id}") or "").partition(".")
        versions[capture_id] = (_int_or_none(cv), _int_or_none(ev))
    if not captures:
        flash(_("请先勾选要确认的采集"), "error")
        return redirect(url_for("review.queue"))
    result = svc.confirm_many(db_session, captures, current_user, versions)
    db_session.commit()
    into_ledger = sum(1 for _id, item in result.confirmed if item is not None)
    if result.confirmed:
        flash(_("已批量确认 %(n)d 条，其中 %(m)d 条问题进入台账（待办理）", n=len(result.confirmed), m=into_ledger),
              "success")
    for capture_id, reason in result.skipped:
        flash(_("#%(id)d 未确认：%(reason)s", id=capture_id, reason=localized(reason)), "error")
    return redirect(url_for("review.queue"))


@bp.route("/<int:capture_id>/return", methods=["POST"])
@login_required
def return_(capture_id: int):
    capture = _capture_for_review(capture_id)
    cv, ev = _versions()
    return _run(
        capture,
        lambda: svc.return_capture(
            db_session, capture, current_user, request.form.get("comment", ""),
            capture_version=cv, entry_version=ev,
        ),
        success=_("已退回 #%(id)d 给干部修改", id=capture.id),
        go_next=True,
    )


@bp.route("/<int:capture_id>/reject", methods=["POST"])
@login_required
def reject(capture_id: int):
    capture = _capture_for_review(capture_id)
    cv, ev = _versions()
    return _run(
        capture,
        lambda: svc.reject_capture(
            db_session, capture, current_user, request.form.get("reason", ""),
            capture_version=cv, entry_version=ev,
        ),
        success=_("已驳回 #%(id)d", id=capture.id),
        go_next=True,
    )


# --- the cadre's side: what came back, and correcting it --------------------------------


@bp.app_template_global("cadre_summary")
def cadre_summary_global():
    """For the capture page: the cadre's visits this month against the quota, and returned captures."""
    return svc.cadre_summary(db_session, current_user, current_app.config.get("VISIT_QUOTA", 4))


@bp.route("/mine/<int:capture_id>", methods=["GET", "POST"])
@login_required
def correct(capture_id: int):
    """The cadre corrects an entry the supervisor returned, and sends it back for review."""
    capture = svc.load_for_review(db_session, capture_id)
    if capture is None or capture.uploader_id != current_user.id:
        abort(404)
    error = None
    values = svc.entry_values(capture.entry)
    if request.method == "POST":
        cv, ev = _versions()
        values = {**values, **{k: v or "" for k, v in svc.edits_from_form(request.form).items()}}
        try:
            svc.resubmit_capture(db_session, capture, current_user, svc.edits_from_form(request.form),
                                 capture_version=cv, entry_version=ev)
            db_session.commit()
            flash(_("已重新提交 #%(id)d，等待审核", id=capture.id), "success")
            return redirect(url_for("capture.index"))
        except (svc.ReviewConflict, DomainError) as exc:
            db_session.rollback()
            error = str(exc)
            capture = svc.load_for_review(db_session, capture_id)
    return render_template(
        "review/correct.html", capture=capture, entry=capture.entry, values=values, error=error,
        fields=ENTRY_FIELDS, field_labels=FIELD_LABELS, long_fields=LONG_FIELDS,
        visit_methods=VISIT_METHODS, categories=CATEGORIES,
    ), (400 if error else 200)
