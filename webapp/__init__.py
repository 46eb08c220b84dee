"""The Flask application factory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from flask import Flask, request, session

from ledger import db
from webapp import config as config_module
from webapp.extensions import babel, csrf, limiter, login_manager

LOCALES = ("zh_CN", "en")

# One blueprint per area; each module exposes `bp`.
BLUEPRINTS = (
    "webapp.auth",
    "webapp.capture",
    "webapp.review",
    "webapp.ledger",
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
)


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    # zh_CN first: English only when the browser prefers it over Chinese.
    return request.accept_languages.best_match(LOCALES, default="zh_CN") or "zh_CN"


def create_app(test_config: Optional[dict] = None) -> Flask:
    # The instance folder (database, secret key, originals): ./instance unless MINXIN_INSTANCE_PATH.
    instance = os.environ.get("MINXIN_INSTANCE_PATH") or str(Path.cwd() / "instance")
    app = Flask(__name__, instance_path=str(Path(instance).resolve()), instance_relative_config=True)
    config_module.private_folder(Path(app.instance_path))
    app.config.from_mapping(config_module.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    config_module.check_production(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        # The client address from X-Forwarded-For through n proxies; the host is never taken
        # from headers (public links use PUBLIC_BASE_URL).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0)  # type: ignore[method-assign]
    # A request may carry several files, each up to MAX_UPLOAD_BYTES (checked per file at intake).
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] * 4 + 1024 * 1024

    from ledger import audit

    audit.use_key(app.config.get("AUDIT_KEY") or None)  # the audit chain's HMAC key, outside the database
    engine = db.make_engine(app.config["DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        url = app.config["DATABASE_URL"]
        config_module.private_sqlite_file(url)  # one an earlier version left 0644
        event.listen(engine, "connect", lambda *_a: config_module.private_sqlite_file(url))
    db.bind(engine)
    app.extensions["minxin.engine"] = engine

    from ledger import jobs

    # The settings run_job reads (recognizer, storage, leases) and the queue enqueue hands to.
    jobs.configure(app.config)

    login_manager.init_app(app)
    csrf.init_app(app)
    from webapp.auth.ratelimit import storage_uri

    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config.get('CELERY_KEY_PREFIX', '')}minxin-rl")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    # Redis unreachable: count in this process's memory rather than fail every login.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    import importlib

    from webapp import params

    params.install(app)
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)

    from webapp import catalogue, errors, timefmt

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

    from webapp.security import install_headers

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
