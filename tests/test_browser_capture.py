"""The offline capture app in headless Chromium (slow, browser): service worker and offline reload,
recordings kept across reloads, a throttled upload cut halfway that resumes, a lost answer whose
retry is a success, and photos shrunk in the browser with their EXIF date. The recognizer is the
fake one: this is about the page and the upload path, not the models.

Drives tests/browser/offline_capture.js against `minxin serve` (see tests/test_browser.py).
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import struct
import wave
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, OUT, ROOT, _need, _node, _seed, _serving

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]

EXIF_TIME = "2024:05:01 09:30:00"  # local time on the phone (Asia/Shanghai)


def _wav(path: Path, seconds: float, tone: float) -> Path:
    import random

    rnd = random.Random(seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(
            struct.pack("<h", int(2500 * math.sin(i * tone) + rnd.randint(-400, 400)))
            for i in range(int(16000 * seconds))))
    return path


def _photo(path: Path) -> Path:
    """A 4000x3000 camera JPEG lying on its side (EXIF orientation 6) with its time in EXIF."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(7)
    paper = np.clip(rng.normal(235, 12, (3000, 4000, 3)), 0, 255).astype("uint8")
    img = Image.fromarray(paper)
    draw = ImageDraw.Draw(img)
    for y in range(200, 2900, 150):
        draw.line([(150, y), (3850, y)], fill=(120, 140, 200), width=4)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[36867] = EXIF_TIME
    img.save(path, "JPEG", quality=95, exif=exif)
    return path


def _stored(instance: Path, capture_id: int):
    from sqlalchemy import select

    from capture.models import Capture
    from capture.storage import LocalStorage
    from core import db

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    try:
        with db.SessionFactory(bind=engine) as s:
            c = s.scalars(select(Capture).where(Capture.id == capture_id)).one()
            storage = LocalStorage(instance / "data" / "originals")
            return c.captured_at, [(f.media_type, storage.open(f.sha256).read()) for f in c.files]
    finally:
        engine.dispose()


def _audio_captures(instance: Path) -> list[bytes]:
    from sqlalchemy import select

    from capture.models import CaptureFile
    from capture.storage import LocalStorage
    from core import db

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    try:
        with db.SessionFactory(bind=engine) as s:
            files = s.scalars(select(CaptureFile).where(CaptureFile.original_name.like("memo-%"))).all()
            storage = LocalStorage(instance / "data" / "originals")
            return [storage.open(f.sha256).read() for f in files]
    finally:
        engine.dispose()


def _seconds_and_codec(data: bytes) -> tuple[float, str]:
    import av

    with av.open(io.BytesIO(data)) as c:
        stream = c.streams.audio[0]
        samples = sum(f.samples for f in c.decode(audio=0))
        return samples / stream.codec_context.sample_rate, stream.codec_context.name


def test_offline_capture_app_in_chromium(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    _seed(instance)
    from webapp.capture.views import OfflineSettings

    long_side = OfflineSettings().photo_long_side
    big = _wav(tmp_path / "long-memo.wav", 60, 0.031)
    small = _wav(tmp_path / "short-memo.wav", 2, 0.07)
    first = _wav(tmp_path / "first-memo.wav", 3, 0.05)
    photo = _photo(tmp_path / "page.jpg")
    with _serving(instance, "fake", "browser-capture-server.log") as base:
        run = _node("offline_capture.js", base, CADRE="cadre_a", BIG_AUDIO=str(big), SMALL_AUDIO=str(small),
                    FIRST_AUDIO=str(first), BIG_PHOTO=str(photo))
    (OUT / "browser-capture.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-6000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout

    # The photo as the server stored it: shrunk to the long side, upright, its EXIF date kept.
    from PIL import Image

    photo_id = int(re.search(r"RESULT photo id=(\d+)", run.stdout).group(1))
    captured_at, files = _stored(instance, photo_id)
    media_type, data = files[0]
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        assert media_type == "image/jpeg" and max(img.size) == long_side, img.size
        assert img.width < img.height, f"orientation applied: {img.size}"
        assert exif.get(0x0112, 1) == 1
        assert exif.get_ifd(0x8769).get(36867) == EXIF_TIME
    # EXIF time is the phone's local time (UTC+8); the server keeps UTC.
    assert captured_at == dt.datetime(2024, 5, 1, 1, 30), captured_at

    # The memos recorded in the browser: Opus at a speech bitrate.
    memos = _audio_captures(instance)
    assert len(memos) == 2
    for data in memos:
        seconds, codec = _seconds_and_codec(data)
        kbit = len(data) * 8 / seconds / 1000
        print(f"recorded memo: {codec}, {seconds:.1f} s, {len(data)} bytes, {kbit:.1f} kbit/s")
        assert codec == "opus" and seconds > 1.5 and kbit < 40, (codec, seconds, kbit)
