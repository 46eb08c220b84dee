"""Bug 1 of issue 29: the N shortcut never types into a field (tests/browser/review_keys.js)."""
from __future__ import annotations

import pytest

from tests.test_browser import CHROMIUM, OUT, PASSWORD, ROOT, _need, _node, _serving
from tests.test_browser_review import CONFIDENT, _capture

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def _seed(instance) -> str:
    from capture.storage import get_storage
    from core import db
    from ops.migrate import upgrade
    from org.users import add_org_unit, create_user

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    upgrade(engine)
    storage = get_storage({"STORAGE": "local", "DATA_DIR": str(instance / "data")})
    with db.SessionFactory(bind=engine) as s:
        town = add_org_unit(s, "古楼子乡", "township", add_org_unit(s, "宽甸县", "county"))
        cadre = create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", add_org_unit(s, "南荒沟村", "village", town))
        create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        capture = _capture(s, storage, cadre, "audio", ["今天到南荒沟村走访了李德富", "他家老房子墙体开裂"],
                           problem="老房子墙体开裂", confidence={**CONFIDENT, "interviewee": 0.5})
        s.commit()
    engine.dispose()
    return str(capture)


def test_n_never_types_into_a_field(tmp_path):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    instance = tmp_path / "instance"
    instance.mkdir()
    capture = _seed(instance)
    with _serving(instance, "fake", "browser-review-keys-server.log") as base:
        run = _node("review_keys.js", base, SUPERVISOR="sup_gulouzi", CAPTURE=capture)
    (OUT / "browser-review-keys.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-3000:] + "\n" + run.stderr[-3000:]
    assert "ALL CHECKS PASSED" in run.stdout
