"""Durable recognition jobs.

The `jobs` table is the source of truth, whichever queue delivers the job id:

* `enqueue_recognition(session, capture) -> Job` writes a `queued` row, commits, and then hands
  the id to the configured queue (`submit(job_id, queue_name)`).
* `run_job(job_id, worker_name)` is the one function every queue calls. It claims the row with
  one conditional UPDATE (queued, or running with an expired lease, and attempts left), keeps
  the lease alive from a heartbeat thread, reports progress into `Job.progress` and
  `Capture.progress`, runs `recognize.pipeline` (validate, transcribe, extract against the org
  snapshot read beforehand, PII) with no transaction open, and stores its `Recognition` (the
  Transcript and the draft DiaryEntry) in the one short transaction that marks the job `done`
  (again conditional on still holding it). So a job completes at most once, and a redelivered
  or re-taken job that is already done is a no-op.
* `EmbeddedQueue`: worker thread(s) in this process that poll the table, so jobs left
  `running` by a process that died are taken again once their lease expires.
* `get_queue(config)` builds the queue named by QUEUE (MINXIN_QUEUE: `embedded`, `celery`).

Failures: `ModelMissing` (a model not installed or unreadable) is retried like a crash and, once
attempts run out, fails with the message saying what to install; `requeue_failed` (`minxin
requeue`) runs failed captures again. `RecognitionError` (input that cannot be recognized) fails the job at once with its
message on the capture; any other error is retried until `max_attempts`, then fails.
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import socket
import threading
import time
from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping, Optional, Sequence

from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from capture import states
from capture.models import Capture
from capture.states import IN_RECOGNITION, CaptureStatus
from capture.storage import get_storage
from core import audit, db
from core.clock import utcnow
from core.settings import default
from diary import entries
from diary.vocabulary import county_vocabulary
from jobs.models import Job

log = logging.getLogger(__name__)

QUEUES = ("speech", "handwriting")
# What run_job and the queues fall back on when handed a partial config (core.settings).
DEFAULTS = {key: default(key) for key in (
    "JOB_LEASE_SECONDS", "JOB_MAX_ATTEMPTS", "WORKER_THREADS", "WORKER_POLL_SECONDS", "RECOGNIZER",
    "FAKE_RECOGNIZER_DELAY", "JOB_SWEEP_SECONDS",
)}

_config: dict[str, Any] = {}
_queue: Optional["JobQueue"] = None


class JobQueue(ABC):
    """What a queue offers callers: hand over a committed job id."""

    name = "base"

    @abstractmethod
    def submit(self, job_id: int, queue_name: str) -> None:
        """Hand the job to a worker; called only after the job row is committed."""


def configure(config: Mapping[str, Any], queue: Optional[JobQueue] = None) -> None:
    """Remember the settings run_job needs (recognizer, storage, lease) and the active queue."""
    global _config, _queue
    _config = {**DEFAULTS, **dict(config)}
    _queue = queue if queue is not None else get_queue(_config)


def settings(config: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    if config is not None:
        return {**DEFAULTS, **dict(config)}
    if not _config:
        raise RuntimeError("jobs.operations is not configured: call ops.compose.bootstrap(config) or jobs.configure(config)")
    return _config


def active_queue() -> Optional[JobQueue]:
    return _queue


def set_active_queue(queue: Optional[JobQueue]) -> None:
    global _queue
    _queue = queue


# JobQueue backends by MINXIN_QUEUE; "module:Class", imported when chosen.
QUEUE_BACKENDS = {
    "embedded": "jobs.operations:EmbeddedQueue",
    "celery": "jobs.celery_app:CeleryQueue",
}


def get_queue(config: Mapping[str, Any]) -> JobQueue:
    name = config.get("QUEUE", "embedded") or "embedded"
    target = QUEUE_BACKENDS.get(name)
    if target is None:
        raise ValueError(f"未知的队列 {name!r} (unknown queue; use {', '.join(QUEUE_BACKENDS)})")
    module, _, cls = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise RuntimeError(f"队列 {name} 不可用 (queue backend not installed): {exc}") from exc
    return factory(config)


def queue_for_kind(kind: str) -> str:
    return "speech" if kind == "audio" else "handwriting"


def add_recognition_job(session: Session, capture: Capture, *, max_attempts: Optional[int] = None,
                        reason: Optional[str] = None) -> Job:
    """Write a queued job for `capture` in the caller's transaction (flush, no commit): intake
    commits the capture and its job together, so no crash can leave one without the other."""
    conf = {**DEFAULTS, **_config}
    job = Job(
        capture=capture,
        kind="recognize",
        queue=queue_for_kind(capture.kind),
        status="queued",
        attempts=0,
        max_attempts=int(max_attempts or conf["JOB_MAX_ATTEMPTS"]),
        progress=0.0,
    )
    session.add(job)
    session.flush()
    after = {"capture_id": capture.id, "queue": job.queue, "max_attempts": job.max_attempts}
    if reason:
        after["reason"] = reason
    audit.record(session, "job.enqueue", job, after=after)
    return job


def submit_job(job: Job, queue: Optional[JobQueue] = None) -> None:
    """Hand a committed job to the queue; a failure here loses nothing (workers poll the table)."""
    _hand_to_queue(job.id, job.queue, queue)


def _hand_to_queue(job_id: int, queue_name: str, queue: Optional[JobQueue]) -> None:
    target = queue if queue is not None else _queue
    if target is not None:
        try:
            target.submit(job_id, queue_name)
        except Exception:
            # The row is committed: a polling worker or a later redelivery still runs it.
            log.exception("could not hand job %s to the %s queue", job_id, getattr(target, "name", "?"))


_AFTER_COMMIT = "minxin.jobs_to_submit"


def submit_after_commit(session: Session, job: Job, queue: Optional[JobQueue] = None) -> None:
    """Hand `job` to the queue once the caller commits the transaction that wrote it (dropped if
    it rolls back): an operation that only flushes can still queue work."""
    session.info.setdefault(_AFTER_COMMIT, []).append((job.id, job.queue, queue))


@event.listens_for(Session, "after_commit")
def _submit_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the jobs are not committed yet
        return
    for job_id, queue_name, queue in session.info.pop(_AFTER_COMMIT, ()):
        _hand_to_queue(job_id, queue_name, queue)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


def enqueue_recognition(session: Session, capture: Capture, *, queue: Optional[JobQueue] = None,
                        max_attempts: Optional[int] = None) -> Job:
    """Write a queued job for `capture`, commit, then hand its id to the queue."""
    job = add_recognition_job(session, capture, max_attempts=max_attempts)
    session.commit()
    submit_job(job, queue)
    return job


# A capture without a job younger than this may still be in the request that is writing its job.
ORPHAN_GRACE_SECONDS = 60.0


def orphan_captures(session: Session, *, grace_seconds: float = ORPHAN_GRACE_SECONDS,
                    now: Optional[dt.datetime] = None, capture_ids: Optional[Sequence[int]] = None,
                    claim: bool = False) -> list[Capture]:
    """Captures still 已接收 (received) with no job at all: left by a crash between the capture's
    commit and its job's (older versions committed them apart). With `claim`, each row is locked
    until the caller commits, and rows another sweeper holds are skipped (PostgreSQL)."""
    now = now or utcnow()
    has_job = select(Job.id).where(Job.capture_id == Capture.id).exists()
    query = select(Capture).where(Capture.status == CaptureStatus.RECEIVED, ~has_job,
                                  Capture.received_at <= now - dt.timedelta(seconds=grace_seconds))
    if capture_ids:
        query = query.where(Capture.id.in_(list(capture_ids)))
    query = query.order_by(Capture.id).limit(500)
    if claim:
        query = query.with_for_update(skip_locked=True, of=Capture)
    return list(session.scalars(query))


def adopt_orphans(session: Session, *, grace_seconds: float = ORPHAN_GRACE_SECONDS,
                  queue: Optional[JobQueue] = None, capture_ids: Optional[Sequence[int]] = None) -> list[int]:
    """Give every orphaned received capture its job (audited, committed); returns their ids.

    Two sweepers at once give a capture one job: each claims the rows it adopts (locked until
    its commit, skipped by the other), and looks again for a job once it holds the lock, since a
    row the other sweeper adopted and committed just before is no longer locked but its job was
    not yet there when the candidates were read."""
    jobs = []
    for capture in orphan_captures(session, grace_seconds=grace_seconds, capture_ids=capture_ids, claim=True):
        if session.scalar(select(Job.id).where(Job.capture_id == capture.id).limit(1)) is not None:
            continue
        jobs.append(add_recognition_job(session, capture, reason="orphaned capture found by the sweep"))
    if not jobs:
        session.commit()  # lets go of the claimed rows
        return []
    session.commit()
    for job in jobs:
        log.warning("capture %s had no job: queued job %s", job.capture_id, job.id)
        submit_job(job, queue)
    return [j.capture_id for j in jobs]


# --- running one job -------------------------------------------------------------------------


class LeaseLost(Exception):
    """Another worker took the job (our lease expired); our result must not be written."""


class _Heartbeat:
    """Extends the lease every lease/3 seconds while the recognizer works."""

    def __init__(self, job_id: int, worker: str, lease: float):
        self.job_id, self.worker, self.lease = job_id, worker, lease
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.lease)

    def beat(self) -> None:
        with db.session_scope() as s:
            res = s.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.worker == self.worker, Job.status == "running")
                .values(lease_until=utcnow() + dt.timedelta(seconds=self.lease))
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:
                self.lost.set()

    def _run(self) -> None:
        while not self._stop.wait(max(self.lease / 3.0, 0.2)):
            try:
                self.beat()
            except Exception:  # a busy database: try again at the next beat
                log.exception("heartbeat of job %s failed", self.job_id)
            if self.lost.is_set():
                return


class _Progress:
    """Progress callback: writes Job.progress and Capture.progress, at most every 0.5 s."""

    def __init__(self, job_id: int, capture_id: int, heartbeat: _Heartbeat):
        self.job_id, self.capture_id, self.heartbeat = job_id, capture_id, heartbeat
        self._last_write = 0.0
        self._last_value = -1.0

    def __call__(self, fraction: float) -> None:
        if self.heartbeat.lost.is_set():
            raise LeaseLost(f"job {self.job_id} was taken by another worker")
        fraction = min(max(float(fraction), 0.0), 1.0)
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_write < 0.5 and fraction - self._last_value < 0.1:
            return
        self._last_write, self._last_value = now, fraction
        # Stored as 0..0.99 while working; 1.0 only when the result is committed.
        value = round(min(fraction, 0.99), 4)
        try:
            with db.session_scope() as s:
                s.execute(update(Job).where(Job.id == self.job_id, Job.status == "running")
                          .values(progress=value).execution_options(synchronize_session=False))
                s.execute(Capture.__table__.update().where(Capture.__table__.c.id == self.capture_id)
                          .values(progress=value))
        except Exception:
            log.exception("could not record progress of job %s", self.job_id)


def recognizer_for(conf: Mapping[str, Any]) -> Callable[..., Any]:
    """(paths, kind, progress, vocabulary) -> recognize.transcript.RecognizedText"""
    if conf.get("RECOGNIZER") == "fake":
        from recognize import fake

        delay = float(conf.get("FAKE_RECOGNIZER_DELAY") or 0.0)

        def run_fake(paths, kind, progress, vocabulary=()):
            return fake.transcribe_files(paths, kind, progress=progress, delay=delay)

        return run_fake

    def run_real(paths, kind, progress, vocabulary=()):
        from recognize.options import PageOptions, SpeechOptions
        from recognize.pipeline import transcribe_files

        options: dict[str, Any] = {}
        if kind == "audio":
            options["speech"] = SpeechOptions.from_config(conf)
            if conf.get("MAX_AUDIO_SECONDS"):
                options["max_seconds"] = conf["MAX_AUDIO_SECONDS"]
            if vocabulary:
                options["vocabulary"] = vocabulary
        else:
            options["pages"] = PageOptions.from_config(conf)
        return transcribe_files(paths, kind, progress=progress, **options)

    return run_real


def _claim(job_id: int, worker: str, lease: float) -> bool:
    now = utcnow()
    with db.session_scope() as s:
        res = s.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.attempts < Job.max_attempts,
                or_(Job.status == "queued", and_(Job.status == "running", Job.lease_until < now)),
            )
            .values(status="running", worker=worker, attempts=Job.attempts + 1, started_at=now,
                    lease_until=now + dt.timedelta(seconds=lease))
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:
            return False
        job = s.get(Job, job_id)
        audit.record(s, "job.claim", job, after={"worker": worker, "attempt": job.attempts})
        capture = job.capture
        if capture.status == CaptureStatus.RECEIVED:
            capture.error = None
            states.move(s, capture, CaptureStatus.RECOGNIZING)
    return True


def _release_for_retry_or_fail(job_id: int, worker: str, message: str, permanent: bool) -> str:
    """After an error: queue the job again if attempts are left (and not permanent), else fail."""
    with db.session_scope() as s:
        job = s.get(Job, job_id)
        if job is None or job.status != "running" or job.worker != worker:
            return "lost"
        if not permanent and job.attempts < job.max_attempts:
            res = s.execute(
                update(Job).where(Job.id == job_id, Job.worker == worker, Job.status == "running")
                .values(status="queued", lease_until=None, worker=None, error=message, progress=0.0)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:
                return "lost"
            audit.record(s, "job.retry", object_type="Job", object_id=job_id,
                         before={"status": "running"}, after={"status": "queued", "error": message,
                                                              "attempts": job.attempts})
            return "queued"
        _fail(s, job, message)
        return "failed"


def _fail(s: Session, job: Job, message: str) -> None:
    before = {"status": job.status}
    job.status, job.error, job.lease_until, job.finished_at = "failed", message, None, utcnow()
    audit.record(s, "job.fail", job, before=before, after={"status": "failed", "error": message,
                                                           "attempts": job.attempts})
    capture = job.capture
    if capture.status in IN_RECOGNITION:
        capture.error = message
        states.move(s, capture, CaptureStatus.FAILED, after={"error": message})


def fail_abandoned(session: Optional[Session] = None) -> int:
    """Jobs left running past their lease with no attempts left: failed (their worker kept dying)."""
    now = utcnow()
    count = 0
    with db.session_scope() as s:
        for job in s.scalars(select(Job).where(Job.status == "running", Job.lease_until < now,
                                               Job.attempts >= Job.max_attempts)):
            _fail(s, job, f"识别进程中断 {job.attempts} 次，已放弃 (the worker stopped {job.attempts} times)")
            count += 1
    return count


def _vocabulary(s: Session, capture: Capture):
    """The county's names and supervisors' corrections (diary.vocabulary): decoding context
    where measured to help, and the speech corrector's vocabulary."""
    return county_vocabulary(s, capture.org_unit)


def run_job(job_id: int, worker_name: str, *, config: Optional[Mapping[str, Any]] = None) -> str:
    """Run one job to its end. Returns the job's status after this call
    (`done`, `failed`, `queued` for a retry), or `skipped` / `lost` when another worker has it."""
    from recognize import pipeline
    from recognize.transcript import ModelMissing, RecognitionError

    conf = settings(config)
    lease = float(conf["JOB_LEASE_SECONDS"])

    with db.session_scope() as s:
        job = s.get(Job, job_id)
        if job is None:
            log.warning("job %s does not exist", job_id)
            return "missing"
        if job.status in ("done", "failed"):
            return job.status  # a redelivery: nothing to do

    if not _claim(job_id, worker_name, lease):
        fail_abandoned()
        with db.session_scope() as s:
            job = s.get(Job, job_id)
            return job.status if job.status in ("done", "failed") else "skipped"

    with db.session_scope() as s:
        job = s.get(Job, job_id)
        capture = job.capture
        capture_id, kind = capture.id, capture.kind
        hashes = [f.sha256 for f in capture.files]
        vocabulary = _vocabulary(s, capture)
        context = entries.extraction_context(s, capture)
        attempt = job.attempts
    log.info("job %s (capture %s, %s) attempt %s on %s", job_id, capture_id, kind, attempt, worker_name)

    started = time.monotonic()
    try:
        with _Heartbeat(job_id, worker_name, lease) as heartbeat:
            storage = get_storage(conf)
            paths = [storage.local_path(h) for h in hashes]
            # The whole pipeline with no transaction open; its result is written in one below.
            result = pipeline.recognize_files(paths, kind, context, transcriber=recognizer_for(conf),
                                              progress=_Progress(job_id, capture_id, heartbeat),
                                              vocabulary=vocabulary)
            for warning in result.warnings:
                log.info("job %s: %s", job_id, warning)
            if heartbeat.lost.is_set():
                raise LeaseLost(f"job {job_id} was taken by another worker")
            with db.session_scope() as s:
                now = utcnow()
                res = s.execute(
                    update(Job).where(Job.id == job_id, Job.worker == worker_name, Job.status == "running")
                    .values(status="done", progress=1.0, finished_at=now, lease_until=None, error=None)
                    .execution_options(synchronize_session=False)
                )
                if res.rowcount != 1:
                    raise LeaseLost(f"job {job_id} was taken by another worker")
                capture = s.get(Capture, capture_id)
                entry = entries.store_result(s, capture, result)
                capture.progress, capture.error = 1.0, None
                if capture.status in IN_RECOGNITION:
                    states.move(s, capture, CaptureStatus.READY_FOR_REVIEW, after={"entry_id": entry.id})
                else:  # no longer in recognition (returned: only its cadre resubmits it): kept, noted
                    audit.record(s, "capture.status", capture, before={"status": capture.status},
                                 after={"status": capture.status, "entry_id": entry.id})
                audit.record(s, "job.done", object_type="Job", object_id=job_id,
                             before={"status": "running"},
                             after={"status": "done", "worker": worker_name, "attempts": attempt,
                                    "seconds": round(time.monotonic() - started, 3)})
        log.info("job %s done in %.1f s", job_id, time.monotonic() - started)
        return "done"
    except LeaseLost:
        log.warning("job %s: lease lost, result dropped", job_id)
        return "lost"
    except ModelMissing as exc:
        # The machine's fault, not the input's: retried, and after the last attempt failed with
        # the message saying what to install; `minxin requeue` runs it again once fixed.
        log.error("job %s: %s", job_id, exc)
        return _release_for_retry_or_fail(job_id, worker_name, str(exc), permanent=False)
    except RecognitionError as exc:
        return _release_for_retry_or_fail(job_id, worker_name, str(exc), permanent=True)
    except FileNotFoundError as exc:
        return _release_for_retry_or_fail(job_id, worker_name, f"原件缺失 (original missing): {exc}",
                                          permanent=True)
    except Exception as exc:
        log.exception("job %s failed on attempt %s", job_id, attempt)
        return _release_for_retry_or_fail(
            job_id, worker_name, f"识别出错 (recognition error): {type(exc).__name__}: {exc}", permanent=False
        )


def requeue_failed(session: Session, capture_ids: Optional[Sequence[int]] = None, actor=None) -> list[int]:
    """Captures that failed recognition (all, or those named) get a new queued job; returns their ids.
    For after a fix on the machine (a model installed, a disk freed): nothing was lost, the
    originals are still in storage."""
    query = select(Capture).where(Capture.status == CaptureStatus.FAILED)
    if capture_ids:
        query = query.where(Capture.id.in_(list(capture_ids)))
    done = []
    for capture in session.scalars(query.order_by(Capture.id)).all():
        before = {"error": capture.error}
        capture.error, capture.progress = None, 0.0
        states.move(session, capture, CaptureStatus.RECEIVED, actor=actor, before=before)
        enqueue_recognition(session, capture)  # commits
        done.append(capture.id)
    # Received captures a crash left without a job are recognized too (no grace: asked for).
    done += adopt_orphans(session, grace_seconds=0, capture_ids=capture_ids)
    return done


def claimable_job_id(queues: Sequence[str] = QUEUES) -> Optional[int]:
    """The oldest job a worker may take now: queued, or running with an expired lease."""
    now = utcnow()
    with db.session_scope() as s:
        return s.scalars(
            select(Job.id)
            .where(
                Job.queue.in_(list(queues)),
                Job.attempts < Job.max_attempts,
                or_(Job.status == "queued", and_(Job.status == "running", Job.lease_until < now)),
            )
            .order_by(Job.id)
            .limit(1)
        ).first()


def worker_name(index: int = 0) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class EmbeddedQueue(JobQueue):
    """Worker thread(s) inside this process. `submit` wakes them; they also poll the table."""

    name = "embedded"

    def __init__(self, config: Mapping[str, Any], *, threads: Optional[int] = None,
                 poll_seconds: Optional[float] = None, queues: Sequence[str] = QUEUES):
        self.config = {**DEFAULTS, **dict(config)}
        self.threads = int(threads or self.config["WORKER_THREADS"])
        self.poll_seconds = float(poll_seconds or self.config["WORKER_POLL_SECONDS"])
        self.queues = tuple(queues)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def submit(self, job_id: int, queue_name: str) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._workers)

    def start(self) -> "EmbeddedQueue":
        if self.running:
            return self
        self._stop.clear()
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, args=(worker_name(i),), name=f"minxin-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def stop(self, timeout: Optional[float] = None) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._workers:
            t.join(timeout)
        self._workers = [t for t in self._workers if t.is_alive()]

    def run_once(self, name: Optional[str] = None) -> Optional[str]:
        """Take and run one job if one is claimable; returns its outcome or None."""
        fail_abandoned()
        self._sweep_orphans()
        self._housekeeping()
        job_id = claimable_job_id(self.queues)
        if job_id is None:
            return None
        return run_job(job_id, name or worker_name(), config=self.config)

    _last_orphan_sweep = 0.0
    _last_housekeeping = 0.0

    def _housekeeping(self) -> None:
        """Every HOUSEKEEPING_SECONDS: temp files and rowless originals past their grace period go."""
        every = float(self.config.get("HOUSEKEEPING_SECONDS") or 0)
        now = time.monotonic()
        if not every or (self._last_housekeeping and now - self._last_housekeeping < every):
            return
        self._last_housekeeping = now
        try:
            from capture.housekeeping import DEFAULT_GRACE_SECONDS
            from capture.housekeeping import sweep as sweep_leftovers

            with db.session_scope() as s:
                sweep_leftovers(s, self.config,
                                grace_seconds=float(self.config.get("LEFTOVER_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)))
        except Exception:
            log.exception("housekeeping sweep failed")

    def _sweep_orphans(self) -> None:
        """Every JOB_SWEEP_SECONDS: received captures with no job get one, and audit events left
        unchained are chained."""
        now = time.monotonic()
        if self._last_orphan_sweep and now - self._last_orphan_sweep < float(self.config["JOB_SWEEP_SECONDS"]):
            return
        self._last_orphan_sweep = now
        try:
            with db.session_scope() as s:
                adopt_orphans(s, grace_seconds=float(self.config.get("ORPHAN_GRACE_SECONDS", ORPHAN_GRACE_SECONDS)),
                              queue=self)
                audit.chain_pending(s.get_bind())  # events a process committed but died before chaining
        except Exception:
            log.exception("sweeping orphaned captures failed")

    def _loop(self, name: str) -> None:
        log.info("worker %s started (queues: %s)", name, ", ".join(self.queues))
        while not self._stop.is_set():
            try:
                outcome = self.run_once(name)
            except Exception:
                log.exception("worker %s: error while taking a job", name)
                outcome = None
            if outcome is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        log.info("worker %s stopped", name)


def job_state(session: Session, capture_id: int) -> dict[str, Any]:
    """Status, progress and error of a capture and its latest job, for pages and the API."""
    capture = session.get(Capture, capture_id)
    job = capture.jobs[-1] if capture is not None and capture.jobs else None
    return {
        "id": capture_id,
        "status": capture.status if capture else None,
        "progress": capture.progress if capture else None,
        "error": capture.error if capture else None,
        "job": None if job is None else {
            "id": job.id, "status": job.status, "attempts": job.attempts, "max_attempts": job.max_attempts,
            "progress": job.progress, "error": job.error,
        },
    }
