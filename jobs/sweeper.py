"""Recognition jobs on Celery workers (MINXIN_QUEUE=celery, MINXIN_BROKER_URL=redis://…).

The job row stays the source of truth: a Celery message carries only the job id, and
`jobs.operations.run_job` claims the row atomically before it works. So a message delivered
twice (late ack after a lost worker, a sweep, a broker restore) never runs a job twice to
completion; the second delivery finds the job done, or running under a live lease, and
returns.

The sweeper covers what the broker cannot see: a worker killed with SIGKILL leaves its job
`running` with a lease nobody renews; a Redis without persistence that restarts loses the
queued messages. Every Celery worker sweeps on start and then every
`MINXIN_JOB_SWEEP_SECONDS`, re-submitting jobs whose lease expired (and jobs left `queued`
for longer than `MINXIN_JOB_STALE_QUEUED_SECONDS`), with exponential backoff by attempt.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from jobs.models import Job

log = logging.getLogger(__name__)

QUEUES = ("speech", "handwriting")

# Backoff for a job taken again after a lost worker: base * 2**(attempts-1), capped.
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0


def backoff_seconds(attempts: int, base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_MAX_SECONDS) -> float:
    if attempts <= 0:
        return 0.0
    return min(cap, base * (2 ** (attempts - 1)))


def jobs_to_resubmit(session: Session, *, now: Optional[dt.datetime] = None, stale_queued_seconds: float = 600) -> list[Job]:
    """Jobs no live worker holds: `running` with an expired lease (the worker died), and
    `queued` for longer than `stale_queued_seconds` (the message was lost)."""
    now = now or utcnow()
    expired = and_(Job.status == "running", or_(Job.lease_until.is_(None), Job.lease_until < now))
    conditions = [expired]
    if stale_queued_seconds and stale_queued_seconds > 0:
        conditions.append(
            and_(Job.status == "queued", Job.created_at < now - dt.timedelta(seconds=stale_queued_seconds))
        )
    return list(session.scalars(select(Job).where(or_(*conditions)).order_by(Job.id).limit(500)))


def sweep(
    session: Session,
    submit: Callable[[int, str, float], None],
    *,
    now: Optional[dt.datetime] = None,
    stale_queued_seconds: float = 600,
    once: Optional[Callable[[Job], bool]] = None,
) -> list[int]:
    """Re-submit every job `jobs_to_resubmit` finds; returns their ids.

    `once(job)` (optional) returns False when this job at this attempt was already re-submitted
    by some worker (a shared marker), so N workers sweeping do not send N messages. Sending one
    too many is harmless anyway: the claim in run_job lets only one delivery work.
    """
    sent = []
    for job in jobs_to_resubmit(session, now=now, stale_queued_seconds=stale_queued_seconds):
        if once is not None and not once(job):
            continue
        delay = backoff_seconds(job.attempts)
        log.warning(
            "re-submitting job %s (%s, attempt %s, worker %s, lease until %s) in %.0fs",
            job.id, job.status, job.attempts, job.worker, job.lease_until, delay,
        )
        submit(job.id, job.queue, delay)
        sent.append(job.id)
    return sent
