"""The county office on the web in headless Chromium (tests/browser/office_flow.js): people
(create, one-time password, reset, deactivate with confirmation, re-enable), search in scope,
a correction with its audit, and the villager's secret evaluation code. The server is
`minxin serve` as in tests/test_browser.py (the fake recognizer: no capture is recognized here)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from test_browser import CHROMIUM, OUT, PASSWORD, ROOT, _need, _node, _serving

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]


def _seed(instance) -> dict:
    from core import db
    from diary.models import DiaryEntry
    from ledger import workflow as wf
    from ops.migrate import upgrade
    from org.users import add_org_unit, create_user

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    upgrade(engine)
    with db.SessionFactory(bind=engine) as s:
        county = add_org_unit(s, "宽甸县", "county")
        town = add_org_unit(s, "古楼子乡", "township", county)
        village = add_org_unit(s, "南荒沟村", "village", town)
        other = add_org_unit(s, "步达远村", "village", add_org_unit(s, "步达远镇", "township", county))
        cadre = create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "cadre_c", PASSWORD, "赵立新", "cadre", other)
        sup = create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        create_user(s, "admin_kd", PASSWORD, "周县管", "admin", county)

        def entry(problem, who):
            e = DiaryEntry(cadre=cadre, org_unit=village, status="confirmed", visit_date=dt.date.today(),
                           place="南荒沟村3组", place_unit=village, interviewee=who, visit_method="入户走访",
                           problem=problem, category="道路桥梁")
            s.add(e)
            s.flush()
            return e

        item = wf.open_item_from_entry(s, entry("3组的路被水冲坏了，孩子上学绕远", "王秀英"), cadre)
        closed = wf.open_item_from_entry(s, entry("村口路灯坏了", "刘德明"), cadre)
        wf.record_feedback(s, closed, cadre, "电话告知", dt.datetime.utcnow() - dt.timedelta(hours=1), "已告知")
        wf.solve_now(s, closed, sup, "已换新灯")
        s.commit()
        ids = {"ITEM_ID": str(item.id), "CLOSED_ID": str(closed.id), "CLOSED_NUMBER": closed.code,
               "VILLAGE_ID": str(village.id)}
    engine.dispose()
    return ids


def test_county_office_in_chromium(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    ids = _seed(instance)
    with _serving(instance, "fake", "browser-office-server.log") as base:
        run = _node("office_flow.js", base, ADMIN="admin_kd", SUPERVISOR="sup_gulouzi", OTHER_CADRE="cadre_c", **ids)
    (OUT / "browser-office.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    # The audit behind the pages: old and new of the correction, every change to the people.
    from core import db
    from core.models import AuditEvent

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    with db.SessionFactory(bind=engine) as s:
        actions = [e.action for e in s.scalars(select(AuditEvent))]
        fix = s.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.correct")).one()
    engine.dispose()
    assert fix.after["corrected"] == {"category": {"old": "道路桥梁", "new": "饮水"}}
    for action in ("user.create", "user.password", "user.password_reset", "user.deactivate", "user.activate"):
        assert action in actions, action
