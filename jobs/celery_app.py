"""The Celery application: recognition jobs on separate worker processes and machines.

Run workers with either of

    minxin worker --celery --queues speech --concurrency 1        # GPU machine
    celery -A jobs.celery_app worker -Q handwriting -c 2        # CPU machine

Both read the same settings as the web app (core.settings: MINXIN_DATABASE_URL,
MINXIN_BROKER_URL, MINXIN_STORAGE, …). Each worker process is wired once by the composition
root (`core.compose.bootstrap_worker`: its configuration, database engine, queue and storage),
as the web app is; no Flask app is built here.

Delivery rules: the message is acknowledged late (after the task returns), a message whose
worker process died is rejected back onto the queue, each process takes one message at a
time, and transient errors (database or broker connection, storage unreachable) are retried
with exponential backoff. None of that can run a job twice to completion: `run_job` claims
the job row atomically and is a no-op for a job that is done or held under a live lease.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Mapping, Optional

from celery import Celery, bootsteps, signals
from kombu import Queue

from core import audit
from core.clock import CHINA_ZONE_NAME
from jobs.sweeper import QUEUES, backoff_seconds, sweep
from ops import compose

log = logging.getLogger(__name__)


def _transient_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        from sqlalchemy.exc import DisconnectionError, OperationalError

        errors += [OperationalError, DisconnectionError]
    except ImportError:  # pragma: no cover
        pass
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover
        pass
    try:
        from botocore.exceptions import ConnectionError as BotoConnectionError

        errors += [BotoConnectionError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


TRANSIENT_ERRORS = _transient_errors()


def settings(config: Mapping) -> dict:
    """Celery settings from the app's configuration (a Flask config or a plain dict)."""
    transport: dict = {
        # A message taken by a worker that vanished is given to another after this long
        # (Redis has no per-consumer acks). The sweeper usually acts sooner, via the lease.
        "visibility_timeout": int(config.get("CELERY_VISIBILITY_TIMEOUT") or 3600),
    }
    prefix = config.get("CELERY_KEY_PREFIX") or ""
    if prefix:
        transport["global_keyprefix"] = prefix
    return {
        "broker_url": config.get("BROKER_URL") or "redis://127.0.0.1:6379/0",
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "task_ignore_result": True,  # the job row holds the outcome
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": "speech",
        "task_queues": tuple(Queue(name, routing_key=name) for name in QUEUES),
        "task_create_missing_queues": False,
        "worker_send_task_events": False,
        "timezone": CHINA_ZONE_NAME,
        "enable_utc": True,
        # minxin-specific, read by the sweeper step below
        "minxin_sweep_seconds": float(config.get("JOB_SWEEP_SECONDS") or 30),
        "minxin_stale_queued_seconds": float(config.get("JOB_STALE_QUEUED_SECONDS") or 600),
        # `celery beat`: each county's extractor model once a day (diary/training.py)
        # and the dashboard's recurring problems of the counties whose items changed (ledger/recurring.py)
        # with its settled months' counts (ledger/month_counts.py)
        "beat_schedule": {"train-extractor": {"task": "minxin.train_extractor", "schedule": 24 * 3600.0},
                          "recurring-clusters": {"task": "minxin.recurring_clusters",
                                                 "schedule": compose.DASHBOARD_COUNTS_SECONDS}},
    }


app = Celery("minxin")
# Just what Celery needs, without touching the instance folder (import time).
app.conf.update(settings(compose.settings_from_environment().as_config()))


def configure(config: Mapping) -> Celery:
    """Point the (one per process) Celery app at this configuration's broker."""
    wanted = settings(config)
    if any(app.conf.get(k) != v for k, v in wanted.items()):
        app.conf.update(wanted)
        if app._pool is not None:
            # A changed broker means new connections; drop pooled ones to the old one.
            app._pool.force_close_all()
            app._pool = None
    return app


# --- the wiring each worker process runs tasks with -----------------------------------

_runtime: Optional[compose.Runtime] = None


def runtime() -> compose.Runtime:
    """This process's configuration, engine and queue (built once, by the composition root)."""
    global _runtime
    if _runtime is None:
        _runtime = compose.bootstrap_worker()
    return _runtime


@signals.worker_process_init.connect
def _init_worker_process(**_kw):
    """A forked pool process: fresh database connections of its own."""
    global _runtime
    if _sweep_engine is not None:
        _sweep_engine.dispose(close=False)
    if _runtime is not None:  # the parent's (its sweeper's): its connections stay the parent's
        _runtime.engine.dispose(close=False)
    _runtime = None
    runtime()


def worker_config() -> Mapping:
    return runtime().config


def worker_name(task) -> str:
    host = getattr(task.request, "hostname", None) or socket.gethostname()
    return f"{host}:{os.getpid()}"


@app.task(
    bind=True,
    name="minxin.recognize_capture",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def recognize_capture(self, job_id: int):
    """Run one recognition job (the row decides whether there is anything to do)."""
    from core import db
    from jobs.models import Job
    from jobs.operations import run_job

    runtime()
    outcome = run_job(int(job_id), worker_name(self))
    if outcome == "queued":
        # The recognizer failed with attempts left: run_job put the row back to `queued`.
        # Try again later, backing off by attempt (the claim counts the attempts).
        with db.session_scope() as s:
            job = s.get(Job, int(job_id))
            attempts, queue = job.attempts, job.queue
        raise self.retry(countdown=backoff_seconds(attempts), queue=queue)
    return outcome


@app.task(name="minxin.train_extractor", acks_late=True)
def train_extractor():
    """Train each county's extractor model from its confirmed entries (skipped when unchanged)."""
    from core import db
    from diary.training import describe, train_all

    runtime()
    with db.session_scope() as s:
        return [describe(r) for r in train_all(s)]


@app.task(name="minxin.recurring_clusters", acks_late=True)
def recurring_clusters():
    """Refresh the recurring-problem clusters of every county and township whose items changed,
    and keep the settled months' dashboard counts."""
    return compose.refresh_dashboard_counts(runtime().config)


# --- the sweeper: jobs whose worker died ---------------------------------------------

_sweep_engine = None


def _sweep_session():
    global _sweep_engine
    from sqlalchemy.orm import Session

    from core.db import make_engine

    if _sweep_engine is None:
        url = worker_config()["DATABASE_URL"]
        _sweep_engine = make_engine(url, pool_size=1, max_overflow=0) if not url.startswith("sqlite") else make_engine(url)
    return Session(_sweep_engine)


_marker_clients: dict = {}


def _once_marker(prefix: str, ttl: float):
    """A Redis SET NX per (job, attempt, status), so many sweeping workers send one message,
    and a job waiting in a long backlog is sent again at most once per `ttl`."""
    broker = app.conf.broker_url or ""
    if not broker.startswith(("redis://", "rediss://", "unix://")):
        return None
    import redis

    client = _marker_clients.get(broker)
    if client is None:
        client = _marker_clients[broker] = redis.Redis.from_url(broker, socket_timeout=5)

    def once(job) -> bool:
        key = f"{prefix}minxin:swept:{job.id}:{job.attempts}:{job.status}"
        return bool(client.set(key, "1", nx=True, ex=max(1, int(ttl))))

    return once


def sweep_now() -> list[int]:
    """One sweep, from this process: returns the ids of the jobs re-submitted."""
    from jobs.celery_app import recognize_capture as task

    def submit(job_id: int, queue: str, countdown: float) -> None:
        task.apply_async(args=[job_id], queue=queue, countdown=countdown or None)

    stale = float(app.conf.get("minxin_stale_queued_seconds") or 600)
    prefix = (app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    once = _once_marker(prefix, ttl=stale)
    with _sweep_session() as session:
        sent = sweep(session, submit, stale_queued_seconds=stale, once=once)
        # Received captures a crash left without a job get one (jobs.operations.adopt_orphans).
        from jobs.operations import adopt_orphans

        class _Submit:
            name = "celery"

            @staticmethod
            def submit(job_id: int, queue_name: str) -> None:
                submit(job_id, queue_name, 0)

        adopt_orphans(session, queue=_Submit())
        # Audit events a process committed but died before chaining (core/audit.py, deferred).
        audit.chain_pending(session.get_bind())
        return sent


class JobSweeper(bootsteps.StartStopStep):
    """Runs `sweep_now` when the worker starts and then every `minxin_sweep_seconds`, on the
    worker's own timer in its main process."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def _tick(self):
        try:
            sweep_now()
        except Exception:  # noqa: BLE001 - a failed sweep is retried on the next tick
            log.exception("job sweep failed")

    def start(self, worker):
        every = float(app.conf.get("minxin_sweep_seconds") or 30)
        self._tick()
        self.tref = worker.timer.call_repeatedly(every, self._tick, priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(JobSweeper)


# --- the queue backend (MINXIN_QUEUE=celery): beside the app it sends to ---------------------


class CeleryQueue:
    """`submit(job_id, queue_name)` sends the job id to the Celery queue of that name."""

    name = "celery"

    def __init__(self, config: Mapping) -> None:
        self.config = config
        self.celery = configure(config)

    def submit(self, job_id: int, queue_name: str = "speech", countdown: Optional[float] = None) -> None:
        if queue_name not in QUEUES:
            raise ValueError(f"unknown queue {queue_name!r}; use one of {QUEUES}")
        recognize_capture.apply_async(args=[int(job_id)], queue=queue_name, countdown=countdown or None)

    # EmbeddedQueue has these; Celery workers are separate processes, so nothing to do here.
    def start(self) -> None:  # pragma: no cover - symmetry with EmbeddedQueue
        return None

    def stop(self, timeout: float = 0) -> None:  # pragma: no cover
        return None


def run_worker(queues, concurrency: int = 1, loglevel: str = "INFO", extra: tuple[str, ...] = ()) -> None:
    """`minxin worker --celery`: a Celery worker on these queues (same as `celery -A
    jobs.celery_app worker -Q … -c …`)."""
    queues = [q.strip() for q in queues if q.strip()]
    unknown = set(queues) - set(QUEUES)
    if unknown or not queues:
        raise SystemExit(f"未知的队列 {sorted(unknown)} (use {', '.join(QUEUES)})")
    app.worker_main(["worker", "-Q", ",".join(queues), "-c", str(int(concurrency)), "-l", loglevel, *extra])

__all__ = ["app", "CeleryQueue", "configure", "run_worker", "recognize_capture", "sweep_now", "settings", "TRANSIENT_ERRORS", "backoff_seconds"]
