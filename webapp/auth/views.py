"""Login, logout and language choice."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core.db import db_session
from org.models import User
from org.users import verify_login
from webapp.auth import bp, ratelimit, sessions
from webapp.extensions import limiter, login_manager
from webapp.forms import Form
from webapp.locales import LOCALES

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str):
    # The cookie carries "s:<key>" of a server-side session (webapp/auth/sessions.py); the row
    # is gone after logout, a password change or deactivation, and after the idle timeout.
    if not user_id.startswith(sessions.PREFIX):
        return None
    key = user_id[len(sessions.PREFIX):]
    user = sessions.find_user(db_session, key, _idle())
    if user is not None:
        user._session_key = key
    return user


def _idle() -> dt.timedelta:
    return dt.timedelta(minutes=float(current_app.config.get("SESSION_IDLE_MINUTES", 120)))


# Flask-Login asks the user object for its id: the key of the session it was loaded through.
User.get_id = lambda self: sessions.PREFIX + getattr(self, "_session_key", "")  # type: ignore[attr-defined]
User.is_authenticated = property(lambda self: True)  # type: ignore[attr-defined]
User.is_active = property(lambda self: bool(self.active))  # type: ignore[attr-defined]
User.is_anonymous = property(lambda self: False)  # type: ignore[attr-defined]


class LoginForm(Form):
    login = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=256)])


def home_for(user: User) -> str:
    if user.role == "cadre":
        return url_for("capture.index")
    return url_for("review.queue")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return None  # CR/LF would split the Location header; a backslash is "/" to browsers
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    # Only same-site paths: never redirect to another host after login.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# Pages a user with a one-time password may open before choosing their own.
_BEFORE_NEW_PASSWORD = {"auth.change_password", "auth.logout", "auth.set_locale", "auth.login", "static"}


@bp.before_app_request
def _must_change_password():
    """A one-time password (a new user, or one the admin reset) opens one page: choosing one's own."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in _BEFORE_NEW_PASSWORD and not (request.endpoint or "").startswith("public.")):
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error="请先修改初始密码 (choose your own password first)", code="password"), 403
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ratelimit.limit("LOGIN_LIMIT_ACCOUNT_CLIENT"), key_func=ratelimit.account_client_key,
               methods=["POST"], deduct_when=ratelimit.failed_login, scope="login-account-client")
@limiter.limit(ratelimit.limit("LOGIN_LIMIT_CLIENT"), key_func=ratelimit.client_key,
               methods=["POST"], deduct_when=ratelimit.failed_login, scope="login-client")
@limiter.limit(ratelimit.limit("LOGIN_LIMIT_ACCOUNT"), key_func=ratelimit.account_key,
               methods=["POST"], deduct_when=ratelimit.failed_login, scope="login-account")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db_session.scalars(select(User).where(User.login == form.login.data.strip())).first()
        # An unknown login is checked against a dummy hash: the same time as a wrong password.
        if verify_login(user, form.password.data) and user.active:
            target = _safe_next(request.args.get("next")) or home_for(user)
            # A new session and a new CSRF token at login: nothing from before carries over.
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            user._session_key = sessions.open_session(db_session, user, request.remote_addr or "", _idle())
            db_session.commit()
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(target)
        flash(_("用户名或密码错误"), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


def too_many_attempts(exc):
    """429 from the login limits: the form again, with how long to wait."""
    import time

    breached = limiter.current_limit
    seconds = max(1, int(breached.reset_at - time.time()) + 1) if breached is not None else 60
    flash(_("登录失败次数过多，请 %(n)d 秒后再试 (too many login attempts, try again later)", n=seconds), "error")
    return render_template("auth/login.html", form=LoginForm()), 429


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.close_session(db_session, getattr(current_user, "_session_key", None))
    db_session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/locale/<code>", methods=["POST"])
def set_locale(code: str):
    if code not in LOCALES:
        abort(404)
    session["locale"] = code
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.index"))
