"""Bugs 6 of issue 29: a returned capture's own page shows the supervisor's reason and a 去修改 link."""
from __future__ import annotations

from diary import review as svc
from tests.test_review import make_capture


def test_a_returned_capture_shows_why_and_where_to_fix_it(client, session, users, login):
    capture = make_capture(session, users["cadre_a"])
    session.commit()
    svc.return_capture(session, capture, users["sup_gulouzi"], "请补充受访对象的姓名", capture_version=None,
                       entry_version=None)
    session.commit()
    login(users["cadre_a"])
    html = client.get(f"/capture/{capture.id}").get_data(as_text=True)
    assert "请补充受访对象的姓名" in html and f"/review/mine/{capture.id}" in html
