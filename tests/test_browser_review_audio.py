"""The review screen's words on a real clip in headless Chromium (slow, browser): flagged word
click -> player position, F, field focus playback, a transcript correction and re-extract.

Needs what tests/test_browser.py needs (Chromium, `npm ci`, the shared clips)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.test_browser import CHROMIUM, CLIP, OUT, ROOT, SHARED, _need, _node, _seed, _serving

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_flagged_word_click_plays_and_a_correction_re_extracts(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"),
          (SHARED / "eval" / "audio" / CLIP, "the shared Mandarin clips (MINXIN_SHARED_DIR)"))
    instance = tmp_path / "instance"
    instance.mkdir()
    _seed(instance)
    env = {**os.environ, "MINXIN_INSTANCE_PATH": str(instance)}
    subprocess.run([sys.executable, "-m", "webapp.cli", "ingest", str(SHARED / "eval" / "audio" / CLIP),
                    "--cadre", "cadre_a"], cwd=ROOT, env=env, check=True, capture_output=True)
    with _serving(instance, "real", "browser-audio-server.log") as base:
        db = sqlite3.connect(instance / "minxin.sqlite")
        for _ in range(600):  # the embedded worker recognizes it with the real Whisper
            row = db.execute("select id, status from captures order by id desc limit 1").fetchone()
            if row and row[1] in ("ready_for_review", "failed"):
                break
            time.sleep(1)
        db.close()
        assert row and row[1] == "ready_for_review", row
        run = _node("review_audio.js", base, CAPTURE_ID=str(row[0]), SUPERVISOR="sup_gulouzi")
    (OUT / "browser-audio.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    assert (OUT / "screenshots" / "review-audio-words.png").stat().st_size > 10_000
