"""The publish step (公开审核) in headless Chromium: mask more, unmask, approve, see the public page
(tests/browser/publish_flow.js; the server is `minxin serve` as in tests/test_browser.py, with the
real redactor and Baidu LAC; recognition is not involved)."""
from __future__ import annotations

import datetime as dt

import pytest
from test_browser import CHROMIUM, OUT, PASSWORD, ROOT, _need, _node, _serving

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _seed(instance) -> tuple[int, int]:
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
        cadre = create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        entry = DiaryEntry(cadre=cadre, org_unit=village, status="confirmed", visit_date=dt.date.today(),
                           place="", place_unit=village, interviewee="", visit_method="入户走访",
                           problem="石柱子沟口的桥冲毁了，周玉梅家出不去，电话13912345678", category="道路桥梁",
                           pii=["石柱子"])  # the extractor took the place for a person
        s.add(entry)
        s.flush()
        item = wf.open_item_from_entry(s, entry, cadre)
        wf.record_feedback(s, item, cadre, "电话告知", dt.datetime.utcnow() - dt.timedelta(hours=1), "已告知")
        wf.solve_now(s, item, cadre, "李春生已联系施工队，陈国强同意让出地方，桥已修好")
        s.commit()
        ids = item.id, village.id
    engine.dispose()
    return ids


def test_publish_step_in_chromium(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    item_id, village_id = _seed(instance)
    with _serving(instance, "fake", "browser-publish-server.log") as base:
        run = _node("publish_flow.js", base, SUPERVISOR="sup_gulouzi", ITEM_ID=str(item_id),
                    PUBLIC_PATH=f"/public/{village_id}")
    (OUT / "browser-publish.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    for name in ("publish-before.png", "publish-edited.png", "publish-public.png"):
        assert (OUT / "screenshots" / name).stat().st_size > 5_000, name


def _seed_question(instance) -> tuple[int, int]:
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
        cadre = create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "sup_gulouzi", PASSWORD, "孙国华", "supervisor", town)
        entry = DiaryEntry(cadre=cadre, org_unit=village, status="confirmed", visit_date=dt.date.today(),
                           place="", place_unit=village, interviewee="", visit_method="入户走访",
                           problem="建国说路灯坏了三天了", category="基础设施", pii=[])
        s.add(entry)
        s.flush()
        item = wf.open_item_from_entry(s, entry, cadre)
        wf.record_feedback(s, item, cadre, "电话告知", dt.datetime.utcnow() - dt.timedelta(hours=1), "已告知")
        wf.solve_now(s, item, cadre, "已更换灯泡，回访电话13912345678")
        s.commit()
        ids = item.id, village.id
    engine.dispose()
    return ids


def test_publish_step_with_an_open_question_in_chromium(tmp_path):
    """Approve refused while a question is open, answer it with the y key, approve, public page."""
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    item_id, village_id = _seed_question(instance)
    with _serving(instance, "fake", "browser-question-server.log") as base:
        run = _node("publish_question.js", base, SUPERVISOR="sup_gulouzi", ITEM_ID=str(item_id),
                    PUBLIC_PATH=f"/public/{village_id}")
    (OUT / "browser-question.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + "\n" + run.stderr[-4000:]
    assert "ALL CHECKS PASSED" in run.stdout
    for name in ("question-open.png", "question-answered.png", "question-public.png"):
        assert (OUT / "screenshots" / name).stat().st_size > 5_000, name
