"""Uploads any app server can finish (issue #31.2, #30 M1): two app server processes on
different ports, one PostgreSQL, originals and unfinished chunks in S3 (moto's server). One
upload's chunks alternate between the two servers, retries of a chunk race on both at once, and
the capture's bytes hash to the original."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from scale_services import *  # noqa: F401,F403 - fixtures
from scale_services import ROOT, _port_open, free_port, make_wav

from core import db

pytestmark = pytest.mark.scale
PASSWORD = "correct-horse-42"
SERVE = ("import os, sys; from werkzeug.serving import run_simple; from webapp import create_app; "
         "run_simple('127.0.0.1', int(sys.argv[1]), create_app(), threaded=True)")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def cluster(tmp_path, monkeypatch, pg_url, s3_endpoint):
    """Two app servers (their own instance folders: nothing shared but PostgreSQL and S3)."""
    from capture.storage_s3 import S3Storage
    from ops.migrate import upgrade
    from org.users import add_org_unit, create_user
    from webapp import create_app

    upgrade(pg_url)
    S3Storage("minxin-uploads", tmp_path / "setup-cache", endpoint_url=s3_endpoint).ensure_bucket()
    env = {"MINXIN_DATABASE_URL": pg_url, "MINXIN_STORAGE": "s3", "MINXIN_S3_ENDPOINT_URL": s3_endpoint,
           "MINXIN_S3_BUCKET": "minxin-uploads", "MINXIN_RECOGNIZER": "fake", "MINXIN_QUEUE": "embedded",
           "MINXIN_SECRET_KEY": "two-servers-secret", "MINXIN_AUDIT_KEY": "two-servers-audit",
           "MINXIN_INSECURE_COOKIES": "1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "setup"))
    app = create_app({"TESTING": True})
    s = db.SessionFactory()
    county = add_org_unit(s, "宽甸县", "county")
    village = add_org_unit(s, "南荒沟村", "village", add_org_unit(s, "古楼子乡", "township", county))
    create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
    s.commit()
    s.close()

    servers, logs = [], []
    for name in ("web1", "web2"):
        port = free_port()
        log = open(tmp_path / f"{name}.log", "wb")
        full = {**os.environ, **env, "MINXIN_INSTANCE_PATH": str(tmp_path / name),
                "MINXIN_DATA_DIR": str(tmp_path / name / "data"),
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=str(ROOT), env=full, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        servers.append((proc, f"http://127.0.0.1:{port}", port))
        logs.append(log)
    for proc, _base, port in servers:
        deadline = time.monotonic() + 90
        while not _port_open("127.0.0.1", port) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
        if proc.poll() is not None or not _port_open("127.0.0.1", port):
            raise AssertionError((tmp_path / "web1.log").read_text()[-2000:] + (tmp_path / "web2.log").read_text()[-2000:])
    yield [base for _p, base, _port in servers], app
    for proc, _base, _port in servers:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    for log in logs:
        log.close()
    db.db_session.remove()
    app.extensions["minxin.engine"].dispose()


def _signed_in(base: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(f"{base}/login").text).group(1)
    assert s.post(f"{base}/login", data={"login": "cadre_a", "password": PASSWORD, "csrf_token": token},
                  allow_redirects=False).status_code == 302
    return s, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(f"{base}/capture/").text).group(1)


def _patch(s, base, token, upload_id, offset, piece):
    return s.patch(f"{base}/api/uploads/{upload_id}", data=piece, headers={
        "X-CSRFToken": token, "Upload-Offset": str(offset), "X-Chunk-SHA256": _sha(piece),
        "Content-Type": "application/offset+octet-stream"})


def test_one_uploads_chunks_alternate_between_two_servers(cluster):
    (web1, web2), _app = cluster
    s, token = _signed_in(web1)  # the same cookie is good on both: one database of sessions
    data = make_wav(7, seconds=3.0)
    up = s.post(f"{web1}/api/uploads", json={"name": "memo.wav", "size": len(data), "sha256": _sha(data)},
                headers={"X-CSRFToken": token}).json()
    step, offset, turn = 7001, 0, 0
    while offset < len(data):
        base = (web1, web2)[turn % 2]
        resp = _patch(s, base, token, up["id"], offset, data[offset:offset + step])
        assert resp.status_code == 200, (base, resp.text)
        offset, turn = resp.json()["offset"], turn + 1
        # The other server sees where it stands at once.
        assert s.get(f"{(web2, web1)[turn % 2 - 1]}/api/uploads/{up['id']}").json()["offset"] == offset
    assert turn > 10
    done = s.get(f"{web2}/api/uploads/{up['id']}").json()
    assert done["complete"] is True
    made = s.post(f"{web2}/api/captures", json={"uploads": [up["id"]]}, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.text
    capture_id = made.json()["id"]
    # The capture's original, fetched back through the other server, is the file.
    page = s.get(f"{web1}/capture/{capture_id}/files/0")
    assert page.status_code == 200 and _sha(page.content) == _sha(data)
    from capture.models import Capture

    session = db.SessionFactory()
    try:
        assert session.get(Capture, capture_id).files[0].sha256 == _sha(data)
    finally:
        session.close()


def test_retries_of_one_chunk_on_both_servers_at_once_apply_it_once(cluster):
    (web1, web2), _app = cluster
    data = make_wav(8, seconds=2.0)
    tries = [_signed_in(web1) for _ in range(8)]
    s, token = tries[0]
    up = s.post(f"{web1}/api/uploads", json={"name": "memo.wav", "size": len(data), "sha256": _sha(data)},
                headers={"X-CSRFToken": token}).json()
    half = len(data) // 2
    for start, piece in ((0, data[:half]), (half, data[half:])):
        gate = threading.Barrier(len(tries))
        answers = [None] * len(tries)

        def run(i, start=start, piece=piece):
            gate.wait()
            answers[i] = _patch(tries[i][0], (web1, web2)[i % 2], tries[i][1], up["id"], start, piece)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tries))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        codes = sorted(a.status_code for a in answers)
        assert codes == [200] + [409] * (len(tries) - 1), [(a.status_code, a.text[:100]) for a in answers]
    state = s.get(f"{web2}/api/uploads/{up['id']}").json()
    assert state["offset"] == len(data) and state["complete"] is True
    made = s.post(f"{web1}/api/captures", json={"uploads": [up["id"]]}, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.text
    from capture.models import Capture

    session = db.SessionFactory()
    try:
        assert session.get(Capture, made.json()["id"]).files[0].sha256 == _sha(data)
    finally:
        session.close()
    # Nothing of the upload is left in the bucket once it became a capture.
    from capture.storage_s3 import S3Storage

    store = S3Storage.from_config(_app.config)
    assert store.client.list_objects_v2(Bucket="minxin-uploads", Prefix="uploads/").get("KeyCount", 0) == 0
