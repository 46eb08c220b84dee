"""The ledger (台账) screens: list per unit with filters, item page with history and state
actions (forms with CSRF), entries waiting to enter the ledger, merge suggestions, key
projects, downloads (xlsx, csv, public versions) and the printable diary."""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as web_session
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core import params
from core.db import db_session
from core.errors import DomainError
from diary.models import DiaryEntry
from ledger import exports, notifications, ratings, replies
from ledger import workflow as wf
from ledger.deadlines import days_left, days_overdue, local_today
from ledger.models import EVALUATION_RATINGS, OUTCOMES, KeyProject, LedgerItem
from org.models import OrgUnit, User
from org.scope import can_see_entry, can_see_item, held_by
from recognize.extract.vocab import CATEGORIES
from webapp.config import public_base_url
from webapp.ledger import bp
from webapp.params import month_arg


def _unit_from_args() -> OrgUnit:
    unit_id = request.values.get("unit", type=int)
    unit = db_session.get(OrgUnit, unit_id) if unit_id else current_user.org_unit
    if unit is None or not unit.is_within(current_user.org_unit):
        abort(403)
    return unit


def _units_in_scope() -> list[OrgUnit]:
    return list(db_session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(current_user.org_unit.path))
                                   .order_by(OrgUnit.path)))


def _item_or_404(item_id: int) -> LedgerItem:
    """The item, or 404 when it does not exist or lies outside the user's scope (as elsewhere in
    the app: an id outside one's scope does not leak)."""
    item = db_session.get(LedgerItem, item_id)
    if item is None or not can_see_item(current_user, item):
        abort(404)
    return item


def _after_action(it: LedgerItem):
    """Back to the item when the actor may still see it (an escalated item stays in view of
    the levels it came from), else to their ledger."""
    if can_see_item(current_user, it):
        return redirect(url_for("ledger.item", item_id=it.id))
    return redirect(url_for("ledger.index"))


def _commit_or_flash(ok_message: str) -> bool:
    try:
        db_session.commit()
    except StaleDataError:
        db_session.rollback()
        flash(_("该事项已被他人修改，请刷新后重试"), "error")
        return False
    flash(ok_message, "ok")
    return True


@bp.route("/")
@login_required
def index():
    unit = _unit_from_args()
    today = local_today()
    args = request.args
    page = wf.find_items_page(
        db_session, unit, after=args.get("after", "")[:64], status=args.get("status", ""),
        category=args.get("category", ""), flag=args.get("flag", ""),
        overdue_on=today if args.get("overdue") else None, text=args.get("q", "")[:100],
        key_project_id=args.get("project", type=int))
    items = page.items
    next_args = {k: v for k, v in args.items() if k != "after"} | {"after": page.next_after} if page.next_after else None
    projects = db_session.scalars(select(KeyProject).join(OrgUnit, KeyProject.org_unit_id == OrgUnit.id)
                                  .where(OrgUnit.path.startswith(current_user.org_unit.path))).all()
    waiting = wf.count_unlinked_entries(db_session, current_user)
    return render_template(
        "ledger/index.html", unit=unit, units=_units_in_scope(), items=items, today=today,
        statuses=wf.STATUSES, status_labels=wf.STATUS_LABELS, level_labels=wf.LEVEL_LABELS,
        categories=CATEGORIES, flags=wf.FLAGS, projects=projects, args=args, waiting=waiting,
        next_args=next_args, first_args={k: v for k, v in args.items() if k != "after"},
        days_overdue=days_overdue, days_left=days_left, visit_date=exports.visit_date)


@bp.route("/item/<int:item_id>")
@login_required
def item(item_id: int):
    it = _item_or_404(item_id)
    today = local_today()
    actions = wf.allowed_actions(current_user, it)
    # Everyone who sees the item sees its likely duplicates (a warning); supervisors may merge.
    suggestions = [] if it.status in ("merged", "closed") else [
        x for x in wf.suggest_duplicates(db_session, it) if can_see_item(current_user, x.item)]
    projects = db_session.scalars(select(KeyProject).order_by(KeyProject.name)).all()
    projects = [p for p in projects if it.org_unit.is_within(p.org_unit) or (
        it.place_unit is not None and it.place_unit.is_within(p.org_unit))]
    units = {u.id: u for u in db_session.scalars(select(OrgUnit))}
    entries = [e for e in it.entries if can_see_entry(current_user, e)]
    return render_template(
        "ledger/item.html", item=it, actions=actions, suggestions=suggestions, projects=projects,
        status_labels=wf.STATUS_LABELS, level_labels=wf.LEVEL_LABELS, triage_labels=wf.TRIAGE_LABELS,
        rules=wf.RULES, flags=wf.FLAGS, units=units, ratings=EVALUATION_RATINGS,
        feedback_methods=wf.FEEDBACK_METHODS, today=today, overdue=days_overdue(it, today),
        satisfaction=ratings.satisfaction(it.evaluations),
        can_print_slip=_may_print_slip(it),
        typed=web_session.pop(f"typed-{it.id}", None) or {},
        feedback_first=wf.needs_feedback_first(it),
        can_correct=it.status in wf.RULES["correct"].sources and wf.can(current_user, it, "correct"),
        categories=CATEGORIES,
        origin=wf.escalation_origin(it),
        held_here=it.org_unit.is_within(current_user.org_unit), held_by=held_by(it),
        entries=entries, hidden_entries=len(it.entries) - len(entries),
        people=sorted({e.interviewee for e in entries if e.interviewee.strip()} | (
            {it.reporter} if it.reporter.strip() and entries else set())),
        outcomes=OUTCOMES, reply_templates=replies.templates(db_session),
        pending=wf.pending_extension(it), notices=notifications.item_notices(db_session, it),
        can_decide=wf.can_decide_extension(current_user, it), can_merge=bool(_merge_rights(it)),
        reply_text=replies.render(db_session, it))


def _may_print_slip(it: LedgerItem) -> bool:
    """The feedback slip carries the villager's secret code: printed by those who answer for the
    item (its holder's unit and above), not by everyone who can read it."""
    return it.status == "closed" and it.eval_code is not None and it.org_unit.is_within(current_user.org_unit)


@bp.route("/item/<int:item_id>/slip")
@login_required
def slip(item_id: int):
    """The printable feedback slip for the villager: the result, the reply, and the secret
    evaluation code with its QR code (the only place the code is shown)."""
    it = _item_or_404(item_id)
    if not _may_print_slip(it):
        abort(404)
    resp = Response(render_template(
        "ledger/slip.html", item=it, reply_text=replies.render(db_session, it),
        eval_url=ratings.evaluation_url(it.eval_code, public_base_url(current_app.config))))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _merge_rights(it: LedgerItem) -> list[str]:
    return ["merge"] if it.status in wf.RULES["merge"].sources and wf.can(current_user, it, "merge") else []


def _date(value: str, what: str) -> dt.date:
    parsed = params.date(value or "")
    if parsed is None:
        raise DomainError(_("请填写有效的日期：%(what)s", what=what))
    return parsed


def _datetime(value: str) -> dt.datetime:
    value = (value or "").strip()
    day = params.date(value) if "T" not in value else None
    local = params.moment(value) if "T" in value else day and dt.datetime.combine(day, dt.time(12, 0))
    if local is None:
        raise DomainError(_("请填写有效的反馈时间"))
    from webapp.timefmt import to_utc

    return to_utc(local)  # entered in the county's zone, stored in UTC


_TYPED = ("result", "outcome", "outcome_reason", "reason", "note", "guidance")


@bp.route("/item/<int:item_id>/<action>", methods=["POST"])
@login_required
def act(item_id: int, action: str):
    it = _item_or_404(item_id)
    if action not in (*wf.USER_ACTIONS, "merge"):
        abort(404)
    if not wf.can(current_user, it, action):
        # The item is the user's to see, the action is not theirs (a cadre and a supervisor action).
        abort(403, description=f"您无权对该事项执行「{wf.RULES[action].label}」 (you may not {action} this item)")
    if action == "merge" and request.form.get("confirmed") != "1":
        # Merging is not undone lightly: ask first, on a page showing both items.
        return redirect(url_for("ledger.merge_confirm", item_id=item_id, target=request.form.get("target_id", "")))
    f = request.form
    version = f.get("version", type=int)
    s, me = db_session, current_user._get_current_object()
    done_msg = _("已办理：%(action)s", action=_(wf.RULES[action].label) if action in wf.RULES else action)
    try:
        if action == "solve_now":
            wf.solve_now(s, it, me, f.get("result", ""), outcome=f.get("outcome") or None,
                         outcome_reason=f.get("outcome_reason", ""), version=version)
        elif action == "set_deadline":
            wf.set_deadline(s, it, me, _date(f.get("deadline", ""), _("办理时限")), f.get("responsible_unit", ""),
                            reason=f.get("reason", ""), version=version)
        elif action == "escalate":
            wf.escalate(s, it, me, f.get("reason", ""), version=version)
        elif action == "accept":
            wf.accept_escalation(s, it, me, note=f.get("note", ""), version=version)
        elif action == "send_back":
            wf.send_back(s, it, me, f.get("guidance", ""), version=version)
        elif action == "complete":
            wf.complete(s, it, me, f.get("result", ""), outcome=f.get("outcome") or None,
                        outcome_reason=f.get("outcome_reason", ""), version=version)
        elif action == "request_extension":
            wf.request_extension(s, it, me, _date(f.get("new_deadline", ""), _("延期后的时限")), f.get("reason", ""),
                                 version=version)
        elif action == "decide_extension":
            decision = f.get("decision", "")
            if decision not in ("approve", "refuse"):
                raise DomainError(_("请选择同意或不同意延期"))
            wf.decide_extension(s, it, me, decision == "approve", f.get("note", ""), version=version)
        elif action == "feedback":
            wf.record_feedback(s, it, me, f.get("method", ""), _datetime(f.get("told_at", "")), f.get("note", ""),
                               version=version)
        elif action == "close":
            wf.close(s, it, me, f.get("note", ""), version=version)
        elif action == "reopen":
            wf.reopen(s, it, me, f.get("reason", ""), version=version)
        elif action == "flag":
            wf.set_flags(s, it, me, reason=f.get("reason", ""), version=version,
                         **{name: bool(f.get(name)) for name in wf.FLAGS})
        elif action == "key_project":
            pid = f.get("project_id", type=int)
            project = s.get(KeyProject, pid) if pid else None
            wf.assign_key_project(s, it, project, me, version=version)
        elif action == "evaluate":
            ratings.record_in_person(s, it, me, f.get("rating", ""), f.get("comment", ""), version=version)
        elif action == "merge":
            target = s.get(LedgerItem, f.get("target_id", type=int) or 0)
            if target is None or not can_see_item(me, target):
                raise DomainError(_("请选择要并入的事项"))
            wf.merge(s, it, target, me, reason=f.get("reason", ""), version=version)
            _commit_or_flash(done_msg)
            return _after_action(target)
        else:
            abort(404)
    except DomainError as exc:
        s.rollback()
        flash(str(exc), "error")
        # What was typed comes back into the form (a refused 办结 kept nothing before).
        web_session[f"typed-{it.id}"] = {"action": action, **{k: f.get(k, "")[:4000] for k in _TYPED if k in f}}
        return _after_action(it)
    if _commit_or_flash(done_msg) and not it.org_unit.is_within(me.org_unit):
        flash(_("事项现由%(unit)s办理，您可继续查看办理情况", unit=it.org_unit.full_name), "ok")
    return _after_action(it)


@bp.route("/item/<int:item_id>/merge")
@login_required
def merge_confirm(item_id: int):
    """Ask before merging: both items side by side, and what moves."""
    it = _item_or_404(item_id)
    target = db_session.get(LedgerItem, request.args.get("target", type=int) or 0)
    if target is None or not can_see_item(current_user, target):
        flash(_("请选择要并入的事项"), "error")
        return redirect(url_for("ledger.item", item_id=item_id))
    sim = wf.similarity_of(it, target)
    return render_template("ledger/merge.html", item=it, target=target, similarity=sim,
                           status_labels=wf.STATUS_LABELS)


@bp.route("/entries")
@login_required
def entries():
    waiting = wf.unlinked_entries(db_session, current_user)
    rows = [(e, wf.suggest_duplicates(db_session, e, limit=3)) for e in waiting]
    return render_template("ledger/entries.html", rows=rows, categories=CATEGORIES)


@bp.route("/entries/<int:entry_id>/<how>", methods=["POST"])
@login_required
def take_entry(entry_id: int, how: str):
    entry = db_session.get(DiaryEntry, entry_id)
    if entry is None or not can_see_entry(current_user, entry):
        abort(404)  # an entry outside one's scope answers like a missing one: the id does not leak
    me = current_user._get_current_object()
    try:
        if how == "open":
            it = wf.open_item_from_entry(db_session, entry, me, category=request.form.get("category") or None)
        elif how == "link":
            it = db_session.get(LedgerItem, request.form.get("item_id", type=int) or 0)
            if it is None or not can_see_item(me, it):
                raise DomainError(_("请选择要关联的事项"))
            wf.link_entry(db_session, it, entry, me, version=request.form.get("version", type=int))
        else:
            abort(404)
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("ledger.entries"))
    if _commit_or_flash(_("已进入台账：%(code)s", code=it.code)) and how == "open":
        _warn_duplicates(it)
    return redirect(url_for("ledger.item", item_id=it.id))


def _warn_duplicates(it: LedgerItem) -> None:
    """An identical or very similar problem already in the ledger: say so where it was sent."""
    for sug in wf.suggest_duplicates(db_session, it, limit=3):
        if can_see_item(current_user, sug.item):
            flash(_("可能与已有事项 %(code)s 重复（文字相似度 %(pct)s%%）：%(problem)s", code=sug.item.code,
                    pct=round(sug.text_similarity * 100), problem=sug.item.problem[:40]), "warning")


@bp.route("/projects", methods=["GET", "POST"])
@login_required
def projects():
    if request.method == "POST":
        if current_user.role not in ("supervisor", "admin"):
            abort(403)  # key projects are a supervisor's (the form is not shown to cadres)
        unit = _unit_from_args()
        try:
            wf.create_key_project(db_session, request.form.get("name", ""), unit, current_user._get_current_object())
        except DomainError as exc:
            db_session.rollback()
            flash(str(exc), "error")
        else:
            _commit_or_flash(_("已创建重点项目"))
        return redirect(url_for("ledger.projects"))
    rows = db_session.scalars(select(KeyProject).join(OrgUnit, KeyProject.org_unit_id == OrgUnit.id)
                              .where(OrgUnit.path.startswith(current_user.org_unit.path)).order_by(KeyProject.id)).all()
    counts = {p.id: wf.count_items(db_session, current_user.org_unit, key_project_id=p.id) for p in rows}
    return render_template("ledger/projects.html", projects=rows, counts=counts, units=_units_in_scope())


@bp.route("/export")
@login_required
def export():
    unit = _unit_from_args()
    fmt = request.args.get("format", "xlsx")
    public = request.args.get("public") == "1"
    stamp = local_today().strftime("%Y%m%d")
    name = f"{unit.name}台账{'公示' if public else ''}-{stamp}"
    if fmt == "xlsx":
        mime, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    elif fmt == "csv":
        mime, ext = "text/csv; charset=utf-8", "csv"
    else:
        abort(400)
    from urllib.parse import quote

    engine, unit_id = current_app.extensions["minxin.engine"], unit.id

    def chunks():
        # Streamed on a session of its own: a county's million rows never sit in memory at
        # once, and the stream outlives the request's session.
        with Session(engine) as session:
            yield from exports.stream_export(session, session.get(OrgUnit, unit_id), fmt=fmt, public=public)

    resp = Response(chunks(), content_type=mime)  # mimetype= would add a second charset
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=ledger-{unit.id}-{stamp}.{ext}; filename*=UTF-8''{quote(name)}.{ext}")
    return resp


@bp.route("/diary")
@login_required
def diary():
    """The printable diary of a cadre for a month (?cadre=<id>&month=YYYY-MM)."""
    cadre_id = request.args.get("cadre", type=int) or current_user.id
    cadre = db_session.get(User, cadre_id)
    if cadre is None or (cadre.id != current_user.id and (
            current_user.role == "cadre" or not cadre.org_unit.is_within(current_user.org_unit))):
        abort(404)  # people outside one's scope answer like missing ones
    month = request.args.get("month") or local_today().strftime("%Y-%m")
    ym = month_arg(month)
    if ym is None:
        abort(400)
    html = exports.printable_diary(db_session, cadre, ym[0], ym[1],
                                   quota=current_app.config.get("VISIT_QUOTA", 4),
                                   script_url=url_for("static", filename="print.js"))
    return Response(html, mimetype="text/html")


@bp.route("/replies", methods=["GET", "POST"])
@login_required
def reply_templates():
    """答复模板 per outcome: everyone reads them; the county admin edits them."""
    me = current_user._get_current_object()
    editable = me.role == "admin" and me.org_unit.parent_id is None
    if request.method == "POST":
        if not editable:
            abort(403)
        try:
            for outcome in OUTCOMES:
                text = request.form.get(outcome)
                if text is not None and text.strip() != replies.templates(db_session).get(outcome, ""):
                    replies.save_template(db_session, outcome, text, me)
        except DomainError as exc:
            db_session.rollback()
            flash(str(exc), "error")
        else:
            _commit_or_flash(_("已保存答复模板"))
        return redirect(url_for("ledger.reply_templates"))
    return render_template("ledger/replies.html", templates=replies.templates(db_session), outcomes=OUTCOMES,
                           editable=editable)
