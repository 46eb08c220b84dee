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


def test_the_capture_page_says_what_it_counts_and_tells_returned_from_rejected(client, session, users, login):
    """Bug 14: "另有 4 条待审核" beside a list of 9 (it counts this month); 已退回 and 已驳回 shared one
    red badge."""
    import re

    from ledger.deadlines import local_today

    capture = make_capture(session, users["cadre_a"])
    capture.entry.visit_date = local_today()  # waiting for review this month
    session.commit()
    login(users["cadre_a"])
    html = client.get("/capture/").get_data(as_text=True)
    assert "本月另有" in html
    css = client.get("/static/app.css").get_data(as_text=True)
    colours = {k: re.search(r"\.status\.%s[^{]*\{([^}]*)\}" % k, css).group(1) for k in ("returned", "rejected")}
    assert colours["returned"] != colours["rejected"]
