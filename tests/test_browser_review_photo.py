"""The review screen's unsure characters on a photographed page in headless Chromium (slow,
browser): a page whose character 界 (in 边界) is half rubbed out is read by the real PP-OCRv6
as something else; that character is flagged in the text and boxed on the photo, F reaches
it, and correcting it re-extracts the draft.

The page is samples/pages/page_5_smudged.jpg (rendered and "photographed" by
samples/make_pages.py --seeds 5 --smudge 3 13: perspective, shading, blur, noise, JPEG).
Needs what tests/test_browser.py needs (Chromium, `npm ci`)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.test_browser import CHROMIUM, OUT, ROOT, _need, _node, _seed, _serving

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]

PAGE = ROOT / "samples" / "pages" / "page_5_smudged.jpg"


def test_a_misread_character_is_flagged_on_the_photo_reached_by_f_and_corrected(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    _seed(instance)
    env = {**os.environ, "MINXIN_INSTANCE_PATH": str(instance)}
    subprocess.run([sys.executable, "-m", "webapp.cli", "ingest", str(PAGE), "--cadre", "cadre_a"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    with _serving(instance, "real", "browser-photo-server.log") as base:
        db = sqlite3.connect(instance / "minxin.sqlite")
        for _ in range(600):  # the embedded worker reads it with the real PP-OCRv6
            row = db.execute("select id, status from captures order by id desc limit 1").fetchone()
            if row and row[1] in ("ready_for_review", "failed"):
                break
            time.sleep(1)
        db.close()
        assert row and row[1] == "ready_for_review", row
        run = _node("review_photo.js", base, CAPTURE_ID=str(row[0]), SUPERVISOR="sup_gulouzi")
    (OUT / "browser-photo.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    assert (OUT / "screenshots" / "review-photo-flag.png").stat().st_size > 10_000
