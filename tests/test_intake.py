"""Intake: media types from content, the store of originals, and refusals that leave nothing behind."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from capture.intake import DuplicateCapture, IntakeError, ingest
from capture.models import Capture, CaptureFile
from capture.sniff import kind_of, sniff
from capture.storage import LocalStorage, shard
from core.models import AuditEvent
from jobs.models import Job

# --- sniffing ------------------------------------------------------------------------------

HEADERS = {
    "audio/wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "audio/mpeg": b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"\xff\xfb\x90\x64",
    "audio/aac": b"\xff\xf1\x50\x80\x02\x1f\xfc",
    "audio/amr": b"#!AMR\n\x3c\x48",
    "audio/amr-wb": b"#!AMR-WB\n\x04",
    "audio/ogg": b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead",
    "audio/webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
    "audio/flac": b"fLaC\x00\x00\x00\x22",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
}


@pytest.mark.parametrize("media_type,head", sorted(HEADERS.items()))
def test_sniff_known_headers(media_type, head):
    assert sniff(head + b"\x00" * 32) == media_type


@pytest.mark.parametrize(
    "brand,compatible,expected",
    [
        (b"M4A ", b"M4A mp42isom", "audio/mp4"),
        (b"isom", b"isomiso2mp41", "audio/mp4"),
        (b"mp42", b"mp42isom", "audio/mp4"),
        (b"heic", b"mif1heic", "image/heic"),
        (b"mif1", b"mif1miaf", "image/heif"),
    ],
)
def test_sniff_iso_media_brands(brand, compatible, expected):
    box = b"ftyp" + brand + b"\x00\x00\x00\x00" + compatible
    data = (len(box) + 4).to_bytes(4, "big") + box + b"\x00" * 16
    assert sniff(data) == expected


def test_sniff_ignores_file_names_and_refuses_other_content(media):
    assert sniff(b"%PDF-1.7 ...") is None
    assert sniff(b"hello, this is text") is None
    assert sniff(b"PK\x03\x04zipfile") is None
    assert sniff(b"") is None
    assert sniff(media.wav()) == "audio/wav"
    assert kind_of("audio/wav") == "audio" and kind_of("image/png") == "pages"


def test_real_files_sniff_as_what_they_are(media):
    assert sniff(media.image("JPEG")) == "image/jpeg"
    assert sniff(media.image("PNG")) == "image/png"
    assert sniff(media.image("WEBP")) == "image/webp"


# --- storage -------------------------------------------------------------------------------

def test_local_storage_is_content_addressed_and_sharded(tmp_path):
    store = LocalStorage(tmp_path / "o")
    key = store.put(b"abc")
    assert key == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    path = store.local_path(key)
    assert path == tmp_path / "o" / "ba" / "78" / key
    assert shard(key) == f"ba/78/{key}"
    assert store.put(b"abc") == key and store.open(key).read() == b"abc"
    assert [p.name for p in store.files()] == [key]
    store.delete(key)
    assert not store.exists(key) and store.files() == []
    with pytest.raises(ValueError):
        store.local_path("../../etc/passwd")


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    import os

    store = LocalStorage(tmp_path / "o")

    def boom(*_a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        store.put(b"half")
    assert not any(p.is_file() for p in (tmp_path / "o").rglob("*"))


# --- ingest --------------------------------------------------------------------------------

def _counts(session):
    return (
        session.scalar(select(func.count()).select_from(Capture)),
        session.scalar(select(func.count()).select_from(CaptureFile)),
        session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "capture.create")),
    )


def test_ingest_stores_original_before_rows_and_audits(session, users, storage, media):
    data = media.wav()
    capture = ingest(session, storage, users["cadre_a"], [("memo.m4a", data)],
                     visit_date_hint=dt.date(2024, 5, 3))
    assert capture.kind == "audio" and capture.status == "received"
    assert capture.org_unit.name == "南荒沟村"
    [f] = capture.files
    assert f.media_type == "audio/wav"  # from the content, not the .m4a name
    assert f.size == len(data) and storage.open(f.sha256).read() == data
    assert capture.visit_date_hint == dt.date(2024, 5, 3)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "capture.create")).one()
    assert event.object_id == capture.id and event.actor_label == "cadre_a"
    assert event.after["files"][0]["sha256"] == f.sha256


def test_several_pages_make_one_capture_in_order(session, users, storage, media):
    pages = [(f"p{i}.png", media.image("PNG", size=(60 + i, 40))) for i in range(3)]
    capture = ingest(session, storage, users["cadre_a"], pages)
    assert capture.kind == "pages"
    assert [f.original_name for f in capture.files] == ["p0.png", "p1.png", "p2.png"]
    assert [f.position for f in capture.files] == [0, 1, 2]


def test_capture_time_from_exif_in_china_time(session, users, storage, media):
    photo = media.image("JPEG", exif_time="2024:05:03 09:30:00")
    capture = ingest(session, storage, users["cadre_a"], [("p.jpg", photo)])
    assert capture.captured_at == dt.datetime(2024, 5, 3, 1, 30)  # 09:30 CST = 01:30 UTC


def test_capture_time_from_client_wins(session, users, storage, media):
    photo = media.image("JPEG", exif_time="2024:05:03 09:30:00")
    when = dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    capture = ingest(session, storage, users["cadre_a"], [("p.jpg", photo)], captured_at=when)
    assert capture.captured_at == dt.datetime(2024, 6, 1, 0, 0)


def _truncated_jpeg(media):
    data = media.image("JPEG", size=(200, 200))
    return data[: len(data) // 2]


BAD = {
    "unknown_type": lambda m: [("notes.txt", "走访记录，纯文本".encode())],
    "pdf_named_jpg": lambda m: [("page.jpg", b"%PDF-1.4\n1 0 obj\n")],
    "empty": lambda m: [("memo.wav", b"")],
    "too_large": lambda m: [("big.wav", m.wav(2.0))],
    "corrupt_jpeg": lambda m: [("p.jpg", _truncated_jpeg(m))],
    "corrupt_png": lambda m: [("p.png", b"\x89PNG\r\n\x1a\n" + b"\x13\x37" * 200)],
    "corrupt_wav": lambda m: [("memo.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\xff" * 64)],
    "mixed": lambda m: [("memo.wav", m.wav()), ("p.png", m.image())],
    "two_memos": lambda m: [("a.wav", m.wav(0.2, 1)), ("b.wav", m.wav(0.2, 2))],
    "nothing": lambda m: [],
}
EXPECTED_CODES = {
    "unknown_type": "unknown_type", "pdf_named_jpg": "unknown_type", "empty": "empty",
    "too_large": "too_large", "corrupt_jpeg": "corrupt", "corrupt_png": "corrupt",
    "corrupt_wav": "corrupt", "mixed": "mixed", "two_memos": "too_many_audio", "nothing": "no_files",
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_uploads_are_refused_without_leftovers(case, session, users, storage, media):
    # A good page is stored first, so "nothing left behind" means nothing new.
    ingest(session, storage, users["cadre_b"], [("ok.png", media.image())])
    before_files, before_counts = sorted(storage.files()), _counts(session)
    with pytest.raises(IntakeError) as err:
        ingest(session, storage, users["cadre_a"], BAD[case](media), max_bytes=40_000)
    assert err.value.code == EXPECTED_CODES[case]
    assert str(err.value)  # a reason for the user, Chinese first
    assert sorted(storage.files()) == before_files
    assert _counts(session) == before_counts


def test_failure_after_storing_removes_the_new_file(session, users, storage, media, monkeypatch):
    from core import audit

    def broken_record(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(audit, "record", broken_record)
    with pytest.raises(RuntimeError):
        ingest(session, storage, users["cadre_a"], [("memo.wav", media.wav())])
    assert storage.files() == []
    assert _counts(session) == (0, 0, 0)


def test_duplicate_upload_names_the_existing_capture(session, users, storage, media):
    data = media.wav()
    first = ingest(session, storage, users["cadre_a"], [("a.wav", data)])
    with pytest.raises(DuplicateCapture) as err:
        ingest(session, storage, users["cadre_a"], [("again.wav", data)])
    assert err.value.capture_id == first.id and err.value.status == 409
    assert f"#{first.id}" in str(err.value)
    assert _counts(session)[0] == 1 and len(storage.files()) == 1


def test_same_photo_in_two_page_sets_is_kept_once_and_survives_a_refusal(session, users, storage, media):
    shared, other = media.image(size=(50, 50)), media.image(size=(51, 50))
    ingest(session, storage, users["cadre_a"], [("a.png", shared)])
    with pytest.raises(IntakeError):
        ingest(session, storage, users["cadre_a"], [("a.png", shared), ("x.txt", b"text")])
    assert len(storage.files()) == 1
    second = ingest(session, storage, users["cadre_a"], [("a.png", shared), ("b.png", other)])
    assert len(second.files) == 2 and len(storage.files()) == 2


# --- over HTTP -----------------------------------------------------------------------------

def _post(client, token, files, **form):
    data = {k: v for k, v in form.items()}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/api/captures", data=data, headers={"X-CSRFToken": token},
                       content_type="multipart/form-data")


def test_api_upload_queues_a_job(client, users, login, csrf_token, session, media):
    login(users["cadre_a"])
    token = csrf_token("/capture/")
    resp = _post(client, token, [("p1.png", media.image()), ("p2.jpg", media.image("JPEG"))], visit_date="2024-05-03")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["kind"] == "pages" and body["status"] == "received"
    job = session.scalars(select(Job).where(Job.capture_id == body["id"])).one()
    assert job.status == "queued" and job.queue == "handwriting"
    state = client.get(f"/api/captures/{body['id']}").get_json()
    assert state["status"] == "received" and state["progress"] == 0 and state["job"]["status"] == "queued"
    assert state["visit_date_hint"] == "2024-05-03"


@pytest.mark.parametrize(
    "files,status,code",
    [
        ([("x.txt", b"plain text")], 415, "unknown_type"),
        ([("e.wav", b"")], 400, "empty"),
        ([], 400, "no_files"),
    ],
)
def test_api_refusals_are_4xx_with_a_reason(client, users, login, csrf_token, files, status, code, storage):
    login(users["cadre_a"])
    resp = _post(client, csrf_token("/capture/"), files)
    assert resp.status_code == status
    assert resp.get_json()["code"] == code and resp.get_json()["error"]
    assert storage.files() == []


def test_api_oversize_is_413(app, client, users, login, csrf_token, media, storage):
    app.config["MAX_UPLOAD_BYTES"] = 10_000
    login(users["cadre_a"])
    resp = _post(client, csrf_token("/capture/"), [("big.wav", media.wav(1.0))])
    assert resp.status_code == 413 and "过大" in resp.get_json()["error"]
    assert storage.files() == []


def test_files_over_the_limit_in_all_are_refused_before_any_is_read(app, client, users, login, csrf_token, media,
                                                                   storage, monkeypatch):
    """Four files each under the limit but over it together: refused by their lengths before
    intake reads any of them into memory (the attack: four 99 MB files, +396 MB)."""
    from webapp.capture import service

    app.config["MAX_UPLOAD_BYTES"] = 100_000
    reached = []
    monkeypatch.setattr(service, "_ingest", lambda *a, **k: reached.append(a))
    login(users["cadre_a"])
    files = [(f"p{i}.wav", media.wav(1.0)) for i in range(4)]  # 32 kB each, 128 kB in all
    resp = _post(client, csrf_token("/capture/"), files)
    assert resp.status_code == 413 and "总量过大" in resp.get_json()["error"]
    assert reached == [] and storage.files() == []


def test_api_own_duplicate_is_success_with_existing_id(client, users, login, csrf_token, media):
    """A retry whose first answer was lost: the cadre is told 已上传 #N, not an error."""
    login(users["cadre_a"])
    token = csrf_token("/capture/")
    data = media.wav()
    first = _post(client, token, [("a.wav", data)]).get_json()
    again = _post(client, token, [("b.wav", data)])
    body = again.get_json()
    assert again.status_code == 200 and body["id"] == first["id"] and body["duplicate"] is True
    assert f"已上传 #{first['id']}" in body["message"] and "error" not in body


def test_same_bytes_from_another_cadre_are_their_own_capture(client, users, login, csrf_token, media):
    """Deduplication is within the uploader's own captures: nothing is said about others'."""
    data = media.wav()
    login(users["cadre_a"])
    first = _post(client, csrf_token("/capture/"), [("a.wav", data)]).get_json()
    client.post("/logout", data={"csrf_token": csrf_token("/capture/")})
    login(users["cadre_b"])
    other = _post(client, csrf_token("/capture/"), [("a.wav", data)])
    body = other.get_json()
    assert other.status_code == 201 and body["id"] != first["id"] and "duplicate" not in body
    assert f"#{first['id']}" not in other.get_data(as_text=True)


def test_api_needs_login_and_csrf(client, users, login, media):
    assert client.get("/api/captures/1").status_code == 401
    assert client.get("/api/captures").get_json()["error"].startswith("请先登录")
    login(users["cadre_a"])
    resp = client.post("/api/captures", data={"files": [(io.BytesIO(media.wav()), "a.wav")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.get_json()["code"] == "csrf"  # no CSRF token


def test_upload_form_stores_and_shows_progress(client, users, login, csrf_token, media, session):
    login(users["cadre_a"])
    token = csrf_token("/capture/")
    resp = client.post("/capture/", data={"csrf_token": token, "files": [(io.BytesIO(media.wav()), "m.wav")],
                                          "visit_date": "2024-05-03"},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    capture = session.scalars(select(Capture)).one()
    assert resp.headers["Location"].endswith(f"/capture/{capture.id}")
    page = client.get("/capture/").get_data(as_text=True)
    assert "已接收" in page and "<progress" in page
    bad = client.post("/capture/", data={"csrf_token": token, "files": [(io.BytesIO(b"text"), "t.txt")]},
                      content_type="multipart/form-data")
    assert bad.status_code == 415 and "不支持的文件类型" in bad.get_data(as_text=True)
