"""The app on PostgreSQL: the same Alembic scripts, the job claim under concurrency, the sweeper."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from scale_services import *  # noqa: F401,F403 - fixtures and helpers
from scale_services import make_page, make_wav
from sqlalchemy import func, select

from core import db

pytestmark = pytest.mark.scale


@pytest.fixture
def app(tmp_path, monkeypatch, pg_url):
    """Overrides conftest's SQLite app: the same app on a migrated PostgreSQL database, so
    conftest's client/session/org/users/login fixtures all run on PostgreSQL here."""
    from ops.migrate import upgrade

    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
    upgrade(pg_url)
    from webapp import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": pg_url,
            "DATA_DIR": str(tmp_path / "data"),
            "RECOGNIZER": "fake",
            "QUEUE": "embedded",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    assert app.extensions["minxin.engine"].dialect.name == "postgresql"
    yield app
    db.db_session.remove()
    app.extensions["minxin.engine"].dispose()


def _ingest(app, session, user, files):
    from capture.intake import ingest
    from capture.storage import get_storage

    return ingest(session, get_storage(app.config), user, files)


# --- migrations ---------------------------------------------------------------------


def test_migrations_build_the_models_schema_on_postgresql(pg_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from core.db import Base
    from ops.migrate import alembic_config, current_revision, head_revision, upgrade

    upgrade(pg_url)
    engine = db.make_engine(pg_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, Base.metadata) == []
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        # Down to nothing and up again, from the same scripts.
        from alembic import command

        command.downgrade(alembic_config(pg_url), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(pg_url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


# --- the app ------------------------------------------------------------------------


def test_login_upload_recognize_and_review_queue_on_postgresql(app, session, users, login):
    from capture.models import Capture
    from diary.models import DiaryEntry
    from jobs import operations as jobs
    from jobs.models import Job

    capture = _ingest(app, session, users["cadre_a"], [("memo.wav", make_wav(1))])
    job = jobs.enqueue_recognition(session, capture)
    assert job.status == "queued" and job.queue == "speech"

    queue = jobs.active_queue()
    assert queue.run_once("pg-test-worker") == "done"

    session.expire_all()
    capture = session.get(Capture, capture.id)
    assert capture.status == "ready_for_review"
    assert session.get(Job, job.id).status == "done"
    entry = session.scalars(select(DiaryEntry).where(DiaryEntry.capture_id == capture.id)).one()
    assert entry.status == "draft" and entry.cadre_id == users["cadre_a"].id

    client = login(users["sup_gulouzi"])
    resp = client.get("/review/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    # The cadre's capture is waiting for the township supervisor, linked to its review screen.
    assert f"/review/{capture.id}" in html


def test_same_upload_twice_is_one_capture_on_postgresql(app, session, users):
    from capture.intake import DuplicateCapture
    from capture.models import Capture

    page = make_page(7)
    first = _ingest(app, session, users["cadre_b"], [("p1.jpg", page)])
    with pytest.raises(DuplicateCapture) as err:
        _ingest(app, session, users["cadre_b"], [("again.jpg", page)])
    assert err.value.capture_id == first.id
    session.rollback()
    assert session.scalar(select(func.count(Capture.id))) == 1


def test_concurrent_deliveries_complete_a_job_once(app, session, users):
    """Six threads deliver the same job at once (a redelivered message, a sweep, a second
    worker): PostgreSQL's row locks let one claim it; one transcript, one draft, one done."""
    from core.models import AuditEvent
    from diary.models import DiaryEntry, Transcript
    from jobs import operations as jobs
    from jobs.models import Job

    capture = _ingest(app, session, users["cadre_c"], [("p.jpg", make_page(11))])
    job = jobs.enqueue_recognition(session, capture)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def deliver(i):
        barrier.wait()
        outcomes.append(jobs.run_job(job.id, f"thread-{i}"))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("done") >= 1
    assert set(outcomes) <= {"done", "skipped"}
    session.expire_all()
    row = session.get(Job, job.id)
    assert row.status == "done" and row.attempts == 1
    assert session.scalar(select(func.count(Transcript.id)).where(Transcript.capture_id == capture.id)) == 1
    assert session.scalar(select(func.count(DiaryEntry.id)).where(DiaryEntry.capture_id == capture.id)) == 1
    done_events = session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "job.done", AuditEvent.object_id == job.id)
    )
    claims = session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "job.claim", AuditEvent.object_id == job.id)
    )
    assert done_events == 1 and claims == 1
    # Only the thread that claimed it reports `done` from its own work; the rest skipped or
    # found it done already.
    assert row.worker in {f"thread-{i}" for i in range(6)}


# --- the sweeper --------------------------------------------------------------------


def test_sweeper_resubmits_a_dead_workers_job_and_it_completes_once(app, session, users):
    from core.clock import utcnow
    from jobs import operations as jobs
    from jobs.models import Job
    from jobs.sweeper import backoff_seconds, jobs_to_resubmit, sweep

    cap_dead = _ingest(app, session, users["cadre_a"], [("dead.wav", make_wav(21))])
    cap_live = _ingest(app, session, users["cadre_a"], [("live.wav", make_wav(22))])
    cap_done = _ingest(app, session, users["cadre_a"], [("done.wav", make_wav(23))])
    dead = jobs.enqueue_recognition(session, cap_dead)
    live = jobs.enqueue_recognition(session, cap_live)
    done = jobs.enqueue_recognition(session, cap_done)
    assert jobs.run_job(done.id, "finished-worker") == "done"

    # Two workers claim a job each; one of them then dies (its lease is never renewed).
    assert jobs._claim(dead.id, "killed-worker", lease=30)
    assert jobs._claim(live.id, "live-worker", lease=3600)
    session.expire_all()
    lease_end = session.get(Job, dead.id).lease_until
    later = lease_end + dt.timedelta(seconds=1)

    assert [j.id for j in jobs_to_resubmit(session, now=utcnow())] == []
    assert [j.id for j in jobs_to_resubmit(session, now=later)] == [dead.id]

    sent: list[tuple[int, str, float]] = []
    ids = sweep(session, lambda job_id, queue, delay: sent.append((job_id, queue, delay)), now=later)
    assert ids == [dead.id]
    assert sent == [(dead.id, "speech", backoff_seconds(1))]

    # The re-submitted delivery, once the lease has passed, is claimed and completed by
    # another worker; the dead one's claim is gone.
    db_engine = app.extensions["minxin.engine"]
    with db_engine.begin() as conn:  # let the lease pass without sleeping
        conn.execute(Job.__table__.update().where(Job.__table__.c.id == dead.id).values(lease_until=utcnow() - dt.timedelta(seconds=1)))
    assert jobs.run_job(dead.id, "other-worker") == "done"
    assert jobs.run_job(dead.id, "third-worker") == "done"  # a second delivery: no-op
    session.expire_all()
    row = session.get(Job, dead.id)
    assert (row.status, row.attempts, row.worker) == ("done", 2, "other-worker")
    # The live worker's job is left alone.
    assert session.get(Job, live.id).status == "running"


def test_sweeper_resends_stale_queued_jobs_only_after_the_grace(app, session, users):
    from core.clock import utcnow
    from jobs import operations as jobs
    from jobs.sweeper import jobs_to_resubmit

    cap = _ingest(app, session, users["cadre_b"], [("q.jpg", make_page(31))])
    job = jobs.enqueue_recognition(session, cap)
    now = utcnow()
    assert jobs_to_resubmit(session, now=now, stale_queued_seconds=600) == []
    found = jobs_to_resubmit(session, now=now + dt.timedelta(seconds=601), stale_queued_seconds=600)
    assert [j.id for j in found] == [job.id]
    assert jobs_to_resubmit(session, now=now + dt.timedelta(days=1), stale_queued_seconds=0) == []


def test_two_sweepers_at_once_give_a_jobless_capture_one_job(app, session, users, monkeypatch):
    """Two workers sweep at the same moment and both find the same capture without a job: only
    one may adopt it. Before the claim both read it jobless and each wrote a job."""
    from capture.models import Capture
    from core.clock import utcnow
    from jobs import operations as jobs
    from jobs.models import Job

    orphan = _ingest(app, session, users["cadre_a"], [("orphan.wav", make_wav(41))])
    orphan.received_at = utcnow() - dt.timedelta(minutes=5)
    session.commit()
    assert session.scalar(select(func.count(Job.id)).where(Job.capture_id == orphan.id)) == 0

    add_job = jobs.add_recognition_job

    def slow_add(s, capture, **kwargs):  # the first sweeper is still writing when the second reads
        time.sleep(0.5)
        return add_job(s, capture, **kwargs)

    monkeypatch.setattr(jobs, "add_recognition_job", slow_add)

    class Sent:
        name = "test"

        def __init__(self):
            self.ids = []

        def submit(self, job_id, queue_name):
            self.ids.append(job_id)

    barrier = threading.Barrier(2)
    adopted: list[list[int]] = []
    errors: list[BaseException] = []

    def sweeper():
        try:
            with db.session_scope() as s:
                barrier.wait()
                adopted.append(jobs.adopt_orphans(s, queue=Sent()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    assert session.scalar(select(func.count(Job.id)).where(Job.capture_id == orphan.id)) == 1
    assert sorted(adopted) == [[], [orphan.id]]
    assert session.get(Capture, orphan.id).status == "received"


def test_backoff_doubles_and_is_capped():
    from jobs.sweeper import BACKOFF_MAX_SECONDS, backoff_seconds

    assert [backoff_seconds(a) for a in range(0, 5)] == [0.0, 2.0, 4.0, 8.0, 16.0]
    assert backoff_seconds(50) == BACKOFF_MAX_SECONDS


@pytest.mark.parametrize("mode", ["inline", "deferred"])
def test_concurrent_audit_writers_keep_one_chain_on_postgresql(app, session, users, mode):
    """Eight sessions write audit events at once, each holding its transaction open a moment:
    every event must chain onto the one committed before it. Locking only the head row let a
    writer that waited on it chain onto a head that was no longer the last. Deferred: nothing
    left unchained once the writers have committed."""
    from sqlalchemy.orm import Session as OrmSession

    from core import audit
    from core.models import AuditEvent

    audit.use_mode(mode)

    engine = app.extensions["minxin.engine"]

    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(i):
        try:
            with OrmSession(engine) as s:
                barrier.wait()
                for n in range(3):
                    audit.record(s, "test.concurrent", object_type="Test", object_id=i * 10 + n)
                    time.sleep(0.01)
                    s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        audit.use_mode(None)
    assert errors == []
    session.expire_all()
    written = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "test.concurrent"))
    assert written == 24
    assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.seq.is_(None))) == 0
    seqs = session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))
    assert audit.verify_chain(session) == []
