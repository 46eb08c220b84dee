"""People and units on the web: the county admin creates users (a one-time password shown once),
resets passwords, deactivates (after a confirmation) and re-enables, changes roles and units,
and keeps the org tree; everyone changes their own password. Forms carry CSRF tokens; the
operations live in org.users (they check the admin's reach, audit and flush); these handlers
commit."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from core.db import db_session
from core.errors import DomainError, NotAllowed
from org import users as ops
from org.models import ROLES, OrgUnit, User
from org.scope import unit_ids_under
from webapp.auth import bp, sessions
from webapp.auth.views import _idle


def _require_admin() -> None:
    if current_user.role != "admin":
        abort(403)


def _managed_user(user_id: int) -> User:
    """A user at or under the admin's unit; anyone else answers like a missing one."""
    user = db_session.get(User, user_id)
    if user is None or not user.org_unit.is_within(current_user.org_unit):
        abort(404)
    return user


def _managed_unit(unit_id) -> OrgUnit:
    unit = db_session.get(OrgUnit, unit_id) if unit_id else None
    if unit is None or not unit.is_within(current_user.org_unit):
        abort(404)
    return unit


def _units() -> list[OrgUnit]:
    return list(db_session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(current_user.org_unit.path))
                                   .order_by(OrgUnit.path)))


def _secret_page(template: str, **context) -> Response:
    """A page showing a one-time password: shown once, kept out of every cache."""
    resp = Response(render_template(template, **context))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _done(message: str, target: str):
    try:
        db_session.commit()
    except Exception:
        db_session.rollback()
        raise
    flash(message, "ok")
    return redirect(target)


def _refused(exc: Exception, target: str):
    db_session.rollback()
    if isinstance(exc, NotAllowed):
        abort(404)
    flash(str(exc), "error")
    return redirect(target)


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    _require_admin()
    if request.method == "POST":
        form = request.form
        try:
            unit = _managed_unit(form.get("unit", type=int))
            user, password = ops.register_user(db_session, current_user, form.get("login", ""),
                                               form.get("display_name", ""), form.get("role", ""), unit)
            db_session.commit()
        except (DomainError, NotAllowed) as exc:
            db_session.rollback()
            if isinstance(exc, NotAllowed):
                abort(404)
            flash(str(exc), "error")
            return _user_list(form), 400  # what was typed stays in the form
        return _secret_page("auth/one_time.html", user=user, password=password, created=True)
    return _user_list({})


def _user_list(typed):
    rows = db_session.scalars(
        select(User).where(User.org_unit_id.in_(unit_ids_under(current_user.org_unit))).order_by(User.login)
    ).all()
    return render_template("auth/users.html", users=rows, units=_units(), roles=ROLES, typed=typed)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    _require_admin()
    user = _managed_user(user_id)
    if request.method == "POST":
        form = request.form
        try:
            unit = _managed_unit(form.get("unit", type=int)) if form.get("unit") else None
            ops.update_user(db_session, current_user, user, display_name=form.get("display_name"),
                            role=form.get("role") or None, unit=unit)
        except (DomainError, NotAllowed) as exc:
            return _refused(exc, url_for("auth.edit_user", user_id=user.id))
        return _done(_("已保存 %(login)s", login=user.login), url_for("auth.edit_user", user_id=user.id))
    return render_template("auth/user.html", user=user, units=_units(), roles=ROLES)


@bp.route("/admin/users/<int:user_id>/reset", methods=["POST"])
@login_required
def reset_password(user_id: int):
    _require_admin()
    user = _managed_user(user_id)
    try:
        password = ops.reset_password(db_session, current_user, user)
        db_session.commit()
    except (DomainError, NotAllowed) as exc:
        return _refused(exc, url_for("auth.edit_user", user_id=user.id))
    return _secret_page("auth/one_time.html", user=user, password=password, created=False)


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@login_required
def deactivate_user(user_id: int):
    """Deactivate a user after a confirmation page: they cannot sign in, their sessions end."""
    _require_admin()
    user = _managed_user(user_id)
    if request.method == "GET" or request.form.get("confirmed") != "1":
        return render_template("auth/confirm_deactivate.html", user=user)
    try:
        ops.deactivate(db_session, current_user, user)
    except (DomainError, NotAllowed) as exc:
        return _refused(exc, url_for("auth.users"))
    return _done(_("已停用 %(login)s，其登录会话已全部失效", login=user.login), url_for("auth.users"))


@bp.route("/admin/users/<int:user_id>/activate", methods=["POST"])
@login_required
def activate_user(user_id: int):
    _require_admin()
    user = _managed_user(user_id)
    try:
        ops.reactivate(db_session, current_user, user)
    except (DomainError, NotAllowed) as exc:
        return _refused(exc, url_for("auth.users"))
    return _done(_("已重新启用 %(login)s", login=user.login), url_for("auth.users"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Anyone's own password; the one page open to a user holding a one-time password."""
    if request.method == "POST":
        form = request.form
        if form.get("new", "") != form.get("repeat", ""):
            flash(_("两次输入的新密码不一致"), "error")
            return render_template("auth/password.html"), 400
        try:
            ops.change_own_password(db_session, current_user, form.get("current", ""), form.get("new", ""))
            # The change ended every session, this one too: a fresh one for this browser.
            current_user._session_key = sessions.open_session(db_session, current_user, request.remote_addr or "",
                                                              _idle())
            db_session.commit()
        except DomainError as exc:
            db_session.rollback()
            flash(str(exc), "error")
            return render_template("auth/password.html"), 400
        login_user(current_user._get_current_object())  # the user, not the proxy (it would point at itself)
        flash(_("密码已修改"), "ok")
        return redirect(url_for("auth.index"))
    return render_template("auth/password.html")


# --- the org tree ---------------------------------------------------------------------------------


@bp.route("/admin/units", methods=["GET", "POST"])
@login_required
def units():
    _require_admin()
    if request.method == "POST":
        try:
            parent = _managed_unit(request.form.get("parent", type=int))
            unit = ops.create_unit(db_session, current_user, request.form.get("name", ""), parent)
        except (DomainError, NotAllowed) as exc:
            return _refused(exc, url_for("auth.units"))
        return _done(_("已添加 %(name)s", name=unit.name), url_for("auth.units"))
    tree = _units()
    holdings = {u.id: ops.unit_holdings(db_session, u) for u in tree}
    return render_template("auth/units.html", tree=tree, holdings=holdings)


@bp.route("/admin/units/<int:unit_id>/<action>", methods=["POST"])
@login_required
def unit_action(unit_id: int, action: str):
    _require_admin()
    unit = _managed_unit(unit_id)
    back = url_for("auth.units")
    try:
        if action == "rename":
            old = unit.name
            ops.rename_unit(db_session, current_user, unit, request.form.get("name", ""))
            message = _("已将 %(old)s 改名为 %(new)s", old=old, new=unit.name)
        elif action == "move":
            ops.relocate_unit(db_session, current_user, unit, _managed_unit(request.form.get("parent", type=int)))
            message = _("已移动 %(name)s", name=unit.name)
        elif action == "remove":
            name = unit.name
            ops.remove_unit(db_session, current_user, unit)
            message = _("已删除 %(name)s", name=name)
        else:
            abort(404)
    except (DomainError, NotAllowed) as exc:
        return _refused(exc, back)
    return _done(message, back)
