"""The real app in headless Chromium, with the real recognizers (slow).

Starts `minxin serve` (web app + embedded worker) on a free 127.0.0.1 port with a fresh instance
folder, then runs tests/browser/review_flow.js (Playwright from npm, Debian's /usr/bin/chromium);
tests/browser/outbox_and_recorder.js checks the capture page's recorder and offline outbox.
Screenshots go to test-output/screenshots/; with MINXIN_UPDATE_SCREENSHOTS=1 they are also copied
to docs/screenshots/.

Needs: `apt-get install -y chromium chromium-driver fonts-arphic-ukai`, `npm ci` at the repo root,
and the real Mandarin clips in ../shared/eval/audio (or MINXIN_SHARED_DIR).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MINXIN_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
OUT = Path(os.environ.get("MINXIN_TEST_OUTPUT") or ROOT / "test-output")
CHROMIUM = os.environ.get("MINXIN_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct-horse-42"
CLIP = "BAC009S0764W0121.wav"  # 甚至出现交易几乎停滞的情况 (FireRedASR example, Apache-2.0)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(3600)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _page_photo(tmp: Path) -> Path:
    """A sample notebook page: samples/pages/*.jpg, or one rendered now by samples/make_pages.py."""
    existing = sorted((ROOT / "samples" / "pages").glob("*.jpg"))
    if existing:
        return existing[0]
    out = tmp / "pages"
    subprocess.run([sys.executable, str(ROOT / "samples" / "make_pages.py"), "--out", str(out), "--seeds", "1"],
                   check=True, cwd=ROOT)
    return sorted(out.glob("*.jpg"))[0]


def _seed(instance: Path) -> None:
    """Schema by the migrations; the demo county's units; a cadre and the township supervisor."""
    from core import db
    from ops.migrate import upgrade
    from org.users import add_org_unit, create_user

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    upgrade(engine)
    with db.SessionFactory(bind=engine) as s:
        county = add_org_unit(s, "宽甸县", "county")
        town = add_org_unit(s, "古楼子乡", "township", county)
        village = add_org_unit(s, "南荒沟村", "village", town)
        create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        s.commit()
    engine.dispose()


@contextlib.contextmanager
def _serving(instance: Path, recognizer: str, log_name: str):
    """`minxin serve` (web app + embedded worker) on a free port; yields the base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "MINXIN_INSTANCE_PATH": str(instance),
        "MINXIN_INSECURE_COOKIES": "1",
        "MINXIN_RECOGNIZER": recognizer,
        "MINXIN_WORKER_POLL_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / log_name
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(240):
                if server.poll() is not None:
                    pytest.fail(f"server exited: {log_path.read_text()[-3000:]}")
                try:
                    urllib.request.urlopen(base + "/login", timeout=5)
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                pytest.fail("server did not answer within two minutes")
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def _node(script: str, base: str, **inputs) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(ROOT / "tests" / "browser" / script)], cwd=ROOT,
                          env={**os.environ, "BASE_URL": base, "OUT_DIR": str(OUT), "CHROMIUM": CHROMIUM,
                               "PASSWORD": PASSWORD, **inputs},
                          capture_output=True, text=True, timeout=3000)


def _need(*paths: tuple) -> None:
    for need, why in paths:
        assert Path(need).exists(), f"missing {need}: {why}"


def test_cadre_uploads_supervisor_reviews_in_chromium(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"),
          (SHARED / "eval" / "audio" / CLIP, "the shared Mandarin clips (MINXIN_SHARED_DIR)"))
    instance = tmp_path / "instance"
    instance.mkdir()
    _seed(instance)
    photo = _page_photo(tmp_path)
    log_path = OUT / "browser-server.log"
    with _serving(instance, "real", log_path.name) as base:
        run = _node("review_flow.js", base, PAGE_PHOTO=str(photo), AUDIO_CLIP=str(SHARED / "eval" / "audio" / CLIP),
                    CADRE="cadre_a", SUPERVISOR="sup_gulouzi")
    (OUT / "browser-flow.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-6000:])
    assert run.returncode == 0, (run.stdout[-4000:] + "\n" + run.stderr[-4000:]
                                 + "\n--- server ---\n" + log_path.read_text()[-3000:])
    assert "ALL CHECKS PASSED" in run.stdout
    shots = OUT / "screenshots"
    for name in ("login.png", "capture-phone.png", "review-queue.png", "review-pages.png", "review-audio.png"):
        assert (shots / name).stat().st_size > 10_000, name
    if os.environ.get("MINXIN_UPDATE_SCREENSHOTS") == "1":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        for png in shots.glob("*.png"):
            shutil.copyfile(png, docs / png.name)


def test_recorded_memo_and_offline_outbox_in_chromium(tmp_path):
    """MediaRecorder on Chromium's fake microphone, and uploads kept in IndexedDB while offline
    (the recognizer is the fake one: this is about the page, not the models)."""
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    _seed(instance)
    photos = sorted((ROOT / "samples" / "pages").glob("*.jpg"))[:2]
    assert len(photos) == 2
    with _serving(instance, "fake", "browser-outbox-server.log") as base:
        run = _node("outbox_and_recorder.js", base, PHOTO_A=str(photos[0]), PHOTO_B=str(photos[1]), CADRE="cadre_a",
                    SUPERVISOR="sup_gulouzi")
    (OUT / "browser-outbox.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    assert (OUT / "screenshots" / "capture-offline.png").stat().st_size > 10_000
