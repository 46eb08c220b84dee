"""The embedded worker's timers (core.periodic): what celery beat does at scale, `minxin serve`
does in threads of its own — the extractor's daily training and the dashboard's counts."""
from __future__ import annotations

import threading

from core.periodic import Periodic
from ledger import workflow as wf
from ledger.deadlines import local_today
from tests.ledger_helpers import make_entry
from webapp.commands.run import start_dashboard_counts


def test_a_timer_runs_its_job_again_after_a_failure():
    runs, done = [], threading.Event()

    def job():
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the first run fails")
        if len(runs) == 3:
            done.set()

    timer = Periodic("test-timer", job, every=0.01, first_after=0.0).start()
    try:
        assert done.wait(10), runs
    finally:
        timer.stop()
    assert runs[:3] == [0, 1, 2]


def test_served_app_works_out_the_dashboards_recurring_problems(app, client, session, users, login):
    items = []
    for who, text in (("cadre_a", "南荒沟村自来水管冻裂停水"), ("cadre_b", "大古岭村自来水管冻裂，全屯停水")):
        cadre = users[who]
        items.append(wf.open_item_from_entry(session, make_entry(session, cadre, text, category="饮水",
                                                                 visit_date=local_today()), cadre))
    session.commit()
    login(users["admin"])
    assert "尚未计算" in client.get("/dashboard/").get_data(as_text=True)
    timer = start_dashboard_counts(app)  # as `minxin serve` starts it; its first run waits a minute
    timer.stop()
    clusters, _months = timer.run_once()
    assert clusters  # the county and the township whose items changed
    section = client.get("/dashboard/").get_data(as_text=True)
    section = section[section.index('id="recurring"'):]
    assert "后台计算于" in section and "2 个村" in section and all(i.code in section for i in items)
