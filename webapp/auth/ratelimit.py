"""Rate limits (Flask-Limiter): failed logins per account and client, and the public evaluation
page per client.

Tiers of growing length ("5 per minute;20 per hour") make the wait grow with the failures
instead of locking anyone out for good, and a client is limited on its own: one noisy client
does not lock the county out. The client is `request.remote_addr`, which the app factory takes
from X-Forwarded-For only through as many proxies as MINXIN_TRUSTED_PROXIES says (ProxyFix).

Counters live where every web process sees them: memory for the embedded single process,
Redis (MINXIN_RATELIMIT_STORAGE, or the broker when MINXIN_QUEUE=celery) for gunicorn's N.
"""
from __future__ import annotations

from flask import current_app, request

DEFAULTS = {
    # failed logins of one account from one client
    "LOGIN_LIMIT_ACCOUNT_CLIENT": "5 per minute;20 per hour;50 per day",
    # failed logins of one client over all accounts (password spraying)
    "LOGIN_LIMIT_CLIENT": "30 per minute;200 per hour",
    # failed logins of one account from all clients together (a botnet on one account)
    "LOGIN_LIMIT_ACCOUNT": "30 per 10 minutes;100 per day",
    # the villagers' evaluation page and its QR image, per client (mobile carriers put many
    # phones behind one address: generous, but code guessing stays slow)
    "PUBLIC_EVAL_LIMIT": "60 per minute;600 per hour",
}


def storage_uri(config: dict) -> str:
    """memory:// for one process; Redis when configured or when Celery (hence Redis) runs."""
    explicit = config.get("RATELIMIT_STORAGE")
    if explicit:
        return explicit
    if config.get("QUEUE") == "celery" and str(config.get("BROKER_URL", "")).startswith("redis"):
        return config["BROKER_URL"]
    return "memory://"


def client() -> str:
    return request.remote_addr or "?"


def _login_name() -> str:
    return (request.form.get("login") or "").strip().lower()[:64]


def account_client_key() -> str:
    return f"login:{_login_name()}@{client()}"


def client_key() -> str:
    return f"client:{client()}"


def account_key() -> str:
    return f"account:{_login_name()}"


def failed_login(response) -> bool:
    """Only failures count; a successful login costs nothing."""
    return response.status_code == 401


def limit(name: str):
    """The configured limit string, read per request (tests and deployments change it)."""
    return lambda: current_app.config.get(name) or DEFAULTS[name]
