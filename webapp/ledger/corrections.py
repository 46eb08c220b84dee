"""Corrections after confirming: a confirmed entry's facts (/ledger/entry/<id>/correct), undoing
its confirm while its item has not moved, and a live item's facts (/ledger/item/<id>/correct),
by the supervisor whose unit holds them (diary/corrections.py, ledger/corrections.py)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from core.db import db_session
from core.errors import DomainError, NotAllowed
from diary import corrections as entry_fixes
from diary.models import DiaryEntry
from ledger import corrections as item_fixes
from ledger import workflow as wf
from ledger.models import LedgerItem
from org.scope import can_see_entry, can_see_item
from recognize.extract.vocab import CATEGORIES
from webapp.ledger import bp


def _entry(entry_id: int) -> DiaryEntry:
    entry = db_session.get(DiaryEntry, entry_id)
    if entry is None or not can_see_entry(current_user, entry) or not entry_fixes.may_correct(current_user, entry):
        abort(404)
    return entry


def _commit(ok: str) -> bool:
    try:
        db_session.commit()
    except StaleDataError:
        db_session.rollback()
        flash(_("已被他人修改，请刷新后重试"), "error")
        return False
    flash(ok, "ok")
    return True


@bp.route("/entry/<int:entry_id>/correct", methods=["GET", "POST"])
@login_required
def correct_entry(entry_id: int):
    entry = _entry(entry_id)
    if request.method == "POST":
        try:
            changes = entry_fixes.correct_entry(db_session, entry, current_user, request.form.to_dict(),
                                                version=request.form.get("version", type=int))
        except NotAllowed:
            db_session.rollback()
            abort(404)
        except DomainError as exc:
            db_session.rollback()
            flash(str(exc), "error")
            return render_template("ledger/correct_entry.html", entry=entry, categories=CATEGORIES,
                                   typed=request.form), 400
        if changes:
            _commit(_("已更正：%(what)s", what="、".join(entry_fixes_labels(changes))))
        return redirect(url_for("ledger.correct_entry", entry_id=entry.id))
    return render_template("ledger/correct_entry.html", entry=entry, categories=CATEGORIES, typed={})


def entry_fixes_labels(changes: dict) -> list[str]:
    labels = {"problem": _("反映问题"), "category": _("类别"), "place": _("地点"), "interviewee": _("受访对象"),
              "reporter": _("反映人")}
    return [f"{labels[n]} {o or '—'} → {v or '—'}" for n, (o, v) in changes.items()]


@bp.route("/entry/<int:entry_id>/unconfirm", methods=["POST"])
@login_required
def unconfirm_entry(entry_id: int):
    entry = _entry(entry_id)
    try:
        codes = entry_fixes.undo_confirm(db_session, entry, current_user,
                                         version=request.form.get("version", type=int))
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("ledger.correct_entry", entry_id=entry.id))
    if not _commit(_("已撤销确认，日记退回待审核") + (_("；已撤回事项 %(codes)s", codes="、".join(codes)) if codes else "")):
        return redirect(url_for("ledger.correct_entry", entry_id=entry.id))
    if entry.capture_id:
        return redirect(url_for("review.screen", capture_id=entry.capture_id))
    return redirect(url_for("ledger.index"))


@bp.route("/item/<int:item_id>/correct", methods=["POST"])
@login_required
def correct_item(item_id: int):
    item = db_session.get(LedgerItem, item_id)
    if item is None or not can_see_item(current_user, item):
        abort(404)
    if not wf.can(current_user, item, "correct"):
        abort(403)  # seen, not held: a cadre, or a unit the item was escalated from
    try:
        changes = item_fixes.correct_item(db_session, item, current_user, request.form.to_dict(),
                                          version=request.form.get("version", type=int))
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("ledger.item", item_id=item.id))
    if changes:
        _commit(_("已更正：%(what)s", what="、".join(entry_fixes_labels(changes))))
    return redirect(url_for("ledger.item", item_id=item.id))
