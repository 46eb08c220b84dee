"""Chunk races (issue #30 M1): many tries of one chunk at once, over real HTTP on a threaded
server, apply it once; the upload stays whole and becomes a capture of exactly the declared bytes.

On the old code three PATCHes of the first half at offset 0 answered 409, 200, 200 and left an
upload "complete" with the first half written twice."""
from __future__ import annotations

import hashlib
import re
import threading

import pytest
import requests
from werkzeug.serving import make_server

from capture.models import Capture
from core import db

PASSWORD_FIELD = "password"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(app, users):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def signed_in(base: str, login: str, password: str = "correct-horse-42") -> tuple[requests.Session, str]:
    """A browser-like session signed in through the login form, and its CSRF token."""
    from tests.conftest import PASSWORD

    s = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(f"{base}/login").text).group(1)
    resp = s.post(f"{base}/login", data={"login": login, "password": PASSWORD, "csrf_token": token},
                  allow_redirects=False)
    assert resp.status_code == 302, resp.text[:300]
    html = s.get(f"{base}/capture/").text
    return s, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _patch(s, base, token, upload_id, offset, piece):
    return s.patch(f"{base}/api/uploads/{upload_id}", data=piece, headers={
        "X-CSRFToken": token, "Upload-Offset": str(offset), "X-Chunk-SHA256": _sha(piece),
        "Content-Type": "application/offset+octet-stream"})


def _slow_patch(s, base, token, upload_id, offset, piece, pause=0.4):
    """A PATCH whose body arrives in two parts with a pause between, as on a weak link: tries
    sent together are all in flight at the same time."""
    import http.client
    import time
    from urllib.parse import urlsplit

    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.putrequest("PATCH", f"/api/uploads/{upload_id}")
    for name, value in {"X-CSRFToken": token, "Upload-Offset": str(offset), "X-Chunk-SHA256": _sha(piece),
                        "Content-Type": "application/offset+octet-stream", "Content-Length": str(len(piece)),
                        "Cookie": "; ".join(f"{c.name}={c.value}" for c in s.cookies)}.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(piece[: len(piece) // 2])
    time.sleep(pause)
    conn.send(piece[len(piece) // 2:])
    resp = conn.getresponse()
    answer = Answer(resp.status, resp.read())
    conn.close()
    return answer


class Answer:
    def __init__(self, status_code, body):
        self.status_code, self.text = status_code, body.decode()

    def json(self):
        import json

        return json.loads(self.text)


def _at_once(n, fn):
    """`fn(i)` from n threads released together; their answers."""
    gate = threading.Barrier(n)
    answers = [None] * n

    def run(i):
        gate.wait()
        answers[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


@pytest.mark.parametrize("tries", [3, 12])
def test_many_tries_of_one_chunk_at_once_apply_it_once(served, users, media, session, tries):
    data = media.wav(1.5)[:48054]
    base = served
    # One browser session per try, as a phone retrying while the first try is in flight.
    sessions = [signed_in(base, users["cadre_a"].login) for _ in range(tries)]
    s, token = sessions[0]
    up = s.post(f"{base}/api/uploads", json={"name": "m.wav", "size": len(data), "sha256": _sha(data)},
                headers={"X-CSRFToken": token}).json()
    half = len(data) // 2

    first = _at_once(tries, lambda i: _slow_patch(sessions[i][0], base, sessions[i][1], up["id"], 0, data[:half]))
    codes = sorted(r.status_code for r in first)
    assert codes == [200] + [409] * (tries - 1), [(r.status_code, r.text[:120]) for r in first]
    assert all(r.json()["offset"] in (0, half) for r in first)
    state = s.get(f"{base}/api/uploads/{up['id']}").json()
    assert state["offset"] == half and state["complete"] is False

    # The last chunk raced the same way: once, and the file is whole.
    last = _at_once(tries, lambda i: _slow_patch(sessions[i][0], base, sessions[i][1], up["id"], half, data[half:]))
    assert sorted(r.status_code for r in last) == [200] + [409] * (tries - 1)
    state = s.get(f"{base}/api/uploads/{up['id']}").json()
    assert state == {**state, "offset": len(data), "complete": True}

    made = s.post(f"{base}/api/captures", json={"uploads": [up["id"]]}, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.text
    capture = session.get(Capture, made.json()["id"])
    assert capture.files[0].sha256 == _sha(data) and capture.files[0].size == len(data)


def test_a_whole_that_fails_its_hash_is_reset_and_never_resumed(served, users, media):
    """A broken upload starts over from nothing: starting the same file again does not hand
    back bytes that do not make the declared file."""
    data = media.wav(1.0)
    base = served
    s, token = signed_in(base, users["cadre_a"].login)
    declared = data[:-1] + bytes([data[-1] ^ 1])  # the client declares one file and sends another
    up = s.post(f"{base}/api/uploads", json={"name": "m.wav", "size": len(data), "sha256": _sha(declared)},
                headers={"X-CSRFToken": token}).json()
    assert _patch(s, base, token, up["id"], 0, data[:1000]).status_code == 200
    bad = _patch(s, base, token, up["id"], 1000, data[1000:])
    assert bad.status_code == 400 and bad.json()["code"] == "file_corrupt" and bad.json()["offset"] == 0
    again = s.post(f"{base}/api/uploads", json={"name": "m.wav", "size": len(data), "sha256": _sha(declared)},
                   headers={"X-CSRFToken": token}).json()
    assert again["offset"] == 0 and again["complete"] is False
    assert s.post(f"{base}/api/captures", json={"uploads": [up["id"]]},
                  headers={"X-CSRFToken": token}).status_code == 409
    # The right bytes now make the declared file.
    assert _patch(s, base, token, up["id"], 0, declared).json()["complete"] is True


def test_the_chunks_live_in_the_shared_folder_not_the_request(app, served, users, media, tmp_path):
    """MINXIN_UPLOADS_DIR: every app server mounting it sees the same chunks."""
    shared = tmp_path / "shared-uploads"
    app.config["UPLOADS_DIR"] = str(shared)
    data = media.wav(1.0)
    base = served
    s, token = signed_in(base, users["cadre_a"].login)
    up = s.post(f"{base}/api/uploads", json={"name": "m.wav", "size": len(data), "sha256": _sha(data)},
                headers={"X-CSRFToken": token}).json()
    _patch(s, base, token, up["id"], 0, data[:5000])
    held = list((shared / up["id"]).iterdir())
    assert len(held) == 1 and held[0].read_bytes() == data[:5000]
    db.db_session.remove()
