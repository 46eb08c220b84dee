"""The review screen's issue-19 behaviour in headless Chromium (browser): dialog validation that
keeps the form, Ctrl+Enter in the return and reject dialogs, bulk accept from the queue, the photo's
evidence box kept in view, a confirmed capture read-only, the phone navigation, error pages in
English. The captures are seeded as rows (the fake recognizer serves; this is about the pages,
not the models). Screenshots go to test-output/screenshots/."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import struct
import wave
from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, OUT, PASSWORD, ROOT, _need, _node, _serving

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

PAGE = ROOT / "samples" / "pages" / "page_1.jpg"
CONFIDENT = {f: 0.9 for f in ("visit_date", "place", "interviewee", "visit_method", "problem", "category")}


def _wav(seconds: float = 2.0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(2000 * math.sin(i * 0.05))) for i in range(int(16000 * seconds))))
    return buf.getvalue()


def _capture(s, storage, user, kind, lines, *, problem, confidence, evidence_line=None, n=[0]):
    from capture.models import Capture, CaptureFile
    from diary.models import DiaryEntry, Transcript, TranscriptPiece

    n[0] += 1
    data = PAGE.read_bytes() if kind == "pages" else _wav()
    sha = storage.put(data)
    cap = Capture(kind=kind, status="ready_for_review", uploader_id=user.id, org_unit_id=user.org_unit_id,
                  fingerprint=hashlib.sha256(f"browser-{n[0]}".encode()).hexdigest(), progress=1.0,
                  received_at=dt.datetime(2025, 5, 1, 1, 0) + dt.timedelta(minutes=n[0]))
    s.add(cap)
    s.flush()
    s.add(CaptureFile(capture_id=cap.id, position=0, sha256=sha, size=len(data),
                      media_type="image/jpeg" if kind == "pages" else "audio/wav"))
    sep = "\n" if kind == "pages" else "，"
    text, pieces, pos = "", [], 0
    for i, line in enumerate(lines):
        if i:
            text += sep
            pos += 1
        p = TranscriptPiece(position=i, text=line, confidence=0.9, char_start=pos, char_end=pos + len(line))
        if kind == "pages":
            top = 120 + 140 * i
            p.page, p.polygon = 0, [[90, top], [1110, top], [1110, top + 90], [90, top + 90]]
        else:
            p.start, p.end = i * 2.0, i * 2.0 + 2.0
        pieces.append(p)
        text += line
        pos += len(line)
    s.add(Transcript(capture_id=cap.id, engine="fake", model="fake", text=text, pieces=pieces,
                     page_sizes=[[1200, 1600]] if kind == "pages" else None))
    evidence = {}
    if evidence_line is not None:
        start = sum(len(line) + 1 for line in lines[:evidence_line])
        evidence["reflections"] = [start, start + len(lines[evidence_line])]
    s.add(DiaryEntry(capture_id=cap.id, cadre_id=user.id, org_unit_id=user.org_unit_id,
                     visit_date=dt.date(2025, 5, 1), place="南荒沟村", interviewee="李德富", visit_method="入户走访",
                     problem=problem, solution="协助申报", reflections=lines[-1], category="住房",
                     confidence=confidence, evidence=evidence))
    s.flush()
    return cap.id


def _seed(instance: Path) -> dict:
    from capture.storage import get_storage
    from core import db
    from ops.migrate import upgrade
    from org.users import add_org_unit, create_user

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    upgrade(engine)
    storage = get_storage({"STORAGE": "local", "DATA_DIR": str(instance / "data")})
    page_lines = (ROOT / "samples" / "pages" / "page_1.txt").read_text(encoding="utf-8").split()
    audio_lines = ["今天到南荒沟村走访了李德富", "他家老房子墙体开裂", "我们准备协助申报危房改造"]
    low = {**CONFIDENT, "interviewee": 0.5}
    with db.SessionFactory(bind=engine) as s:
        county = add_org_unit(s, "宽甸县", "county")
        town = add_org_unit(s, "古楼子乡", "township", county)
        village = add_org_unit(s, "南荒沟村", "village", town)
        cadre = create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        ids = {
            "PAGES": _capture(s, storage, cadre, "pages", page_lines, problem="墙体开裂，属于危房", confidence=low,
                              evidence_line=len(page_lines) - 1),
            "VALIDATE": _capture(s, storage, cadre, "audio", audio_lines, problem="老房子墙体开裂", confidence=low),
            "RETURN": _capture(s, storage, cadre, "audio", audio_lines, problem="老房子墙体开裂", confidence=low),
            "REJECT": _capture(s, storage, cadre, "audio", audio_lines, problem="", confidence=low),
            "BULK_A": _capture(s, storage, cadre, "audio", audio_lines, problem="危房需要鉴定", confidence=CONFIDENT),
            "BULK_B": _capture(s, storage, cadre, "audio", audio_lines, problem="", confidence=CONFIDENT),
        }
        s.commit()
    engine.dispose()
    return {k: str(v) for k, v in ids.items()}


def test_review_dialogs_bulk_evidence_and_phone_in_chromium(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    ids = _seed(instance)
    with _serving(instance, "fake", "browser-review-ui-server.log") as base:
        run = _node("review_ui.js", base, CADRE="cadre_a", SUPERVISOR="sup_gulouzi", **ids)
    (OUT / "browser-review-ui.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-6000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    for name in ("review-bulk.png", "review-evidence-box.png", "review-confirm-validation.png",
                 "review-confirmed.png", "review-queue-phone.png", "capture-rejected-phone.png", "error-404-en.png"):
        assert (OUT / "screenshots" / name).stat().st_size > 5_000, name
