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


def test_a_resubmitted_capture_says_so_with_the_comment_and_the_changes(client, session, users, login):
    """Bug 7: a resubmitted capture looked new to the supervisor."""
    capture = make_capture(session, users["cadre_a"])
    session.commit()
    svc.return_capture(session, capture, users["sup_gulouzi"], "受访对象写全名", capture_version=None,
                       entry_version=None)
    session.commit()
    svc.resubmit_capture(session, capture, users["cadre_a"], {"interviewee": "张德山"}, capture_version=None,
                         entry_version=None)
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{capture.id}").get_data(as_text=True)
    box = html[html.index('id="resubmitted"'):]
    box = box[:box.index("</div>")]
    assert "重新提交" in box and "受访对象写全名" in box and "张大爷 → 张德山" in box
    fresh = make_capture(session, users["cadre_a"])
    session.commit()
    assert 'id="resubmitted"' not in client.get(f"/review/{fresh.id}").get_data(as_text=True)
