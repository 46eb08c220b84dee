"""Durable recognition jobs: claim, progress, retries, leases, restarts (fake recognizer)."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from capture.models import Capture
from core import db
from core.clock import utcnow
from core.models import AuditEvent
from diary.models import DiaryEntry, Transcript, TranscriptPiece
from jobs import operations as jobs
from jobs.models import Job

REPO = Path(__file__).resolve().parent.parent


def _fresh(session, obj):
    session.expire_all()
    return session.get(type(obj), obj.id)


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_enqueue_writes_a_queued_row_and_submits_after_commit(app, session, users, make_capture):
    seen = []

    class Recording(jobs.JobQueue):
        def submit(self, job_id, queue_name):
            # The row must already be visible to another connection.
            with db.session_scope() as other:
                seen.append((other.get(Job, job_id).status, queue_name))

    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture, queue=Recording())
    assert seen == [("queued", "speech")]
    assert job.attempts == 0 and job.max_attempts == 3
    assert _count(session, AuditEvent, AuditEvent.action == "job.enqueue") == 1


def test_run_job_stores_transcript_and_draft_and_is_idempotent(app, session, users, make_capture, media):
    capture = make_capture(users["cadre_a"], [("p1.png", media.image(size=(70, 50))),
                                             ("p2.png", media.image(size=(71, 50)))])
    job = jobs.enqueue_recognition(session, capture)
    assert jobs.run_job(job.id, "w1") == "done"
    job, capture = _fresh(session, job), _fresh(session, capture)
    assert (job.status, job.attempts, job.progress, job.worker) == ("done", 1, 1.0, "w1")
    assert capture.status == "ready_for_review" and capture.progress == 1.0
    t = capture.transcript
    assert t.engine == "fake" and t.text and len(t.pieces) >= 2
    assert {p.page for p in t.pieces} == {0, 1} and all(p.polygon for p in t.pieces)
    assert t.text[t.pieces[1].char_start:t.pieces[1].char_end] == t.pieces[1].text
    entry = capture.entry
    assert entry.status == "draft" and entry.cadre_id == users["cadre_a"].id
    assert entry.org_unit.name == "南荒沟村"
    # Delivered again (a redelivered message): nothing runs, nothing is added.
    assert jobs.run_job(job.id, "w2") == "done"
    session.expire_all()
    assert _fresh(session, job).attempts == 1
    assert _count(session, Transcript) == 1 and _count(session, DiaryEntry) == 1


def test_progress_reaches_job_and_capture_while_running(app, session, users, make_capture):
    app.config["FAKE_RECOGNIZER_DELAY"] = 2.0
    jobs.configure(app.config)
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    seen = []
    runner = threading.Thread(target=jobs.run_job, args=(job.id, "w1"))
    runner.start()
    while runner.is_alive():
        # One statement: pysqlite opens no transaction for a SELECT, so two reads could see two
        # different commits of the worker (job updated between them).
        with db.session_scope() as s:
            seen.append(tuple(s.execute(select(Job.status, Job.progress, Capture.status, Capture.progress)
                                        .where(Job.id == job.id, Capture.id == capture.id)).one()))
        time.sleep(0.2)
    runner.join()
    running = [x for x in seen if x[0] == "running" and 0 < x[1] < 1]
    assert running, seen
    assert all(c_status == "recognizing" and c_prog == j_prog for _s, j_prog, c_status, c_prog in running)
    assert [p for _s, p, _c, _cp in running] == sorted(p for _s, p, _c, _cp in running)


def test_unrecognizable_input_fails_at_once_with_the_reason(app, session, users, make_capture, media):
    capture = make_capture(users["cadre_a"], [("p.png", media.image(text="FAKE-UNRECOGNIZABLE"))])
    job = jobs.enqueue_recognition(session, capture)
    assert jobs.run_job(job.id, "w1") == "failed"
    job, capture = _fresh(session, job), _fresh(session, capture)
    assert job.attempts == 1 and job.status == "failed"
    assert capture.status == "failed" and capture.error.startswith("无法识别")
    # The original is kept for a later look.
    from capture.storage import get_storage

    assert get_storage(app.config).exists(capture.files[0].sha256)


def test_a_missing_original_fails_with_the_reason_said_once(app, session, users, make_capture):
    from capture.storage import get_storage

    capture = make_capture(users["cadre_a"])
    storage = get_storage(app.config)
    storage.delete(capture.files[0].sha256)
    job = jobs.enqueue_recognition(session, capture)
    assert jobs.run_job(job.id, "w1") == "failed"
    capture = _fresh(session, capture)
    assert capture.status == "failed" and capture.error.count("原件缺失") == 1, capture.error


def test_recognizer_crash_is_retried_then_fails(app, session, users, make_capture, media):
    capture = make_capture(users["cadre_a"], [("p.png", media.image(text="FAKE-CRASH"))])
    job = jobs.enqueue_recognition(session, capture, max_attempts=2)
    assert jobs.run_job(job.id, "w1") == "queued"
    j = _fresh(session, job)
    assert (j.status, j.attempts, j.worker) == ("queued", 1, None) and "RuntimeError" in j.error
    assert _fresh(session, capture).status == "recognizing"
    assert jobs.run_job(job.id, "w1") == "failed"
    j, c = _fresh(session, job), _fresh(session, capture)
    assert (j.status, j.attempts) == ("failed", 2)
    assert c.status == "failed" and "识别出错" in c.error
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Job")).all()
    assert actions == ["job.enqueue", "job.claim", "job.retry", "job.claim", "job.fail"]
    assert jobs.run_job(job.id, "w1") == "failed" and _fresh(session, job).attempts == 2


def test_running_job_with_live_lease_is_not_taken(app, session, users, make_capture):
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    session.execute(update(Job).where(Job.id == job.id).values(
        status="running", worker="alive:1:0", attempts=1, lease_until=utcnow() + dt.timedelta(minutes=5)))
    session.commit()
    assert jobs.claimable_job_id() is None
    assert jobs.run_job(job.id, "w2") == "skipped"
    assert _fresh(session, job).worker == "alive:1:0"


def test_expired_lease_is_taken_again_by_the_polling_worker(app, session, users, make_capture):
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    session.execute(update(Job).where(Job.id == job.id).values(
        status="running", worker="dead:1:0", attempts=1, lease_until=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    queue = jobs.EmbeddedQueue(app.config)
    assert queue.run_once("w2") == "done"
    j = _fresh(session, job)
    assert (j.status, j.attempts, j.worker) == ("done", 2, "w2")
    assert queue.run_once("w2") is None


def test_abandoned_job_without_attempts_left_fails(app, session, users, make_capture):
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture, max_attempts=2)
    session.execute(update(Job).where(Job.id == job.id).values(
        status="running", worker="dead:1:0", attempts=2, lease_until=utcnow() - dt.timedelta(seconds=1)))
    session.commit()
    assert jobs.EmbeddedQueue(app.config).run_once("w2") is None
    j, c = _fresh(session, job), _fresh(session, capture)
    assert j.status == "failed" and "中断" in j.error and c.status == "failed"


def test_a_worker_that_lost_its_lease_writes_nothing(app, session, users, make_capture, monkeypatch):
    """While w1 works, its lease expires and w2 takes and finishes the job; w1's result is dropped."""
    from recognize import fake

    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    real = fake.transcribe_files

    def slow_then_overtaken(paths, kind, **kw):
        with db.session_scope() as s:
            s.execute(update(Job).where(Job.id == job.id).values(lease_until=utcnow() - dt.timedelta(seconds=1)))
        monkeypatch.setattr(fake, "transcribe_files", real)
        assert jobs.run_job(job.id, "w2") == "done"
        return real(paths, kind)

    monkeypatch.setattr(fake, "transcribe_files", slow_then_overtaken)
    assert jobs.run_job(job.id, "w1") == "lost"
    j = _fresh(session, job)
    assert (j.status, j.worker, j.attempts) == ("done", "w2", 2)
    assert _count(session, Transcript) == 1 and _count(session, DiaryEntry) == 1
    assert _count(session, AuditEvent, AuditEvent.action == "job.done") == 1


def test_two_threads_racing_for_one_job_complete_it_once(app, session, users, make_capture):
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    outcomes = []
    barrier = threading.Barrier(2)

    def race(name):
        barrier.wait()
        outcomes.append(jobs.run_job(job.id, name))

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) in (["done", "skipped"], ["done", "done"])
    assert _fresh(session, job).attempts == 1
    assert _count(session, Transcript) == 1 and _count(session, TranscriptPiece) >= 1


def test_embedded_queue_thread_runs_submitted_jobs(app, session, users, make_capture):
    queue = jobs.EmbeddedQueue(app.config, poll_seconds=30)  # only the wake-up can make it quick
    jobs.set_active_queue(queue)
    queue.start()
    try:
        time.sleep(0.3)  # the thread has polled once and sleeps
        captures = [make_capture(users["cadre_a"]) for _ in range(2)]
        for c in captures:
            jobs.enqueue_recognition(session, c)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            session.expire_all()
            if all(session.get(Capture, c.id).status == "ready_for_review" for c in captures):
                break
            time.sleep(0.1)
        assert [session.get(Capture, c.id).status for c in captures] == ["ready_for_review"] * 2
    finally:
        queue.stop(timeout=5)
    assert not queue.running


def test_get_queue_names_the_backends():
    assert isinstance(jobs.get_queue({"QUEUE": "embedded"}), jobs.EmbeddedQueue)
    with pytest.raises(ValueError):
        jobs.get_queue({"QUEUE": "carrier-pigeon"})


# --- a real worker process killed mid-job ----------------------------------------------------


def _worker_env(app, tmp_path):
    env = dict(os.environ)
    env.update(
        MINXIN_INSTANCE_PATH=str(tmp_path / "instance"),
        MINXIN_DATABASE_URL=app.config["DATABASE_URL"],
        MINXIN_DATA_DIR=app.config["DATA_DIR"],
        MINXIN_SECRET_KEY="test",
        MINXIN_RECOGNIZER="fake",
        MINXIN_FAKE_DELAY="3",
        MINXIN_JOB_LEASE_SECONDS="1.5",
        MINXIN_WORKER_POLL_SECONDS="0.2",
        PYTHONPATH=str(REPO),
    )
    return env


def _start_worker(env, log):
    return subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"], env=env, cwd=str(REPO),
                            stdout=log, stderr=subprocess.STDOUT)


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_job_survives_a_killed_worker_and_completes_exactly_once(app, session, users, make_capture, tmp_path):
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    env = _worker_env(app, tmp_path)

    def job_row():
        with db.session_scope() as s:
            j = s.get(Job, job.id)
            return (j.status, j.progress, j.attempts, j.worker)

    with open(tmp_path / "worker1.log", "wb") as log1:
        first = _start_worker(env, log1)
        try:
            _wait(lambda: job_row()[0] == "running" and job_row()[1] > 0, 60, "the first worker to start the job")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
    status, progress, attempts, first_worker = job_row()
    assert status == "running" and 0 < progress < 1 and attempts == 1
    assert _count(session, Transcript) == 0

    with open(tmp_path / "worker2.log", "wb") as log2:
        second = _start_worker(env, log2)
        try:
            _wait(lambda: job_row()[0] == "done", 60, "the second worker to finish the job")
        finally:
            second.terminate()
            second.wait(10)
    status, progress, attempts, second_worker = job_row()
    assert (status, progress, attempts) == ("done", 1.0, 2)
    assert second_worker != first_worker
    session.expire_all()
    assert _count(session, Transcript) == 1 and _count(session, DiaryEntry) == 1
    assert _count(session, AuditEvent, AuditEvent.action == "job.done") == 1
    assert session.get(Capture, capture.id).status == "ready_for_review"
    claims = session.scalars(select(AuditEvent).where(AuditEvent.action == "job.claim")
                             .order_by(AuditEvent.id)).all()
    assert [c.after["worker"] for c in claims] == [first_worker, second_worker]
