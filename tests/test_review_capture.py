"""The cadre's side of review: capture page (quota, returned entries) and correcting a returned entry;
the originals served to the review screen."""
from __future__ import annotations

import datetime as dt
import re

from capture.models import Capture, CaptureFile
from diary import review as svc
from tests.test_review import form_of, make_capture, token_from


def test_capture_page_shows_quota_returned_and_outbox(client, session, users, login):
    cadre, sup = users["cadre_a"], users["sup_gulouzi"]
    today = dt.date.today()
    done = make_capture(session, cadre)
    svc.confirm_entry(session, done, sup, capture_version=None, entry_version=None, edits={"visit_date": today.isoformat()})
    pending = make_capture(session, cadre)
    pending.entry.visit_date = today
    back = make_capture(session, cadre, problem="<b>路灯</b>不亮")
    session.commit()
    svc.return_capture(session, back, sup, "请写清楚是哪个组", capture_version=None, entry_version=None)
    session.commit()
    login(cadre)
    html = client.get("/capture/").get_data(as_text=True)
    assert re.search(r'id="quota-count">1</span> / 4', html)
    assert "另有 1 条待审核" in html
    assert "请写清楚是哪个组" in html and f"/review/mine/{back.id}" in html
    assert "&lt;b&gt;路灯&lt;/b&gt;" in html
    assert 'id="outbox"' in html and "/static/capture.js" in html and 'data-api="/api/captures"' in html
    # Another cadre sees none of it.
    login(users["cadre_b"])
    html = client.get("/capture/").get_data(as_text=True)
    assert "请写清楚是哪个组" not in html and 'id="quota-count">0<' in html


def test_cadre_corrects_returned_entry(client, session, users, login):
    cadre, sup = users["cadre_a"], users["sup_gulouzi"]
    cap = make_capture(session, cadre)
    svc.return_capture(session, cap, sup, "受访人写全名", capture_version=None, entry_version=None)
    session.commit()
    login(users["cadre_b"])
    assert client.get(f"/review/mine/{cap.id}").status_code == 404
    login(cadre)
    html = client.get(f"/review/mine/{cap.id}").get_data(as_text=True)
    assert "受访人写全名" in html
    resp = client.post(f"/review/mine/{cap.id}", data={**form_of(html, cap), "interviewee": "张德福"})
    assert resp.status_code == 302
    session.expire_all()
    cap = session.get(Capture, cap.id)
    assert (cap.status, cap.entry.interviewee) == ("ready_for_review", "张德福")


def test_original_is_served_in_scope_with_ranges(app, client, session, users, login):
    from capture.storage import get_storage

    data = b"RIFF" + bytes(range(256)) * 4
    sha = get_storage(app.config).put(data)
    cap = make_capture(session, users["cadre_a"])
    f = session.query(CaptureFile).filter_by(capture_id=cap.id).one()
    f.sha256, f.size = sha, len(data)
    session.commit()
    login(users["sup_gulouzi"])
    resp = client.get(f"/review/original/{f.id}", headers={"Range": "bytes=4-9"})
    assert resp.status_code == 206 and resp.data == data[4:10]
    assert resp.headers["Content-Type"].startswith("audio/wav")
    login(users["sup_budayuan"])
    assert client.get(f"/review/original/{f.id}").status_code == 404


def test_review_screen_in_english(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    tok = token_from(client.get("/review/").get_data(as_text=True))
    client.post("/locale/en", data={"csrf_token": tok, "next": "/review/"})
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert "Interviewee" in html and "Keyboard shortcuts" in html and "Confirm" in html
    assert "受访对象" not in html
    # The data itself stays as written.
    assert "南荒沟村" in html
