"""Resumable uploads (capture/uploads.py, /api/uploads): chunks with content checks that resume
where a dropped connection left them, and a capture made of them that a retry finds again."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select, update

from capture import uploads
from capture.models import Capture, ResumableUpload


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def api(client, users, login, csrf_token):
    login(users["cadre_a"])
    token = csrf_token("/capture/")

    def call(method, url, **kw):
        headers = {"X-CSRFToken": token, **kw.pop("headers", {})}
        return client.open(url, method=method, headers=headers, **kw)

    return call


def _start(api, data: bytes, name="memo.wav"):
    resp = api("POST", "/api/uploads", json={"name": name, "size": len(data), "sha256": _sha(data)})
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def _chunk(api, upload_id, offset, piece, sha=None):
    return api("PATCH", f"/api/uploads/{upload_id}", data=piece,
               headers={"Upload-Offset": str(offset), "X-Chunk-SHA256": sha or _sha(piece),
                        "Content-Type": "application/offset+octet-stream"})


def test_chunks_resume_and_become_one_capture(api, media, session, storage):
    data = media.wav(3.0)
    up = _start(api, data)
    assert up["offset"] == 0 and up["chunk_size"] == uploads.CHUNK_BYTES
    third = len(data) // 3
    assert _chunk(api, up["id"], 0, data[:third]).get_json()["offset"] == third
    # The page reloaded: starting the same file again gives the same upload, where it stood.
    again = _start(api, data)
    assert again["id"] == up["id"] and again["offset"] == third
    assert api("GET", f"/api/uploads/{up['id']}").get_json()["offset"] == third
    rest = _chunk(api, up["id"], third, data[third:])
    assert rest.status_code == 200 and rest.get_json()["complete"] is True
    made = api("POST", "/api/captures", json={"uploads": [up["id"]], "visit_date": "2024-05-01"})
    assert made.status_code == 201
    capture = session.get(Capture, made.get_json()["id"])
    assert capture.kind == "audio" and capture.files[0].sha256 == _sha(data)
    assert storage.open(capture.files[0].sha256).read() == data
    assert capture.visit_date_hint.isoformat() == "2024-05-01"


def test_the_answer_lost_then_the_retry_is_told_the_same_capture(api, media, session):
    data = media.wav(1.0)
    up = _start(api, data)
    _chunk(api, up["id"], 0, data)
    first = api("POST", "/api/captures", json={"uploads": [up["id"]]}).get_json()
    retry = api("POST", "/api/captures", json={"uploads": [up["id"]]})
    body = retry.get_json()
    assert retry.status_code == 200 and body["id"] == first["id"] and body["duplicate"] is True
    assert f"已上传 #{first['id']}" in body["message"]
    # The whole file sent again under a new upload: also the same capture, also success.
    up2 = _start(api, data, name="again.wav")
    assert up2["id"] != up["id"]
    _chunk(api, up2["id"], 0, data)
    assert api("POST", "/api/captures", json={"uploads": [up2["id"]]}).get_json()["id"] == first["id"]
    assert session.scalar(select(func.count()).select_from(Capture)) == 1


def test_a_chunk_at_the_wrong_offset_or_with_wrong_bytes_changes_nothing(api, media):
    data = media.wav(1.0)
    up = _start(api, data)
    half = len(data) // 2
    _chunk(api, up["id"], 0, data[:half])
    wrong = _chunk(api, up["id"], 0, data[half:])
    assert wrong.status_code == 409 and wrong.get_json()["offset"] == half
    bad = _chunk(api, up["id"], half, data[half:], sha=_sha(b"other bytes"))
    assert bad.status_code == 400 and bad.get_json()["code"] == "chunk_corrupt"
    too_long = _chunk(api, up["id"], half, data[half:] + b"extra")
    assert too_long.status_code == 413
    assert api("GET", f"/api/uploads/{up['id']}").get_json()["offset"] == half
    # Not finished: no capture of it.
    early = api("POST", "/api/captures", json={"uploads": [up["id"]]})
    assert early.status_code == 409 and early.get_json()["code"] == "incomplete"


def test_a_whole_that_does_not_match_its_declared_hash_starts_over(api, media):
    data = media.wav(1.0)
    resp = api("POST", "/api/uploads", json={"name": "x.wav", "size": len(data), "sha256": _sha(b"not it")})
    upload_id = resp.get_json()["id"]
    bad = _chunk(api, upload_id, 0, data)
    assert bad.status_code == 400 and bad.get_json()["code"] == "file_corrupt"
    assert api("GET", f"/api/uploads/{upload_id}").get_json()["offset"] == 0


def test_refused_starts(api, app):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    assert api("POST", "/api/uploads", json={"name": "a", "size": 5000, "sha256": "a" * 64}).status_code == 413
    assert api("POST", "/api/uploads", json={"name": "a", "size": 0, "sha256": "a" * 64}).status_code == 400
    assert api("POST", "/api/uploads", json={"name": "a", "size": 10, "sha256": "xyz"}).status_code == 400
    assert api("POST", "/api/uploads", data="not json").status_code == 400
    assert api("GET", "/api/uploads/..%2F..%2Fetc").status_code == 404
    assert api("PATCH", "/api/uploads/" + "a" * 24, data=b"x",
               headers={"Upload-Offset": "0", "X-Chunk-SHA256": _sha(b"x")}).status_code == 404


def test_another_users_upload_answers_like_a_missing_one(client, users, login, csrf_token, media):
    data = media.wav(1.0)
    login(users["cadre_a"])
    token = csrf_token("/capture/")
    up = client.post("/api/uploads", json={"name": "m.wav", "size": len(data), "sha256": _sha(data)},
                     headers={"X-CSRFToken": token}).get_json()
    login(users["cadre_b"])
    token = csrf_token("/capture/")
    assert client.get(f"/api/uploads/{up['id']}").status_code == 404
    assert client.patch(f"/api/uploads/{up['id']}", data=data, headers={
        "X-CSRFToken": token, "Upload-Offset": "0", "X-Chunk-SHA256": _sha(data)}).status_code == 404
    assert client.post("/api/captures", json={"uploads": [up["id"]]},
                       headers={"X-CSRFToken": token}).status_code == 404


def test_uploads_need_login_and_csrf(client, users, login, media):
    assert client.get("/api/uploads/" + "a" * 24).status_code == 401
    # Signed out: the page is told so, to ask for a sign-in and keep its queue.
    assert client.get("/api/session").status_code == 401
    login(users["cadre_a"])
    resp = client.post("/api/uploads", json={"name": "a", "size": 1, "sha256": "a" * 64})
    assert resp.status_code == 400 and resp.get_json()["code"] == "csrf"
    resp = client.patch("/api/uploads/" + "a" * 24, data=b"x", headers={"Upload-Offset": "0", "X-Chunk-SHA256": "0" * 64})
    assert resp.status_code == 400 and resp.get_json()["code"] == "csrf"
    assert client.get("/api/session").get_json()["signed_in"] is True


def test_an_oversized_form_file_is_refused_by_its_length_before_it_is_read(app, client, users, login, csrf_token,
                                                                          media, monkeypatch, storage):
    """The multipart path: Werkzeug spooled the file to disk; its length decides before the
    bytes are read into memory for intake."""
    from webapp.capture import service

    def never(*_a, **_k):
        raise AssertionError("the oversized file was read for intake")

    monkeypatch.setattr(service, "_ingest", never)
    app.config["MAX_UPLOAD_BYTES"] = 10_000
    login(users["cadre_a"])
    resp = client.post("/api/captures", data={"files": [(io.BytesIO(media.wav(2.0)), "big.wav")]},
                       headers={"X-CSRFToken": csrf_token("/capture/")}, content_type="multipart/form-data")
    assert resp.status_code == 413 and "过大" in resp.get_json()["error"]
    assert storage.files() == []


@pytest.fixture
def chunks(tmp_path):
    return uploads.FolderChunks(tmp_path / "chunks")


def test_sweep_removes_only_stale_uploads(session, users, chunks):
    import datetime as dt

    uid = users["cadre_a"].id
    fresh = uploads.start(session, chunks, uid, "a.wav", 10, "a" * 64, 100)
    stale = uploads.start(session, chunks, uid, "b.wav", 10, "b" * 64, 100)
    tok = uploads.new_claim()
    up = uploads.claim(session, uid, stale.id, 0, tok)
    length, key, _ = uploads.receive(chunks, up, tok, _sha(b"01234"), io.BytesIO(b"01234"), 5)
    uploads.settle(session, chunks, uid, stale.id, tok, length, _sha(b"01234"), key)
    session.execute(update(ResumableUpload).where(ResumableUpload.id == stale.id)
                    .values(updated_at=dt.datetime.utcnow() - dt.timedelta(seconds=uploads.KEEP_SECONDS + 60)))
    assert (chunks.root / stale.id).is_dir()
    assert uploads.sweep(session, chunks) == 1
    assert uploads.get(session, uid, fresh.id).offset == 0
    with pytest.raises(uploads.UploadError):
        uploads.get(session, uid, stale.id)
    assert not (chunks.root / stale.id).exists()


def _send(session, chunks, uid, upload_id, offset, piece, stream=None, length=None):
    tok = uploads.new_claim()
    up = uploads.claim(session, uid, upload_id, offset, tok)
    session.commit()
    try:
        got, key, _ = uploads.receive(chunks, up, tok, _sha(piece), stream or io.BytesIO(piece),
                                   len(piece) if length is None else length)
        up = uploads.settle(session, chunks, uid, upload_id, tok, got, _sha(piece), key)
        session.commit()
    except BaseException:
        session.rollback()
        uploads.release(session, upload_id, tok)
        session.commit()
        raise
    return up


def test_a_connection_dropped_mid_chunk_keeps_what_was_acknowledged(session, users, chunks):
    uid = users["cadre_a"].id
    data = bytes(range(256)) * 100
    up = uploads.start(session, chunks, uid, "a.wav", len(data), _sha(data), 10**6)
    _send(session, chunks, uid, up.id, 0, data[:10000])

    class Dropped(io.RawIOBase):
        sent = 0

        def read(self, n=-1):
            if self.sent:
                raise ConnectionResetError("client went away")
            self.sent = 1
            return data[10000:12000]

    with pytest.raises(ConnectionResetError):
        _send(session, chunks, uid, up.id, 10000, data[10000:], stream=Dropped())
    assert uploads.get(session, uid, up.id).offset == 10000
    # The claim was given back: the next try goes through at once.
    done = _send(session, chunks, uid, up.id, 10000, data[10000:])
    assert done.complete and uploads.read_complete(session, chunks, uid, up.id)[1] == data


def test_one_user_holds_a_bounded_number_of_unfinished_uploads(session, users, chunks):
    a, b = users["cadre_a"].id, users["cadre_b"].id
    for i in range(uploads.MAX_OPEN):
        uploads.start(session, chunks, a, "a.wav", 10, f"{i:064x}", 100)
    with pytest.raises(uploads.UploadError) as err:
        uploads.start(session, chunks, a, "b.wav", 10, "f" * 64, 100)
    assert err.value.status == 429
    # The same file again still resumes; another user is not affected.
    assert uploads.start(session, chunks, a, "a.wav", 10, f"{0:064x}", 100).offset == 0
    assert uploads.start(session, chunks, b, "b.wav", 10, "f" * 64, 100).offset == 0


def test_a_writer_whose_lease_ran_out_loses_the_upload_to_the_next(session, users, chunks):
    """A server that died mid-chunk holds the upload only for the lease; its late settle is
    refused and its chunk dropped."""
    import datetime as dt

    uid = users["cadre_a"].id
    data = b"x" * 1000
    up = uploads.start(session, chunks, uid, "a.wav", len(data), _sha(data), 10**6)
    dead = uploads.new_claim()
    claimed = uploads.claim(session, uid, up.id, 0, dead)
    with pytest.raises(uploads.UploadError) as busy:
        uploads.claim(session, uid, up.id, 0, uploads.new_claim())
    assert busy.value.code == "busy" and busy.value.status == 409
    late_len, late_key, _ = uploads.receive(chunks, claimed, dead, _sha(data[:10]), io.BytesIO(data[:10]), 10)
    session.execute(update(ResumableUpload).where(ResumableUpload.id == up.id).values(
        writer_since=dt.datetime.utcnow() - dt.timedelta(seconds=uploads.LEASE_SECONDS + 1)))
    assert _send(session, chunks, uid, up.id, 0, data).complete
    with pytest.raises(uploads.UploadError) as lost:
        uploads.settle(session, chunks, uid, up.id, dead, late_len, _sha(data[:10]), late_key)
    assert lost.value.code == "busy"
    assert uploads.read_complete(session, chunks, uid, up.id)[1] == data
