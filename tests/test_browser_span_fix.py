"""Span fix on the review screen (issue 25) in headless Chromium: select a phrase in a memo's
transcript, press the problem's key; the field and its highlight change; confirm; the audit
shows the edit with its evidence (tests/browser/review_span_fix.js)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_browser import CHROMIUM, OUT, PASSWORD, ROOT, _need, _node, _serving
from tests.test_browser_review import CONFIDENT, _capture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

LINES = ["今天到南荒沟村走访了李德富", "他家老房子墙体开裂", "下雨天屋里漏水", "我们准备协助申报危房改造"]


def _seed(instance: Path) -> str:
    from capture.storage import get_storage
    from core import db
    from ops.migrate import upgrade
    from org.users import add_org_unit, create_user

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    upgrade(engine)
    storage = get_storage({"STORAGE": "local", "DATA_DIR": str(instance / "data")})
    with db.SessionFactory(bind=engine) as s:
        county = add_org_unit(s, "宽甸县", "county")
        town = add_org_unit(s, "古楼子乡", "township", county)
        village = add_org_unit(s, "南荒沟村", "village", town)
        cadre = create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        memo = _capture(s, storage, cadre, "audio", LINES, problem="墙体开裂", confidence=CONFIDENT)
        s.commit()
    engine.dispose()
    return str(memo)


def test_select_a_phrase_press_the_problem_key_confirm_and_the_audit_shows_it(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    memo = _seed(instance)
    phrase = "他家老房子墙体开裂，下雨天屋里漏水"  # across two segments of the memo
    with _serving(instance, "fake", "browser-span-fix-server.log") as base:
        run = _node("review_span_fix.js", base, SUPERVISOR="sup_gulouzi", MEMO=memo, PHRASE=phrase, MORE="下雨天屋里漏水")
    (OUT / "browser-span-fix.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout

    from sqlalchemy import select

    from core import db
    from core.models import AuditEvent
    from diary.models import DiaryEntry

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    with db.SessionFactory(bind=engine) as s:
        entry = s.scalar(select(DiaryEntry).where(DiaryEntry.capture_id == int(memo)))
        text = entry.capture.transcript.text
        assert entry.status == "confirmed" and entry.problem == phrase
        start, end = entry.evidence["problem"]
        assert text[start:end] == phrase
        edits = [e for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "entry.edit"))
                 if "problem" in (e.after or {})]
        assert len(edits) == 1
        assert edits[0].after["problem"] == phrase and edits[0].after["evidence"] == [start, end]
        assert edits[0].before["problem"] == "墙体开裂"
        assert entry.solution.endswith("，下雨天屋里漏水")
    engine.dispose()
