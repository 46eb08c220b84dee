"""tus 1.0 (webapp/api/tus.py) tested with the maintained client, tus-js-client 4.3.1 (MIT; its
browser build vendored in webapp/static/vendor/), in Chromium against a real threaded server: an upload sent in chunks, stopped halfway, resumed from
its URL, and made into a capture whose bytes hash to the file. Plus the protocol's refusals
(checksum, version, termination) over plain HTTP."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from capture.models import Capture
from tests.test_upload_races import served, signed_in  # noqa: F401 - fixture and helper

ROOT = Path(__file__).resolve().parent.parent


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.browser
def test_tus_js_client_sends_stops_resumes_and_the_capture_is_the_file(served, users, media, session, tmp_path):
    from tests.test_browser import CHROMIUM, PASSWORD, _need

    _need((CHROMIUM, "apt-get install -y chromium"), (ROOT / "node_modules" / "playwright-core", "npm ci"))
    data = media.wav(2.0)
    path = tmp_path / "memo.wav"
    path.write_bytes(data)
    run = subprocess.run(["node", str(ROOT / "tests" / "browser" / "tus_upload.js")], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env={**os.environ, "BASE_URL": served, "FILE": str(path),
                                                     "CHROMIUM": CHROMIUM, "CADRE": users["cadre_a"].login,
                                                     "PASSWORD": PASSWORD, "CHUNK": "8000", "STOP_AFTER": "3"})
    assert run.returncode == 0, run.stdout[-1000:] + run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["resumedFrom"] == 24000 and result["chunks"] == -(-len(data) // 8000), result
    assert result["status"] == 201, result
    assert session.get(Capture, result["capture"]["id"]).files[0].sha256 == _sha(data)


def test_tus_refusals_checksum_version_and_termination(served, users, media):
    s, token = signed_in(served, users["cadre_a"].login)
    base = f"{served}/api/tus/"
    data = media.wav(1.0)
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token}
    options = s.options(base)
    assert options.status_code == 204 and "checksum" in options.headers["Tus-Extension"]
    meta = f"filename {base64.b64encode(b'm.wav').decode()},sha256 {base64.b64encode(_sha(data).encode()).decode()}"
    assert s.post(base, headers={**tus, "Tus-Resumable": "0.2.2", "Upload-Length": str(len(data)),
                                 "Upload-Metadata": meta}).status_code == 412
    created = s.post(base, headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": meta})
    assert created.status_code == 201
    url = created.headers["Location"]
    patch = {**tus, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    bad = s.patch(url, data=data[:1000], headers={**patch, "Upload-Checksum": f"sha1 {wrong}"})
    assert bad.status_code == 460
    assert s.head(url, headers=tus).headers["Upload-Offset"] == "0"
    right = base64.b64encode(hashlib.sha1(data[:1000]).digest()).decode()
    ok = s.patch(url, data=data[:1000], headers={**patch, "Upload-Checksum": f"sha1 {right}"})
    assert ok.status_code == 204 and ok.headers["Upload-Offset"] == "1000"
    assert s.patch(url, data=data[:1000], headers=patch).status_code == 409  # that offset is past
    assert s.delete(url, headers=tus).status_code == 204
    assert s.head(url, headers=tus).status_code == 404
