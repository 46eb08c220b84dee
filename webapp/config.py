"""Configuration from environment variables, with safe defaults for the embedded setup."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def load_secret_key(instance_path: Path) -> str:
    """MINXIN_SECRET_KEY, or a key generated on first run and kept in the instance folder."""
    key = os.environ.get("MINXIN_SECRET_KEY")
    if key:
        return key
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_audit_key(instance_path: Path) -> str:
    """MINXIN_AUDIT_KEY, or a key generated on first run in the instance folder (0600): the
    audit chain's HMAC secret. Keep it out of the database's backups (docs/DEPLOY.md)."""
    key = os.environ.get("MINXIN_AUDIT_KEY")
    if key:
        return key
    path = instance_path / "audit_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def from_environment(instance_path: Path) -> dict:
    data_dir = Path(os.environ.get("MINXIN_DATA_DIR") or instance_path / "data")
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "AUDIT_KEY": load_audit_key(instance_path),
        "DATABASE_URL": os.environ.get("MINXIN_DATABASE_URL")
        or f"sqlite:///{instance_path / 'minxin.sqlite'}",
        "DATA_DIR": str(data_dir),
        # embedded: worker thread in the web process; celery: MINXIN_BROKER_URL
        "QUEUE": os.environ.get("MINXIN_QUEUE", "embedded"),
        "BROKER_URL": os.environ.get("MINXIN_BROKER_URL", "redis://127.0.0.1:6379/0"),
        "STORAGE": os.environ.get("MINXIN_STORAGE", "local"),  # local | s3
        "S3_ENDPOINT_URL": os.environ.get("MINXIN_S3_ENDPOINT_URL"),
        "S3_BUCKET": os.environ.get("MINXIN_S3_BUCKET", "minxin-originals"),
        # Celery (MINXIN_QUEUE=celery): a key prefix keeps deployments sharing one Redis apart;
        # workers re-submit jobs whose lease expired every JOB_SWEEP_SECONDS.
        "CELERY_KEY_PREFIX": os.environ.get("MINXIN_CELERY_KEY_PREFIX", ""),
        "CELERY_VISIBILITY_TIMEOUT": _env_int("MINXIN_CELERY_VISIBILITY_TIMEOUT", 3600),
        "JOB_SWEEP_SECONDS": _env_int("MINXIN_JOB_SWEEP_SECONDS", 30),
        "JOB_STALE_QUEUED_SECONDS": _env_int("MINXIN_JOB_STALE_QUEUED_SECONDS", 600),
        # Temp files and originals without a row (a kill mid-write) older than this are removed
        # by the embedded worker every HOUSEKEEPING_SECONDS, and by `minxin doctor --sweep`.
        "LEFTOVER_GRACE_SECONDS": _env_int("MINXIN_LEFTOVER_GRACE_SECONDS", 3600),
        "HOUSEKEEPING_SECONDS": _env_int("MINXIN_HOUSEKEEPING_SECONDS", 3600),
        # real: Whisper and PaddleOCR; fake: a deterministic stand-in for fast unit tests only
        "RECOGNIZER": os.environ.get("MINXIN_RECOGNIZER", "real"),
        "SPEECH_ENGINE": os.environ.get("MINXIN_SPEECH_ENGINE", ""),  # empty: the measured default
        "SPEECH_MODEL": os.environ.get("MINXIN_SPEECH_MODEL", "base"),
        # Seconds the fake recognizer sleeps per job (tests that kill a worker mid-job).
        "FAKE_RECOGNIZER_DELAY": _env_float("MINXIN_FAKE_DELAY", 0.0),
        # Jobs: a running job whose lease passed belongs to a dead worker and is taken again.
        "JOB_LEASE_SECONDS": _env_float("MINXIN_JOB_LEASE_SECONDS", 60.0),
        "JOB_MAX_ATTEMPTS": _env_int("MINXIN_JOB_MAX_ATTEMPTS", 3),
        "WORKER_THREADS": _env_int("MINXIN_WORKER_THREADS", 1),
        "WORKER_POLL_SECONDS": _env_float("MINXIN_WORKER_POLL_SECONDS", 2.0),
        # Per file; MINXIN_MAX_UPLOAD_MB. A request may carry several page photos.
        "MAX_UPLOAD_BYTES": _env_int("MINXIN_MAX_UPLOAD_MB", 100) * 1024 * 1024,
        "MAX_AUDIO_SECONDS": _env_int("MINXIN_MAX_AUDIO_SECONDS", 30 * 60),
        "VISIT_QUOTA": _env_int("MINXIN_VISIT_QUOTA", 4),
        "SESSION_COOKIE_SECURE": os.environ.get("MINXIN_INSECURE_COOKIES", "") != "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": os.environ.get("MINXIN_INSECURE_COOKIES", "") != "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        # Every time shown or typed in is in this zone (stored UTC); MINXIN_TIMEZONE.
        "TIMEZONE": os.environ.get("MINXIN_TIMEZONE", "Asia/Shanghai"),
        # Server-side sessions end after this long without a request (webapp/auth/sessions.py).
        "SESSION_IDLE_MINUTES": _env_float("MINXIN_SESSION_IDLE_MINUTES", 120.0),
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (nginx: 1).
        "TRUSTED_PROXIES": _env_int("MINXIN_TRUSTED_PROXIES", 0),
        # Rate-limit counters: empty = memory (one process) or the Redis broker under Celery.
        "RATELIMIT_STORAGE": os.environ.get("MINXIN_RATELIMIT_STORAGE", ""),
        # production: refuse to start without what a public deployment needs (PUBLIC_BASE_URL).
        "ENV": os.environ.get("MINXIN_ENV", "development"),
        # Links printed and put in QR codes (https://minxin.example.gov.cn); never the Host header.
        "PUBLIC_BASE_URL": os.environ.get("MINXIN_PUBLIC_BASE_URL", ""),
        "SMTP_HOST": os.environ.get("MINXIN_SMTP_HOST", ""),
        "SMTP_FROM": os.environ.get("MINXIN_SMTP_FROM", "minxin@localhost"),
    }


def private_folder(path: Path) -> None:
    """The instance folder holds the database, keys and originals: owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except PermissionError:  # a folder someone else owns: leave it, as before
        pass


def private_sqlite_file(url: str) -> None:
    """The SQLite file (and its -wal/-shm) owner-only: SQLite creates them after the umask
    (0644). Run on every new connection, so a file created by it, or left world-readable by an
    earlier version, is tightened before any request reads it."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return
    path = Path(url[len("sqlite:///"):].split("?", 1)[0])
    try:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if p.exists() and p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
    except PermissionError:
        pass


class ConfigError(RuntimeError):
    """A setting production needs is missing; the message says which."""


def check_production(config: dict) -> None:
    if config.get("ENV") != "production":
        return
    if config.get("QUEUE") == "celery" and not os.environ.get("MINXIN_AUDIT_KEY"):
        # Several machines write one audit chain: a key file per machine would split it.
        raise ConfigError("MINXIN_AUDIT_KEY 未设置：多台机器（Celery）必须使用同一个审计密钥 "
                          "(MINXIN_AUDIT_KEY is required with MINXIN_QUEUE=celery in production)")
    if not config.get("PUBLIC_BASE_URL", "").startswith(("https://", "http://")):
        raise ConfigError("MINXIN_PUBLIC_BASE_URL 未设置：生产环境必须配置公开链接和二维码使用的地址 "
                          "(MINXIN_PUBLIC_BASE_URL is required in production, e.g. https://minxin.example.gov.cn)")


def public_base_url(config: dict) -> str:
    """Where public links and QR codes point; the local default outside production."""
    return (config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
