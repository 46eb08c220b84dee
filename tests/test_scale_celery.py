"""The full flow on the real services: PostgreSQL, Redis, originals in S3 (moto's server), and
two real Celery worker processes, one of which is killed with SIGKILL in the middle of a job."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scale_services import *  # noqa: F401,F403 - fixtures and helpers
from scale_services import ROOT, make_page, make_wav
from sqlalchemy import func, select

from core import db

pytestmark = pytest.mark.scale

FAKE_DELAY = 6.0  # seconds per job, so there is a "middle" to kill a worker in
LEASE = 3  # seconds; heartbeats every second
HANG_GUARD = 180  # seconds; only stops a broken run from hanging CI, asserts nothing on speed


@pytest.fixture
def services(tmp_path, pg_url, redis_broker, s3_endpoint):
    from capture.storage_s3 import S3Storage
    from ops.migrate import upgrade

    upgrade(pg_url)
    broker, prefix = redis_broker
    S3Storage("minxin-scale", tmp_path / "setup-cache", endpoint_url=s3_endpoint).ensure_bucket()
    env = {
        "MINXIN_DATABASE_URL": pg_url,
        "MINXIN_QUEUE": "celery",
        "MINXIN_BROKER_URL": broker,
        "MINXIN_CELERY_KEY_PREFIX": prefix,
        "MINXIN_STORAGE": "s3",
        "MINXIN_S3_ENDPOINT_URL": s3_endpoint,
        "MINXIN_S3_BUCKET": "minxin-scale",
        "MINXIN_RECOGNIZER": "fake",
        "MINXIN_FAKE_DELAY": str(FAKE_DELAY),
        "MINXIN_JOB_LEASE_SECONDS": str(LEASE),
        "MINXIN_JOB_SWEEP_SECONDS": "1",
        "MINXIN_SECRET_KEY": "scale-test-secret",
        # One audit key for every machine: workers write audit events into the same chain.
        "MINXIN_AUDIT_KEY": "scale-test-audit-key",
        "MINXIN_INSECURE_COOKIES": "1",
    }
    return env


@pytest.fixture
def web(tmp_path, monkeypatch, services):
    """The web app in this process, configured exactly like the workers (a machine of its own)."""
    for key, value in services.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "web"))
    monkeypatch.setenv("MINXIN_DATA_DIR", str(tmp_path / "web" / "data"))
    from webapp import create_app

    app = create_app({"TESTING": True})
    assert app.config["QUEUE"] == "celery"
    yield app
    db.db_session.remove()
    app.extensions["minxin.engine"].dispose()


class Worker:
    def __init__(self, name: str, env: dict, tmp_path: Path, argv: list[str]):
        self.name = name
        self.log_path = tmp_path / f"{name}.log"
        full_env = {**os.environ, **env}
        # Each worker is a machine of its own: its own instance folder and S3 download cache.
        full_env["MINXIN_INSTANCE_PATH"] = str(tmp_path / name)
        full_env["MINXIN_DATA_DIR"] = str(tmp_path / name / "data")
        full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, *argv],
            cwd=str(ROOT),
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes the pool child too
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"worker {self.name} did not start:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


@pytest.fixture
def workers(tmp_path, services):
    started: list[Worker] = []

    def start(name: str, argv: list[str]) -> Worker:
        w = Worker(name, services, tmp_path, argv)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def _wait_for(predicate, what: str, logs=()):
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"gave up waiting for {what}\n" + "\n".join(w.output()[-3000:] for w in logs))


def _csrf(client, path: str) -> str:
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _login(app, login: str):
    client = app.test_client()
    token = _csrf(client, "/login")
    resp = client.post("/login", data={"login": login, "password": "correct-horse-42", "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client


def test_full_flow_with_two_workers_one_killed_mid_job(web, users_pg, workers):
    """Upload through the API -> recognition on two Celery workers (one SIGKILLed mid-job)
    -> the supervisor confirms the draft on the review screen."""
    import io

    from capture.models import Capture
    from core.models import AuditEvent
    from diary.models import DiaryEntry, Transcript
    from jobs.models import Job
    from ledger.models import LedgerItem

    s = db.SessionFactory()
    # One worker started with the `celery` command, one with `minxin worker --celery`.
    w1 = workers("w1", ["-m", "celery", "-A", "jobs.celery_app", "worker", "-Q", "speech,handwriting",
                        "-c", "1", "-n", "w1@scaletest", "--without-gossip", "--without-mingle",
                        "--without-heartbeat", "-l", "info"])
    w2 = workers("w2", ["-c", "from webapp.cli import main; main()", "worker", "--celery",
                        "--queues", "speech,handwriting", "--concurrency", "1"])
    w1.wait_ready()
    w2.wait_ready()

    # Upload through the JSON API: two voice memos and two page photos, stored in S3.
    cadre = _login(web, "cadre_a")
    token = _csrf(cadre, "/capture/")
    uploads = [("memo1.wav", make_wav(101)), ("p1.jpg", make_page(102)),
               ("memo2.wav", make_wav(103)), ("p2.jpg", make_page(104))]
    capture_ids = []
    for name, data in uploads:
        resp = cadre.post("/api/captures", data={"files": (io.BytesIO(data), name)},
                          headers={"X-CSRFToken": token}, content_type="multipart/form-data")
        assert resp.status_code == 201, resp.get_data(as_text=True)
        capture_ids.append(resp.get_json()["id"])
    job_ids = list(s.scalars(select(Job.id).where(Job.capture_id.in_(capture_ids)).order_by(Job.id)))
    assert len(job_ids) == 4
    assert {s.get(Job, j).queue for j in job_ids} == {"speech", "handwriting"}

    # Wait until w1 is in the middle of a job, then kill it (and its pool process) outright.
    def w1_mid_job():
        s.expire_all()
        for job in s.scalars(select(Job).where(Job.id.in_(job_ids), Job.status == "running")):
            if job.worker and job.worker.startswith("w1@") and job.progress > 0:
                return job.id
        return None

    victim = _wait_for(w1_mid_job, "w1 to be mid-job", (w1, w2))
    w1.kill()
    assert w1.proc.returncode == -signal.SIGKILL
    s.expire_all()
    assert s.get(Job, victim).status == "running"  # left behind, its lease no longer renewed

    # The surviving worker finishes everything, including the dead worker's job; the cadre
    # follows it through the API.
    def all_ready():
        states = [cadre.get(f"/api/captures/{c}").get_json() for c in capture_ids]
        return all(st["status"] in ("ready_for_review", "failed") for st in states) and states

    states = _wait_for(all_ready, "every capture to be recognized", (w1, w2))
    assert [st["status"] for st in states] == ["ready_for_review"] * 4, states
    assert all(st["job"]["status"] == "done" and st["entry_id"] for st in states)

    s.expire_all()
    rows = {r.id: r for r in s.scalars(select(Job).where(Job.id.in_(job_ids)))}
    taken_again = rows[victim]
    assert taken_again.worker.startswith("celery@") and taken_again.status == "done"
    assert taken_again.attempts == 2
    claims = s.scalars(
        select(AuditEvent).where(AuditEvent.action == "job.claim", AuditEvent.object_id == victim).order_by(AuditEvent.id)
    ).all()
    assert [c.after["worker"].split("@")[0] for c in claims] == ["w1", "celery"]
    for job_id in job_ids:
        done = s.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "job.done", AuditEvent.object_id == job_id)
        )
        assert done == 1, f"job {job_id} completed {done} times"
    for capture_id in capture_ids:
        assert s.scalar(select(func.count(Transcript.id)).where(Transcript.capture_id == capture_id)) == 1
        assert s.scalar(select(func.count(DiaryEntry.id)).where(DiaryEntry.capture_id == capture_id)) == 1
    # The sweeper in the surviving worker is what sent the dead worker's job again.
    assert "re-submitting job %d" % victim in w2.output()

    # Review: the township supervisor sees all four and confirms the dead worker's capture.
    victim_capture = rows[victim].capture_id
    sup = _login(web, "sup_gulouzi")
    queue_html = sup.get("/review/").get_data(as_text=True)
    for capture_id in capture_ids:
        assert f"/review/{capture_id}" in queue_html
    screen = sup.get(f"/review/{victim_capture}").get_data(as_text=True)
    import re

    form = {
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', screen).group(1),
        "capture_version": re.search(r'name="capture_version" value="(\d+)"', screen).group(1),
        "entry_version": re.search(r'name="entry_version" value="(\d+)"', screen).group(1),
        # the supervisor corrects the problem text and gives the item a deadline in the same step
        "problem": "村里通往三组的路被大车压坏，下雨天出行困难",
        "triage": "deadline",
        "deadline": "2030-06-30",
        "responsible_unit": "古楼子乡交通站",
    }
    resp = sup.post(f"/review/{victim_capture}/confirm", data=form)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:1000]
    s.expire_all()
    capture = s.get(Capture, victim_capture)
    entry = s.scalars(select(DiaryEntry).where(DiaryEntry.capture_id == victim_capture)).one()
    assert capture.status == "confirmed" and entry.status == "confirmed"
    assert entry.confirmed_by_id == users_pg["sup_gulouzi"].id
    # ... and its problem is in the ledger, on PostgreSQL, with the deadline set.
    item = s.scalars(select(LedgerItem).where(LedgerItem.entries.any(DiaryEntry.id == entry.id))).one()
    assert item.problem == "村里通往三组的路被大车压坏，下雨天出行困难"
    assert item.status == "in_progress" and item.deadline.isoformat() == "2030-06-30"
    assert item.responsible_unit == "古楼子乡交通站"
    # Web and both workers wrote one keyed audit chain.
    from core.audit import verify_chain

    s.expire_all()
    assert verify_chain(s) == []
    s.close()


@pytest.fixture
def users_pg(web):
    """The demo county's users on the PostgreSQL database."""
    from org.users import add_org_unit, create_user

    s = db.SessionFactory()
    county = add_org_unit(s, "宽甸县", "county")
    gulouzi = add_org_unit(s, "古楼子乡", "township", county)
    village = add_org_unit(s, "南荒沟村", "village", gulouzi)
    made = {
        "cadre_a": create_user(s, "cadre_a", "correct-horse-42", "李春生", "cadre", village),
        "sup_gulouzi": create_user(s, "sup_gulouzi", "correct-horse-42", "孙建国", "supervisor", gulouzi),
        "admin": create_user(s, "admin", "correct-horse-42", "刘志强", "admin", county),
    }
    s.commit()
    s.close()
    return made
