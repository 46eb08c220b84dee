"""The Flask config: the settings' config mapping (core.settings, read from MINXIN_* by
core.settings alone) plus what only the web app needs (its secret key, cookie flags, locale).
Tests override any key through `create_app({...})`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from core.settings import Settings
from ops.compose import (
    instance_config,
    load_secret_key,
    settings_from_environment,
)


def from_settings(settings: Settings, config: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The Flask config of `settings` (`config`: their `instance_config`, when already built)."""
    secure = settings.insecure_cookies is not True  # MINXIN_INSECURE_COOKIES=1: plain HTTP
    return {
        **(config if config is not None else instance_config(settings)),
        "SECRET_KEY": load_secret_key(settings.instance_path, settings.secret_key),
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
    }


def from_environment(instance_path: Path) -> dict[str, Any]:
    """The Flask config from the environment, for the instance folder `instance_path`."""
    return from_settings(settings_from_environment(instance_path))


def public_base_url(config: dict) -> str:
    """Where public links and QR codes point; the local default outside production."""
    return (config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
