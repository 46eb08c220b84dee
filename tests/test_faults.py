"""Faults: the web process killed mid-upload, a client vanishing mid-upload, the database
locked by concurrent writers, the disk filling up while an original is stored, and model files
missing or truncated. Each ends with no capture lost and recovery by itself or with one
documented command (`minxin requeue`). A worker killed mid-job is covered in tests/test_jobs.py
(test_job_survives_a_killed_worker_and_completes_exactly_once) and not repeated here.
"""
from __future__ import annotations

import errno
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.hostile.counts import report
from tests.hostile.support import PASSWORD, Media, chain_problems, data_files, login_client, row_counts, temp_leftovers

REPO = Path(__file__).resolve().parents[1]
FAULTS = {"injected": 0, "survived": 0}


def survived(request, name: str, ok: bool) -> None:
    FAULTS["injected"] += 1
    FAULTS["survived"] += int(ok)
    report("faults", FAULTS["injected"], FAULTS["survived"], what="faults", config=request.config,
           verbs=("injected", "survived"))
    assert ok, name


# --- a real server, killed with SIGKILL in the middle of an upload --------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, app, tmp_path):
        self.port = _free_port()
        self.env = {**os.environ, "MINXIN_DATABASE_URL": app.config["DATABASE_URL"],
                    "MINXIN_DATA_DIR": app.config["DATA_DIR"], "MINXIN_INSTANCE_PATH": str(tmp_path / "instance"),
                    "MINXIN_RECOGNIZER": "fake", "MINXIN_INSECURE_COOKIES": "1", "PYTHONPATH": str(REPO)}
        self.log = tmp_path / "serve.log"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--port", str(self.port)],
                                     cwd=REPO, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start: " + self.log.read_text())

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def login(self, login="cadre_a") -> tuple[str, str]:
        """(cookie header, csrf token) after a real login."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/login")
        resp = conn.getresponse()
        html = resp.read().decode()
        cookie = resp.getheader("Set-Cookie").split(";")[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        body = f"login={login}&password={PASSWORD}&csrf_token={token}"
        conn.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                           "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 302, resp.status
        cookie = resp.getheader("Set-Cookie").split(";")[0]
        # The CSRF token is rotated at login: fetch the new one.
        conn.request("GET", "/login", headers={"Cookie": cookie})
        resp = conn.getresponse()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', resp.read().decode()).group(1)
        if resp.getheader("Set-Cookie"):  # (the new token lives in the session)
            cookie = resp.getheader("Set-Cookie").split(";")[0]
        conn.close()
        return cookie, token


def _upload_request(cookie, token, data: bytes, name="memo.wav") -> tuple[bytes, bytes]:
    boundary = "faultboundary42"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /api/captures HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nX-CSRFToken: {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head, body


def _post_whole(server, cookie, token, data) -> int:
    head, body = _upload_request(cookie, token, data)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(head + body)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return int(reply.split(b" ", 2)[1])


def test_web_process_killed_mid_upload(app, users, tmp_path, request):
    engine = app.extensions["minxin.engine"]
    memo = Media.wav(4242, seconds=3.0)
    server = Server(app, tmp_path).start()
    try:
        cookie, token = server.login()
        rows_before, files_before = row_counts(engine), data_files(app)
        # A client that vanishes halfway: the server stores nothing and keeps serving.
        head, body = _upload_request(cookie, token, memo)
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(head + body[: len(body) // 2])
        ok_vanished = row_counts(engine) == rows_before and data_files(app) == files_before
        # Half a body in flight, then the server process is killed outright.
        half = socket.create_connection(("127.0.0.1", server.port))
        half.sendall(head + body[: len(body) // 2])
        time.sleep(0.5)  # let the server start reading the body (not an assertion)
        server.kill()
        half.close()
        ok_killed = row_counts(engine) == rows_before and data_files(app) == files_before \
            and not temp_leftovers(app)
        # Restarted, the same upload goes through once.
        server.start()
        cookie, token = server.login()
        status = _post_whole(server, cookie, token, memo)
        again = _post_whole(server, cookie, token, memo)
        after = row_counts(engine)
        # The second is the same cadre's same bytes: answered as success (already uploaded).
        ok_recovered = status == 201 and again == 200 and after["captures"] == rows_before["captures"] + 1
    finally:
        server.stop()
    survived(request, "client vanished mid-upload", ok_vanished)
    survived(request, "web process SIGKILLed mid-upload, then restarted", ok_killed and ok_recovered)


# --- SQLite under concurrent writers ---------------------------------------------------------------


LOCKER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
con.execute("INSERT INTO audit_events(at, actor_label, action, object_type, prev_hash, hash) SELECT at, actor_label, action, object_type, prev_hash, hash FROM audit_events WHERE 0")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
"""


def test_database_locked_by_concurrent_writers(app, session, users, tmp_path, monkeypatch, request):
    """Threads ingesting and recognizing, HTTP uploads and reviews, a `minxin ingest` process, and
    another process holding an exclusive lock for a while: no lost writes, no 500, chain intact."""
    from capture.intake import ingest
    from capture.models import Capture
    from capture.storage import get_storage
    from jobs import operations as jobs
    from jobs.models import Job
    from org.models import User

    engine = app.extensions["minxin.engine"]
    storage = get_storage(app.config)
    db_path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    errors: list[str] = []
    made: list[int] = []
    lock = threading.Lock()

    def writer(k: int, login: str):
        with Session(engine) as s:
            user = s.scalars(select(User).where(User.login == login)).one()
            for i in range(5):
                try:
                    capture = ingest(s, storage, user, [(f"w{k}-{i}.wav", Media.wav(100 * k + i))])
                    job = jobs.enqueue_recognition(s, capture, queue=None)
                    if jobs.run_job(job.id, f"t{k}", config=app.config) != "done":
                        errors.append(f"job {job.id} not done")
                    with lock:
                        made.append(capture.id)
                except Exception as exc:  # any lost write is a failure
                    errors.append(f"writer {k}: {type(exc).__name__}: {exc}")

    def web(k: int):
        client, token = login_client(app, "cadre_b")
        for i in range(4):
            resp = client.post("/api/captures", data={"file": (__import__("io").BytesIO(Media.wav(5000 + 10 * k + i)),
                                                               "m.wav")},
                               headers={"X-CSRFToken": token}, content_type="multipart/form-data")
            if resp.status_code != 201:
                errors.append(f"web {k}: {resp.status_code} {resp.get_data(as_text=True)[:100]}")
            else:
                with lock:
                    made.append(resp.get_json()["id"])

    memo = tmp_path / "cli.wav"
    memo.write_bytes(Media.wav(999))
    env = {**os.environ, "MINXIN_DATABASE_URL": app.config["DATABASE_URL"], "MINXIN_DATA_DIR": app.config["DATA_DIR"],
           "MINXIN_INSTANCE_PATH": str(tmp_path / "instance"), "MINXIN_RECOGNIZER": "fake", "PYTHONPATH": str(REPO)}
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, db_path, "2.0"], stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    cli_proc = subprocess.Popen([sys.executable, "-m", "webapp.cli", "ingest", str(memo), "--cadre", "cadre_c"],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threads = [threading.Thread(target=writer, args=(k, login)) for k, login in
               enumerate(("cadre_a", "cadre_b", "cadre_c"))]
    threads += [threading.Thread(target=web, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    locker.wait(30)
    cli_out = cli_proc.communicate(timeout=120)[0]
    session.expire_all()
    captures = session.scalars(select(Capture)).all()
    ok = (not errors and cli_proc.returncode == 0 and len(captures) == 3 * 5 + 2 * 4 + 1
          and set(made) <= {c.id for c in captures}
          and all(j.status in ("done", "queued") for j in session.scalars(select(Job)))
          and not chain_problems(engine))
    survived(request, f"database locked by concurrent writers: {errors[:3]} {cli_out[-200:]}", ok)


# --- disk full while storing an original ----------------------------------------------------------


@pytest.mark.parametrize("where", ["single file, ENOSPC", "second of three pages, ENOSPC", "single file, EIO"])
def test_disk_full_while_storing_an_original(app, users, session, monkeypatch, where, request):
    import capture.storage as storage_mod

    engine = app.extensions["minxin.engine"]
    client, token = login_client(app, "cadre_a")
    code = errno.EIO if "EIO" in where else errno.ENOSPC
    fail_on = 2 if "second" in where else 1
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls["n"] += 1
        if calls["n"] >= fail_on:  # the temp file is half written by now
            raise OSError(code, os.strerror(code))
        return real_fsync(fd)

    if "pages" in where:
        files = [(__import__("io").BytesIO(Media.image("PNG", 300 + i)), f"p{i}.png") for i in range(3)]
        payload = lambda: [(__import__("io").BytesIO(Media.image("PNG", 300 + i)), f"p{i}.png") for i in range(3)]  # noqa: E731
    else:
        payload = lambda: [(__import__("io").BytesIO(Media.wav(321)), "memo.wav")]  # noqa: E731
        files = payload()
    before_rows, before_files = row_counts(engine), data_files(app)
    monkeypatch.setattr(storage_mod.os, "fsync", failing_fsync)
    resp = client.post("/api/captures", data={"files": files}, headers={"X-CSRFToken": token},
                       content_type="multipart/form-data")
    body = resp.get_json() or {}
    expected = 507 if code == errno.ENOSPC else 503
    refused_cleanly = (resp.status_code == expected and body.get("error") and row_counts(engine) == before_rows
                       and data_files(app) == before_files and not temp_leftovers(app))
    # Space freed: the same upload now goes through, by itself, with no command.
    monkeypatch.setattr(storage_mod.os, "fsync", real_fsync)
    retry = client.post("/api/captures", data={"files": payload()}, headers={"X-CSRFToken": token},
                        content_type="multipart/form-data")
    survived(request, f"disk full while storing ({where}): {resp.status_code} {body}",
             bool(refused_cleanly) and retry.status_code == 201)


# --- model files missing or corrupt ---------------------------------------------------------------


@pytest.mark.parametrize("fault", ["wheel not installed", "model file truncated"])
def test_missing_or_corrupt_models_keep_the_capture(app, session, users, tmp_path, monkeypatch, fault, request):
    import recognize.handwriting.read as hw
    from capture.intake import ingest
    from capture.models import Capture
    from capture.storage import get_storage
    from jobs import operations as jobs
    from jobs.models import Job
    from recognize.handwriting import ppocr_v6
    from webapp.cli import cli

    if fault == "wheel not installed":
        monkeypatch.setitem(sys.modules, "rapidocr", None)  # import fails
        missing_hint = "rapidocr"
    else:
        broken = tmp_path / "broken-wheel"
        broken.mkdir()
        for name in (ppocr_v6.DET_FILE, ppocr_v6.REC_FILE, ppocr_v6.CLS_FILE):
            (broken / name).write_bytes(b"\x08\x07trunc")
        monkeypatch.setattr(ppocr_v6, "wheel_dir", lambda: broken)
        missing_hint = str(broken / ppocr_v6.DET_FILE)
    monkeypatch.setattr(ppocr_v6, "_engine", None)
    monkeypatch.setattr(hw, "_ocrs", {})
    real = {**app.config, "RECOGNIZER": "real", "JOB_MAX_ATTEMPTS": 2,
            "MODEL_CACHE": str(tmp_path / "empty-model-cache")}
    capture = ingest(session, get_storage(app.config), users["cadre_a"], [("page.png", Media.image("PNG", 77,
                                                                                                  (64, 64)))])
    job = jobs.enqueue_recognition(session, capture, max_attempts=2)
    first = jobs.run_job(job.id, "w", config=real)
    session.expire_all()
    retrying = first == "queued" and missing_hint in session.get(Job, job.id).error \
        and "minxin requeue" in session.get(Job, job.id).error
    second = jobs.run_job(job.id, "w", config=real)
    session.expire_all()
    c = session.get(Capture, capture.id)
    failed_clearly = second == "failed" and c.status == "failed" and missing_hint in c.error
    kept = get_storage(app.config).exists(c.files[0].sha256)
    # The fix, then the one documented command; a worker takes it from there.
    monkeypatch.undo()
    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MINXIN_DATA_DIR", app.config["DATA_DIR"])
    result = CliRunner().invoke(cli, ["requeue"])
    queue = jobs.EmbeddedQueue({**app.config, "RECOGNIZER": "fake"})  # stands in for the installed models
    outcome = queue.run_once()
    session.expire_all()
    recovered = result.exit_code == 0 and f"#{capture.id}" in result.output and outcome == "done" \
        and session.get(Capture, capture.id).status == "ready_for_review"
    survived(request, f"models: {fault} ({first}, {second}, {c.error})", retrying and failed_clearly and kept and recovered)


# --- killed between an upload's capture and its job ------------------------------------------------


KILL_AFTER_CAPTURE_COMMIT = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from webapp import create_app
from capture.models import Capture

app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "DATA_DIR": sys.argv[2], "RECOGNIZER": "fake",
                  "SESSION_COOKIE_SECURE": False})

@event.listens_for(Session, "after_flush")
def _saw_capture(session, ctx):
    if any(isinstance(o, Capture) for o in session.new):
        session.info["capture"] = True

@event.listens_for(Session, "after_commit")
def _die(session):
    if session.info.get("capture"):
        os.kill(os.getpid(), signal.SIGKILL)  # the first commit that wrote a capture

import re
c = app.test_client()
tok = lambda: re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
assert c.post("/login", data={"login": "cadre_a", "password": sys.argv[3], "csrf_token": tok()}).status_code == 302
import io
c.post("/api/captures", data={"file": (io.BytesIO(open(sys.argv[4], "rb").read()), "memo.wav")},
       headers={"X-CSRFToken": tok()}, content_type="multipart/form-data")
print("not killed")
"""


def test_killed_right_after_the_capture_commit_keeps_its_job(app, users, tmp_path, request):
    """SIGKILL at the first commit that writes a capture: its job must be in the same commit."""
    from capture.models import Capture
    from jobs.models import Job

    memo = tmp_path / "memo.wav"
    memo.write_bytes(Media.wav(5151))
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_CAPTURE_COMMIT, app.config["DATABASE_URL"],
                           app.config["DATA_DIR"], PASSWORD, str(memo)], cwd=REPO, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), "MINXIN_INSTANCE_PATH": str(tmp_path / "i2")},
                          timeout=120)
    with Session(app.extensions["minxin.engine"]) as s:
        captures = s.scalars(select(Capture)).all()
        jobs_of = [s.scalars(select(Job).where(Job.capture_id == c.id)).all() for c in captures]
    killed = proc.returncode == -signal.SIGKILL
    survived(request, "SIGKILL right after the capture commit: the capture has its job",
             killed and len(captures) == 1 and len(jobs_of[0]) == 1 and jobs_of[0][0].status == "queued")


def test_a_received_capture_without_a_job_is_found_by_the_sweep_and_requeue(app, session, users, tmp_path,
                                                                             monkeypatch, request):
    """Captures an older version left jobless (its two commits apart) are not stuck forever."""
    import datetime as dt

    from capture.intake import ingest
    from capture.models import Capture
    from capture.storage import get_storage
    from jobs import operations as jobs

    storage = get_storage(app.config)
    old = ingest(session, storage, users["cadre_a"], [("a.wav", Media.wav(6161))])  # no job: the crash
    newer = ingest(session, storage, users["cadre_a"], [("b.wav", Media.wav(6262))])
    old.received_at = old.received_at - dt.timedelta(minutes=5)
    session.commit()
    queue = jobs.EmbeddedQueue(app.config, threads=1)
    outcome = queue.run_once("sweeper-test")  # sweeps, then runs the job it wrote
    session.expire_all()
    swept = session.get(Capture, old.id)
    ok_sweep = outcome is not None and len(swept.jobs) == 1 and swept.status == "ready_for_review" \
        and not session.get(Capture, newer.id).jobs  # still within its grace period
    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MINXIN_DATA_DIR", app.config["DATA_DIR"])
    monkeypatch.setenv("MINXIN_RECOGNIZER", "fake")
    from webapp.cli import cli

    result = CliRunner().invoke(cli, ["requeue"])
    session.expire_all()
    ok_requeue = result.exit_code == 0 and f"#{newer.id}" in result.output and \
        len(session.get(Capture, newer.id).jobs) == 1
    survived(request, "jobless received capture found by the worker's sweep", ok_sweep)
    survived(request, "jobless received capture found by minxin requeue", ok_requeue)


# --- leftovers of a kill mid-write: found by minxin doctor, swept after the grace period ----------


KILL_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from webapp import create_app

app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "DATA_DIR": sys.argv[2], "RECOGNIZER": "fake"})
data = Path(sys.argv[4]).read_bytes()
if sys.argv[3] == "temp":  # killed while the bytes are being written: a .tmp- file stays
    import capture.storage as st
    st.os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
    st.get_storage(app.config).put(data)
else:  # killed after the original is stored, before its row commits
    from sqlalchemy.orm import Session
    from capture.intake import ingest
    from capture.storage import get_storage
    from core import db
    from org.models import User
    Session.commit = lambda self: os.kill(os.getpid(), signal.SIGKILL)
    s = db.SessionFactory()
    ingest(s, get_storage(app.config), s.get(User, int(sys.argv[5])), [("memo.wav", data)])
print("not killed")
"""


def test_leftovers_of_a_kill_mid_write_are_reported_and_swept(app, session, users, tmp_path, monkeypatch, request):
    from capture.intake import ingest
    from capture.storage import get_storage
    from core.models import AuditEvent
    from webapp.cli import cli

    kept = ingest(session, get_storage(app.config), users["cadre_a"], [("kept.wav", Media.wav(7070))])
    codes = []
    for n, how in enumerate(("temp", "row")):
        media = tmp_path / f"m{n}.wav"
        media.write_bytes(Media.wav(7100 + n))
        proc = subprocess.run([sys.executable, "-c", KILL_MID_WRITE, app.config["DATABASE_URL"], app.config["DATA_DIR"],
                               how, str(media), str(users["cadre_a"].id)], cwd=REPO, capture_output=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(REPO), "MINXIN_INSTANCE_PATH": str(tmp_path / "instance")})
        codes.append(proc.returncode)
    left = [f for f in data_files(app) if f.startswith("originals/")]
    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MINXIN_DATA_DIR", app.config["DATA_DIR"])
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()
    before_young = data_files(app)
    young = runner.invoke(cli, ["doctor", "--no-install", "--sweep"])  # within the grace period: reported, kept
    kept_young = data_files(app) == before_young
    old = time.time() - 2 * 3600
    for f in left:
        os.utime(Path(app.config["DATA_DIR"]) / f, (old, old))
    report = runner.invoke(cli, ["doctor", "--no-install"])
    swept = runner.invoke(cli, ["doctor", "--no-install", "--sweep"])
    remaining = {f for f in data_files(app) if f.startswith("originals/")}
    session.expire_all()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "storage.sweep")).first()
    ok = (codes == [-signal.SIGKILL, -signal.SIGKILL] and len(left) == 3
          and "     2  宽限期内的残留" in young.output and kept_young
          and "     1  残留临时文件" in report.output and "     1  无记录的原件" in report.output
          and swept.exit_code == 0 and "已删除 2" in swept.output
          and remaining == {f"originals/{kept.files[0].sha256[:2]}/{kept.files[0].sha256[2:4]}/{kept.files[0].sha256}"}
          and event is not None and not temp_leftovers(app) and not chain_problems(app.extensions["minxin.engine"]))
    survived(request, "killed mid-write: temp file and rowless original reported, then swept after the grace period",
             ok)
