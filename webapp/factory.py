"""The Flask application factory: create_app (imported lazily by the package, see webapp/__init__.py)."""
from __future__ import annotations

from typing import Optional

from flask import Flask, request

from core import db
from ops import compose
from webapp import catalogue, commands, errors, params, timefmt
from webapp import config as config_module
from webapp.auth.ratelimit import storage_uri
from webapp.extensions import babel, csrf, limiter, login_manager
from webapp.locales import LOCALES, select_locale
from webapp.security import install_headers

# One blueprint per area; each module exposes `bp`.
BLUEPRINTS = (
    "webapp.auth",
    "webapp.capture",
    "webapp.review",
    "webapp.ledger",
    "webapp.search",
    "webapp.dashboard",
    "webapp.public",
    "webapp.api",
)


# Top navigation: (endpoint, label, roles); links whose view is not registered are skipped.
NAV = (
    ("capture.index", "采集", ("cadre", "supervisor", "admin")),
    ("review.queue", "审核", ("supervisor", "admin")),
    ("ledger.index", "台账", ("cadre", "supervisor", "admin")),
    ("dashboard.index", "统计", ("supervisor", "admin")),
    ("search.index", "搜索", ("cadre", "supervisor", "admin")),
    ("auth.users", "用户管理", ("admin",)),
    ("auth.change_password", "修改密码", ("cadre", "supervisor", "admin")),
)


def create_app(test_config: Optional[dict] = None) -> Flask:
    # The settings (core.settings, MINXIN_*); the instance folder (database, keys, originals) is
    # ./instance unless MINXIN_INSTANCE_PATH.
    settings = compose.settings_from_environment()
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=True)
    app.config.from_mapping(config_module.from_settings(settings))
    if test_config:
        app.config.update(test_config)
    compose.check_production(app.config, settings)
    app.extensions["minxin.settings"] = settings
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        # The client address from X-Forwarded-For through n proxies; the host is never taken
        # from headers (public links use PUBLIC_BASE_URL).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0)  # type: ignore[method-assign]
    # A request may carry several files, each up to MAX_UPLOAD_BYTES (checked per file at intake).
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] * 4 + 1024 * 1024

    # Audit key, database, clock, extractor models, job queue: the same wiring as a Celery worker's.
    runtime = compose.bootstrap(app.config)
    app.extensions["minxin.engine"] = runtime.engine
    app.extensions["minxin.runtime"] = runtime

    login_manager.init_app(app)
    csrf.init_app(app)

    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config.get('CELERY_KEY_PREFIX', '')}minxin-rl")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    # Redis unreachable: count in this process's memory rather than fail every login.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    commands.init_app(app)  # each area's `minxin` commands on app.cli

    import importlib


    params.install(app)
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)


    catalogue.init_app(app)
    timefmt.init_app(app)
    errors.init_app(app)

    from werkzeug.exceptions import RequestEntityTooLarge

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc):
        limit = app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
        message = f"上传内容过大，每个文件不超过 {limit} MB (upload too large)"
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error=message, code="too_large"), 413
        return errors.render_error(_exc, message)

    from werkzeug.exceptions import TooManyRequests

    @app.errorhandler(TooManyRequests)
    def _too_many(exc):
        if request.endpoint == "auth.login":
            from webapp.auth.views import too_many_attempts

            return too_many_attempts(exc)
        message = "请求过于频繁，请稍后再试 (too many requests, try again later)"
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error=message, code="rate_limited"), 429
        return message, 429


    install_headers(app)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        message = f"表单已过期或缺少安全令牌，请刷新后重试 (CSRF: {exc.description})"
        if request.path.startswith("/api/"):
            from flask import jsonify

            return jsonify(error=message, code="csrf"), 400
        return errors.render_error(exc, message)

    @app.teardown_appcontext
    def _remove_session(_exc=None):
        db.db_session.remove()

    @app.context_processor
    def _inject():
        from flask_babel import get_locale
        from flask_login import current_user

        links = []
        if current_user.is_authenticated:
            for endpoint, label, roles in NAV:
                if endpoint in app.view_functions and current_user.role in roles:
                    links.append((endpoint, label))
        return {"current_locale": str(get_locale()), "locales": LOCALES, "nav_links": links}

    from webapp.gcfreeze import freeze_start_up_objects

    freeze_start_up_objects(app)
    return app
