"""The composition root: settings -> the instance's keys -> database -> queue -> storage, put
together in one place for every process: the web app (`webapp.create_app`), the Celery worker
(`jobs.celery_app`) and the CLI (through the app).

`settings_from_environment()` is how a process gets its `Settings` (core.settings reads the
environment); `instance_config(settings)` is the config mapping handed down, with the audit key
loaded from (or generated into) the instance folder; `bootstrap(config)` binds the database,
points the process-wide parts at the configuration (audit key, clock, extractor models, category
keywords, the job queue) and returns the `Runtime`. Nothing below the web app imports webapp;
the areas import nothing of this module.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from sqlalchemy import event
from sqlalchemy.engine import Engine

from capture.storage import get_storage
from core import audit, clock, db
from core.settings import Settings
from diary import training
from jobs import operations as jobs
from ledger import month_counts, rates, recurring
from ledger.deadlines import local_today
from recognize.extract import category


class ConfigError(RuntimeError):
    """A setting production needs is missing; the message says which."""


# --- the instance folder ------------------------------------------------------------------------


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


def _key_file(path: Path, *, racing: bool) -> str:
    """The key kept in `path`, or a new one written there (0600) on first run."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if not racing:
            raise
        return path.read_text().strip()  # another process made it first
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_secret_key(instance_path: Path, given: Optional[str] = None) -> str:
    """MINXIN_SECRET_KEY (`given`), or a key generated on first run and kept in the instance folder."""
    return given or _key_file(instance_path / "secret_key", racing=False)


def load_audit_key(instance_path: Path, given: Optional[str] = None) -> str:
    """MINXIN_AUDIT_KEY (`given`), or a key generated on first run in the instance folder (0600):
    the audit chain's HMAC secret. Keep it out of the database's backups (docs/DEPLOY.md)."""
    return given or _key_file(instance_path / "audit_key", racing=True)


# --- settings and the config handed down -------------------------------------------------------


def settings_from_environment(instance_path: Optional[str | Path] = None) -> Settings:
    """This process's settings (MINXIN_*; `instance_path` stands in for MINXIN_INSTANCE_PATH)."""
    return Settings.from_env(instance_path=instance_path)


def instance_config(settings: Settings) -> dict[str, Any]:
    """The config mapping of `settings`, with the audit key of the instance folder."""
    private_folder(settings.instance_path)
    return {**settings.as_config(), "AUDIT_KEY": load_audit_key(settings.instance_path, settings.audit_key)}


def check_production(config: Mapping[str, Any], settings: Settings) -> None:
    if config.get("ENV") != "production":
        return
    if config.get("QUEUE") == "celery" and not settings.audit_key:
        # Several machines write one audit chain: a key file per machine would split it.
        raise ConfigError("MINXIN_AUDIT_KEY 未设置：多台机器（Celery）必须使用同一个审计密钥 "
                          "(MINXIN_AUDIT_KEY is required with MINXIN_QUEUE=celery in production)")
    if not config.get("PUBLIC_BASE_URL", "").startswith(("https://", "http://")):
        raise ConfigError("MINXIN_PUBLIC_BASE_URL 未设置：生产环境必须配置公开链接和二维码使用的地址 "
                          "(MINXIN_PUBLIC_BASE_URL is required in production, e.g. https://minxin.example.gov.cn)")


# --- wiring a process ---------------------------------------------------------------------------


@dataclass
class Runtime:
    """What `bootstrap` built: the config handed down, the bound engine and the job queue."""

    config: Mapping[str, Any]
    engine: Engine
    queue: Any
    _storage: Any = field(default=None, repr=False)

    @property
    def storage(self):
        """The store of originals (built on first use: an unknown STORAGE fails where it is used)."""
        if self._storage is None:
            self._storage = get_storage(self.config)
        return self._storage


def bootstrap(config: Mapping[str, Any]) -> Runtime:
    """Bind this process to `config` (the mapping `instance_config` gave, maybe with a test's
    overrides): the audit key, the database engine and session factory, the clock, the
    extractor models, the county's category keywords, and the job queue."""
    audit.use_key(config.get("AUDIT_KEY") or None)  # the audit chain's HMAC key, outside the database
    url = config["DATABASE_URL"]
    engine = db.make_engine(url)
    if engine.dialect.name == "sqlite":
        private_sqlite_file(url)  # one an earlier version left 0644
        event.listen(engine, "connect", lambda *_a: private_sqlite_file(url))
    db.bind(engine)
    clock.use_file(config.get("CLOCK_FILE"))
    training.use_model_dir(config.get("EXTRACTOR_DIR"))
    category.use_keywords_file(config.get("CATEGORY_KEYWORDS"))
    # The settings run_job reads (recognizer, storage, leases) and the queue enqueue hands to.
    jobs.configure(config)
    return Runtime(config=config, engine=engine, queue=jobs.active_queue())


def bootstrap_worker() -> Runtime:
    """A Celery worker process: the environment's settings, jobs re-submitted from it going
    to Celery too (never to an in-process queue)."""
    settings = settings_from_environment()
    config = {**instance_config(settings), "QUEUE": "celery"}
    check_production(config, settings)
    return bootstrap(config)


# How often the dashboard's background job runs: celery beat at scale, a timer of `minxin serve`.
DASHBOARD_COUNTS_SECONDS = 600.0


def refresh_dashboard_counts(config: Mapping[str, Any]) -> tuple[list[int], int]:
    """The dashboard's background job (`celery beat`, or cron running `minxin recurring-refresh`):
    the recurring problems of each county and township whose items changed, and the settled
    months not kept yet (ledger/month_counts.py); one commit each. Returns (units whose clusters
    were refreshed, months counted)."""
    today = local_today()
    with db.session_scope() as s:
        clusters = recurring.refresh_stale(s, today, commit=True)
        months = month_counts.refresh_settled(s, today, rates.RateRules.from_config(config), commit=True)
    return clusters, months
