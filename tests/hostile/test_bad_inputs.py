"""Bad input at the upload door: every generated case ends in a clean refusal (4xx with a
reason) or a correct result, never a 500, never a half-written file or a row left behind.

The corpus (tests/hostile/corpus.py) is sent through the real API as a signed-in cadre. The
test iterates, counts, prints "N cases tried, M handled", and fails listing every case that
went wrong.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from capture.sniff import sniff
from tests.hostile import corpus
from tests.hostile.corpus import ACCEPT, ACCEPT_OR_REFUSE, PER_FILE_LIMIT, Case
from tests.hostile.counts import report
from tests.hostile.support import Media, chain_problems, data_files, login_client, row_counts, temp_leftovers

TALLY = {"tried": 0, "passed": 0}


@pytest.fixture
def app_settings():
    return {"MAX_UPLOAD_BYTES": PER_FILE_LIMIT}


def _quote_name(name: str) -> bytes:
    # What browsers do with a file name in multipart (HTML spec): escape CR, LF and '"'.
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22").encode("utf-8")


def multipart(files, form, boundary=b"hostile-boundary-7d1"):
    out = []
    for key, value in form.items():
        out += [b"--" + boundary + b"\r\n",
                b'Content-Disposition: form-data; name="' + key.encode() + b'"\r\n\r\n',
                value.encode("utf-8"), b"\r\n"]
    for name, data, claimed in files:
        out += [b"--" + boundary + b"\r\n",
                b'Content-Disposition: form-data; name="files"; filename="' + _quote_name(name) + b'"\r\n']
        if claimed:
            out.append(b"Content-Type: " + claimed.encode() + b"\r\n")
        out += [b"\r\n", data, b"\r\n"]
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + boundary.decode()


def send(client, token, case: Case):
    if case.raw_body is not None:
        body, ctype = case.raw_body, case.raw_type
    else:
        body, ctype = multipart(case.files, case.form)
    headers = {"X-CSRFToken": token, "Content-Type": ctype, **case.headers}
    return client.post("/api/captures", data=body, headers=headers)


def check_accepted(app, client, session, case: Case, resp, before_files) -> list[str]:
    from capture.models import Capture
    from capture.storage import get_storage

    problems = []
    if resp.status_code != 201:
        return [f"expected 201, got {resp.status_code}: {resp.get_data(as_text=True)[:200]}"]
    cid = resp.get_json()["id"]
    session.expire_all()
    capture = session.get(Capture, cid)
    storage = get_storage(app.config)
    if capture is None or len(capture.files) != len(case.files):
        return ["capture missing or files missing"]
    for f, (name, data, _claimed) in zip(capture.files, case.files):
        if f.media_type != sniff(data):
            problems.append(f"stored as {f.media_type}, content is {sniff(data)}")
        with storage.open(f.sha256) as fh:
            if fh.read() != data:
                problems.append("stored bytes differ")
        if len(f.original_name) > 255:
            problems.append("original name longer than its column")
    # Stored only under the data folder, only complete files, nothing beside the shards.
    new = data_files(app) - before_files
    if any(not n.startswith("originals/") or n.count("/") != 3 for n in new):
        problems.append(f"unexpected files {sorted(new)[:3]}")
    # The pages showing it: no markup from the name gets through, headers stay intact.
    page = client.get(f"/capture/{cid}")
    text = page.get_data(as_text=True)
    if page.status_code != 200 or "<script>alert" in text:
        problems.append(f"detail page {page.status_code} or unescaped markup")
    orig = client.get(f"/capture/{cid}/files/0")
    if orig.status_code != 200 or orig.data != case.files[0][1]:
        problems.append(f"original download {orig.status_code}")
    if orig.headers.get("Content-Type", "").split(";")[0] != sniff(case.files[0][1]):
        problems.append(f"original served as {orig.headers.get('Content-Type')}")
    if orig.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("original served without X-Content-Type-Options: nosniff")
    if "pwned" in str(orig.headers.getlist("Set-Cookie")) or any("\n" in v or "\r" in v for _k, v in orig.headers):
        problems.append("header injection through the file name")
    listing = client.get("/api/captures")
    if listing.status_code != 200:
        problems.append(f"listing {listing.status_code}")
    return problems


def check_refused(app, case: Case, resp, before_rows, before_files, engine) -> list[str]:
    problems = []
    allowed = case.expect if isinstance(case.expect, tuple) else None
    if not 400 <= resp.status_code < 500:
        problems.append(f"status {resp.status_code}")
    elif allowed and resp.status_code not in allowed:
        problems.append(f"status {resp.status_code}, expected one of {allowed}")
    body = resp.get_json(silent=True) or {}
    if not body.get("error"):
        problems.append(f"no reason given: {resp.get_data(as_text=True)[:120]!r}")
    if case.code and body.get("code") != case.code:
        problems.append(f"code {body.get('code')!r}, expected {case.code!r}")
    if row_counts(engine) != before_rows:
        problems.append("rows left behind")
    if data_files(app) != before_files:
        problems.append(f"files left behind: {sorted(data_files(app) - before_files)[:3]}")
    return problems


def run_case(app, client, token, session, case: Case) -> list[str]:
    engine = app.extensions["minxin.engine"]
    before_rows, before_files = row_counts(engine), data_files(app)
    try:
        resp = send(client, token, case)
    except Exception as exc:  # the app must answer, not raise
        return [f"raised {type(exc).__name__}: {exc}"]
    if resp.status_code >= 500:
        return [f"server error {resp.status_code}: {resp.get_data(as_text=True)[:200]}"]
    problems = []
    if case.expect == ACCEPT or (case.expect == ACCEPT_OR_REFUSE and resp.status_code == 201):
        problems = check_accepted(app, client, session, case, resp, before_files)
    else:
        problems = check_refused(app, case, resp, before_rows, before_files, engine)
    if temp_leftovers(app):
        problems.append(f"temp files left: {temp_leftovers(app)}")
    return problems


def test_bad_upload_corpus(app, users, session, request):
    cases = corpus.build()
    assert len(cases) >= 200
    client, token = login_client(app, "cadre_a")
    failures = []
    for case in cases:
        problems = run_case(app, client, token, session, case)
        if problems:
            failures.append(f"[{case.group}] {case.name}: {'; '.join(problems)}")
    assert not chain_problems(app.extensions["minxin.engine"])
    passed = len(cases) - len(failures)
    TALLY["tried"] += len(cases)
    TALLY["passed"] += passed
    report("bad inputs: uploads", len(cases), passed, config=request.config)
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)


def test_duplicate_uploads_make_one_capture_and_name_it(app, users, session, request):
    """Same bytes twice from one cadre (also under another name, also as the form): one capture,
    answered as success with its id (a retry after a lost answer). Another cadre sending the same
    bytes gets a capture of their own and learns nothing of the first."""
    from capture.models import Capture

    client, token = login_client(app, "cadre_a")
    other, other_token = login_client(app, "cadre_b")
    tried = passed = 0
    for label, files in (("memo", [("memo.wav", Media.wav(5), "audio/wav")]),
                         ("page set", [("p1.png", Media.image("PNG", 5), "image/png"),
                                       ("p2.jpg", Media.image("JPEG", 6), "image/jpeg")])):
        body, ctype = multipart(files, {})
        first = client.post("/api/captures", data=body, headers={"X-CSRFToken": token, "Content-Type": ctype})
        assert first.status_code == 201
        cid = first.get_json()["id"]
        files_after_first = data_files(app)
        renamed = [("again-" + n, d, "application/octet-stream") for n, d, _c in files]
        attempts = [(client, token, files), (client, token, renamed), (other, other_token, files)]
        for who, tok, fs in attempts:
            tried += 1
            body, ctype = multipart(fs, {})
            resp = who.post("/api/captures", data=body, headers={"X-CSRFToken": tok, "Content-Type": ctype})
            data = resp.get_json()
            # The stored originals are content-addressed: the same bytes are never stored twice.
            ok = data_files(app) == files_after_first
            if who is client:
                # The uploader learns it is there already, as success.
                ok = ok and (resp.status_code == 200 and data.get("duplicate") is True and data.get("id") == cid
                             and f"#{cid}" in data["message"])
            else:
                # Another cadre: a capture of their own, no word of the first, which stays hidden.
                ok = ok and (resp.status_code == 201 and "duplicate" not in data and data["id"] != cid
                             and f"#{cid}" not in resp.get_data(as_text=True)
                             and who.get(f"/api/captures/{cid}").status_code == 404)
            passed += ok
        session.expire_all()
        tried += 1
        uploader = session.scalars(select(Capture.uploader_id).where(Capture.id == cid)).one()
        passed += len(session.scalars(select(Capture).where(Capture.uploader_id == uploader)).all()) == \
            (1 if label == "memo" else 2)
    # The upload form says so too, and lands on the existing capture.
    tried += 1
    page_token = client.get("/capture/").get_data(as_text=True)
    from tests.hostile.support import csrf_from

    resp = client.post("/capture/", data={"csrf_token": csrf_from(page_token),
                                          "files": (__import__("io").BytesIO(Media.wav(5)), "memo.wav")},
                       content_type="multipart/form-data")
    passed += resp.status_code == 302 and resp.headers["Location"].endswith("/capture/1")
    TALLY["tried"] += tried
    TALLY["passed"] += passed
    report("bad inputs: duplicate uploads", tried, passed, config=request.config)
    assert passed == tried


@pytest.mark.parametrize("label", ["memo", "page", "page set"])
def test_concurrent_uploads_of_the_same_file_make_exactly_one_capture(app, users, session, label, request):
    from capture.models import Capture, CaptureFile

    n = 6
    files = {"memo": [("memo.wav", Media.wav(77), "audio/wav")],
             "page": [("page.png", Media.image("PNG", 77), "image/png")],
             "page set": [("a.jpg", Media.image("JPEG", 78), "image/jpeg"),
                          ("b.png", Media.image("PNG", 79), "image/png")]}[label]
    clients = [login_client(app, "cadre_a") for _ in range(n)]
    body, ctype = multipart(files, {})
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def upload(client, token):
        barrier.wait()
        resp = client.post("/api/captures", data=body, headers={"X-CSRFToken": token, "Content-Type": ctype})
        with lock:
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=upload, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    captures = session.scalars(select(Capture)).all()
    stored = [f for f in data_files(app) if f.startswith("originals/")]
    ok = (sorted(statuses) == [200] * (n - 1) + [201] and len(captures) == 1
          and len(session.scalars(select(CaptureFile)).all()) == len(files)
          and len(stored) == len(files) and not temp_leftovers(app))
    TALLY["tried"] += 1
    TALLY["passed"] += ok
    report(f"bad inputs: concurrent uploads ({label})", 1, int(ok), config=request.config)
    assert ok, (statuses, len(captures), stored)
