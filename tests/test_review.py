"""Review services and views, on rows seeded directly (no recognizer involved)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select

from capture.models import Capture, CaptureFile
from core.errors import NotAllowed
from core.models import AuditEvent
from diary import review as svc
from diary.models import DiaryEntry, Transcript, TranscriptPiece

AUDIO_TEXT = ["今天到南荒沟村走访了张大爷", "他反映村里的自来水经常停水", "我们准备联系水利站来看看"]


def make_capture(session, uploader, *, kind="audio", status="ready_for_review", texts=AUDIO_TEXT,
                 problem="村里自来水经常停水", confidence=None, received_at=None, category="饮水", seq=[0]):
    seq[0] += 1
    capture = Capture(
        kind=kind,
        status=status,
        uploader_id=uploader.id,
        org_unit_id=uploader.org_unit_id,
        fingerprint=hashlib.sha256(f"cap-{seq[0]}-{kind}".encode()).hexdigest(),
        received_at=received_at or dt.datetime(2025, 5, 1, 8, 0) + dt.timedelta(minutes=seq[0]),
        progress=1.0 if status != "recognizing" else 0.4,
    )
    session.add(capture)
    session.flush()
    session.add(CaptureFile(capture_id=capture.id, position=0, sha256="0" * 64,
                            media_type="audio/wav" if kind == "audio" else "image/jpeg", size=10))
    text, pieces, pos = "", [], 0
    for i, t in enumerate(texts):
        if i:
            text += "\n"
            pos += 1
        piece = TranscriptPiece(position=i, text=t, confidence=0.9 if i != 1 else 0.45,
                                char_start=pos, char_end=pos + len(t))
        if kind == "audio":
            piece.start, piece.end = i * 3.0, i * 3.0 + 3.0
        else:
            piece.page = 0
            piece.polygon = [[20, 30 + 60 * i], [600, 30 + 60 * i], [600, 80 + 60 * i], [20, 80 + 60 * i]]
        pieces.append(piece)
        text += t
        pos += len(t)
    session.add(Transcript(capture_id=capture.id, engine="fake", model="fake", text=text, pieces=pieces,
                           page_sizes=[[640, 480]] if kind == "pages" else None))
    start = text.find("自来水")
    entry = DiaryEntry(
        capture_id=capture.id, cadre_id=uploader.id, org_unit_id=uploader.org_unit_id,
        visit_date=dt.date(2025, 5, 1), place="南荒沟村", interviewee="张大爷", visit_method="入户走访",
        problem=problem, solution="联系水利站", category=category,
        confidence=confidence or {"visit_date": 0.9, "place": 0.95, "interviewee": 0.5, "problem": 0.8,
                                  "category": 0.7},
        evidence={"problem": [start, start + 7], "interviewee": [text.find("张大爷"), text.find("张大爷") + 3]},
    )
    session.add(entry)
    session.commit()
    return capture


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def form_of(html: str, capture: Capture) -> dict:
    """The hidden fields of the review form plus the entry values as the page shows them."""
    data = {"csrf_token": token_from(html)}
    data["capture_version"] = re.search(r'name="capture_version" value="(\d+)"', html).group(1)
    data["entry_version"] = re.search(r'name="entry_version" value="(\d+)"', html).group(1)
    return data


def events(session, action):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- services ------------------------------------------------------------------------


def test_apply_edits_audits_each_changed_field(session, users):
    cap = make_capture(session, users["cadre_a"])
    sup = users["sup_gulouzi"]
    changed = svc.apply_edits(
        session, cap, {"place": "南荒沟村三组", "interviewee": "张德福", "problem": "村里自来水经常停水"},
        sup, capture_version=cap.version, entry_version=cap.entry.version,
    )
    session.commit()
    assert changed == ["place", "interviewee"]
    edits = events(session, "entry.edit")
    assert [(e.before, e.after) for e in edits] == [
        ({"place": "南荒沟村"}, {"place": "南荒沟村三组"}),
        ({"interviewee": "张大爷"}, {"interviewee": "张德福"}),
    ]
    assert all(e.actor_id == sup.id and e.object_id == cap.entry.id for e in edits)


def test_stale_version_raises_conflict_and_writes_nothing(session, users):
    cap = make_capture(session, users["cadre_a"])
    sup = users["sup_gulouzi"]
    seen_entry_version = cap.entry.version
    svc.apply_edits(session, cap, {"place": "甲"}, sup, capture_version=cap.version, entry_version=seen_entry_version)
    session.commit()
    with pytest.raises(svc.ReviewConflict) as info:
        svc.apply_edits(session, cap, {"place": "乙"}, sup, capture_version=cap.version,
                        entry_version=seen_entry_version)
    session.rollback()
    assert info.value.mine == {"place": "乙"}
    session.expire_all()
    assert session.get(DiaryEntry, cap.entry.id).place == "甲"


def test_confirm_without_ledger(session, users):
    cap = make_capture(session, users["cadre_a"])
    sup = users["sup_gulouzi"]
    item = svc.confirm_entry(session, cap, sup, capture_version=cap.version, entry_version=cap.entry.version,
                             edits={"solution": "请水利站检修管道"})
    session.commit()
    assert item is None
    session.expire_all()
    cap = session.get(Capture, cap.id)
    assert cap.status == "confirmed" and cap.entry.status == "confirmed"
    assert cap.entry.confirmed_by_id == sup.id and cap.entry.solution == "请水利站检修管道"
    assert [e.object_id for e in events(session, "entry.confirm")] == [cap.entry.id]
    assert events(session, "entry.edit")[0].after == {"solution": "请水利站检修管道"}
    # A second confirm of the same capture is refused.
    with pytest.raises(svc.NotReviewable):
        svc.confirm_entry(session, cap, sup, capture_version=cap.version, entry_version=cap.entry.version)


def test_confirm_validates_triage_inputs(session, users):
    cap = make_capture(session, users["cadre_a"])
    sup = users["sup_gulouzi"]
    with pytest.raises(svc.DomainError):
        svc.confirm_entry(session, cap, sup, capture_version=cap.version, entry_version=cap.entry.version,
                          triage="deadline")
    session.rollback()
    with pytest.raises(svc.DomainError):
        svc.confirm_entry(session, cap, sup, capture_version=cap.version, entry_version=cap.entry.version,
                          triage="escalate", reason="  ")
    session.rollback()
    with pytest.raises(svc.DomainError):
        svc.apply_edits(session, cap, {"visit_method": "打电话"}, sup, capture_version=None, entry_version=None)
    session.rollback()
    session.expire_all()
    assert session.get(Capture, cap.id).status == "ready_for_review"


def test_return_and_reject_need_a_comment_and_are_audited(session, users):
    sup = users["sup_gulouzi"]
    a = make_capture(session, users["cadre_a"])
    b = make_capture(session, users["cadre_b"])
    with pytest.raises(svc.DomainError):
        svc.return_capture(session, a, sup, "  ", capture_version=a.version, entry_version=None)
    session.rollback()
    svc.return_capture(session, a, sup, "受访人姓名听不清，请补充", capture_version=a.version, entry_version=None)
    svc.reject_capture(session, b, sup, "不是走访记录", capture_version=b.version, entry_version=None)
    session.commit()
    session.expire_all()
    assert session.get(Capture, a.id).status == "returned"
    assert session.get(Capture, a.id).review_comment == "受访人姓名听不清，请补充"
    assert session.get(Capture, b.id).status == "rejected"
    assert events(session, "capture.return")[0].after["review_comment"] == "受访人姓名听不清，请补充"
    assert events(session, "capture.reject")[0].before["status"] == "ready_for_review"


def test_cadre_resubmits_returned_entry(session, users):
    cadre, sup = users["cadre_a"], users["sup_gulouzi"]
    cap = make_capture(session, cadre)
    svc.return_capture(session, cap, sup, "请补充受访人", capture_version=cap.version, entry_version=None)
    session.commit()
    with pytest.raises(NotAllowed):
        svc.resubmit_capture(session, cap, users["cadre_b"], {}, capture_version=None, entry_version=None)
    changed = svc.resubmit_capture(session, cap, cadre, {"interviewee": "张德福"},
                                   capture_version=cap.version, entry_version=cap.entry.version)
    session.commit()
    assert changed == ["interviewee"]
    assert session.get(Capture, cap.id).status == "ready_for_review"


def test_queue_scope_order_filters_and_low_first(session, users):
    a1 = make_capture(session, users["cadre_a"], received_at=dt.datetime(2025, 5, 2),
                      confidence={"place": 0.9})
    a2 = make_capture(session, users["cadre_a"], received_at=dt.datetime(2025, 5, 1), category="道路桥梁",
                      confidence={"place": 0.9})
    b1 = make_capture(session, users["cadre_b"], received_at=dt.datetime(2025, 5, 3),
                      confidence={"problem": 0.2})
    c1 = make_capture(session, users["cadre_c"], received_at=dt.datetime(2025, 4, 1))
    make_capture(session, users["cadre_a"], status="recognizing")
    make_capture(session, users["cadre_a"], status="confirmed")
    q = svc.review_queue(session, users["sup_gulouzi"])
    assert [c.id for c in q.captures] == [a2.id, a1.id, b1.id]
    assert (q.total, len(q.recognizing)) == (3, 1)
    f = svc.QueueFilters.from_args({"village": str(users["cadre_b"].org_unit_id)})
    assert [c.id for c in svc.review_queue(session, users["sup_gulouzi"], f).captures] == [b1.id]
    f = svc.QueueFilters.from_args({"cadre": str(users["cadre_a"].id), "category": "道路桥梁"})
    assert [c.id for c in svc.review_queue(session, users["sup_gulouzi"], f).captures] == [a2.id]
    f = svc.QueueFilters.from_args({"low": "1"})
    assert [c.id for c in svc.review_queue(session, users["sup_gulouzi"], f).captures] == [b1.id, a2.id, a1.id]
    assert [c.id for c in svc.review_queue(session, users["admin"]).captures] == [c1.id, a2.id, a1.id, b1.id]
    assert svc.neighbours(session, users["sup_gulouzi"], a1) == (a2.id, b1.id)


# --- views ---------------------------------------------------------------------------


def test_review_screen_shows_segments_evidence_and_low_fields(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert html.count('class="piece') == 3
    assert 'data-t="0:03"' in html
    assert 'class="field low' in html and 'data-field="interviewee"' in html
    # The transcript in the page is exactly the stored text, so evidence offsets line up.
    body = re.search(r'<div id="transcript"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", body) == "\n".join(AUDIO_TEXT)
    assert '"evidence": {' in html or '"evidence":{' in html
    assert "/static/review.js" in html


def test_page_capture_draws_line_boxes(client, session, users, login):
    cap = make_capture(session, users["cadre_a"], kind="pages")
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert html.count("<polygon class=\"line-box") == 3
    assert 'viewBox="0 0 640 480"' in html
    assert 'points="20,30 600,30 600,80 20,80 "' in html


def test_edit_and_confirm_through_the_view(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    nxt = make_capture(session, users["cadre_b"])
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    data = form_of(html, cap)
    resp = client.post(f"/review/{cap.id}/save", data={**data, "place": "南荒沟村二组"})
    assert resp.status_code == 302
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert "已保存 1 处修改" in html
    data = form_of(html, cap)
    resp = client.post(f"/review/{cap.id}/confirm", data={**data, "place": "南荒沟村二组", "interviewee": "张德福"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/review/{nxt.id}")
    session.expire_all()
    entry = session.get(Capture, cap.id).entry
    assert (entry.status, entry.place, entry.interviewee) == ("confirmed", "南荒沟村二组", "张德福")
    assert [list(e.after) for e in events(session, "entry.edit")] == [["place"], ["interviewee"]]


def test_second_supervisor_with_stale_form_sees_conflict(client, app, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    stale = form_of(client.get(f"/review/{cap.id}").get_data(as_text=True), cap)
    # Another supervisor (the county admin) saves first.
    other = app.test_client()
    tok = token_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"login": "admin", "password": "correct-horse-42", "csrf_token": tok})
    fresh = form_of(other.get(f"/review/{cap.id}").get_data(as_text=True), cap)
    assert other.post(f"/review/{cap.id}/save", data={**fresh, "problem": "自来水管冻裂"}).status_code == 302
    # The first supervisor's stale form: 409, nothing overwritten, both versions shown.
    resp = client.post(f"/review/{cap.id}/confirm", data={**stale, "problem": "停水三天"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert 'id="conflict"' in html and "停水三天" in html and "自来水管冻裂" in html
    session.expire_all()
    entry = session.get(Capture, cap.id).entry
    assert (entry.status, entry.problem) == ("draft", "自来水管冻裂")
    # The re-rendered form carries the new versions, so a deliberate retry goes through.
    retry = form_of(html, cap)
    assert client.post(f"/review/{cap.id}/confirm", data={**retry, "problem": "停水三天"}).status_code == 302
    session.expire_all()
    assert session.get(Capture, cap.id).entry.problem == "停水三天"


def test_return_and_reject_views(client, session, users, login):
    a = make_capture(session, users["cadre_a"])
    b = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    data = form_of(client.get(f"/review/{a.id}").get_data(as_text=True), a)
    assert client.post(f"/review/{a.id}/return", data={**data, "comment": ""}).status_code == 400
    assert client.post(f"/review/{a.id}/return", data={**data, "comment": "请补充受访人电话"}).status_code == 302
    data = form_of(client.get(f"/review/{b.id}").get_data(as_text=True), b)
    assert client.post(f"/review/{b.id}/reject", data={**data, "reason": "重复上传"}).status_code == 302
    session.expire_all()
    assert session.get(Capture, a.id).status == "returned"
    assert session.get(Capture, b.id).status == "rejected"


def test_scoping_other_township_and_cadres(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])  # 古楼子乡
    login(users["sup_budayuan"])  # 步达远镇
    assert client.get(f"/review/{cap.id}").status_code == 404
    tok = token_from(client.get("/review/").get_data(as_text=True))
    assert client.post(f"/review/{cap.id}/confirm", data={"csrf_token": tok}).status_code == 404
    assert f"#{cap.id}" not in client.get("/review/").get_data(as_text=True)
    assert client.get(f"/review/progress.json?ids={cap.id}").get_json() == {"captures": []}
    login(users["cadre_a"])
    assert client.get("/review/").status_code == 403
    assert client.get(f"/review/{cap.id}").status_code == 403
    session.expire_all()
    assert session.get(Capture, cap.id).status == "ready_for_review"


def test_html_and_script_in_transcript_and_fields_are_escaped(client, session, users, login):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    cap = make_capture(session, users["cadre_a"], texts=[evil, "</script><b>粗</b>"], problem=evil)
    cap.entry.place = '"><svg onload=alert(2)>'
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    assert "<b>粗</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'value="&#34;&gt;&lt;svg onload=alert(2)&gt;"' in html
    # The JSON island cannot be closed by transcript text either.
    island = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in island
    queue = client.get("/review/").get_data(as_text=True)
    assert "<script>alert" not in queue


def test_queue_page_lists_filters_and_progress(client, session, users, login):
    make_capture(session, users["cadre_a"])
    rec = make_capture(session, users["cadre_b"], status="recognizing")
    login(users["sup_gulouzi"])
    html = client.get("/review/?low=1").get_data(as_text=True)
    assert 'id="ready-count">1<' in html
    assert f'data-progress-id="{rec.id}"' in html
    assert "低置信度优先" in html and "受访对象" in html
    data = client.get(f"/review/progress.json?ids={rec.id}").get_json()
    assert data["captures"] == [{"id": rec.id, "status": "recognizing", "progress": 0.4, "error": None}]


@pytest.mark.parametrize("triage", ["now", "deadline", "escalate"])
def test_confirm_sends_problem_to_ledger_with_triage(client, session, users, login, triage):
    from ledger.models import LedgerItem

    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    data = form_of(client.get(f"/review/{cap.id}").get_data(as_text=True), cap)
    extra = {
        "now": {"result": "当场联系水利站恢复供水"},
        "deadline": {"deadline": (dt.date.today() + dt.timedelta(days=14)).isoformat(), "responsible_unit": "乡水利站"},
        "escalate": {"reason": "需要县里立项改造管网"},
    }[triage]
    resp = client.post(f"/review/{cap.id}/confirm", data={**data, "triage": triage, **extra})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.expire_all()
    entry = session.get(Capture, cap.id).entry
    items = session.scalars(select(LedgerItem)).all()
    assert len(items) == 1 and items[0].entries == [entry]
    item = items[0]
    assert item.problem == entry.problem and item.triage == triage
    assert {"now": "closed", "deadline": "in_progress", "escalate": "escalated"}[triage] == item.status
    if triage == "escalate":
        assert item.org_unit.name == "古楼子乡"  # from the village ledger up to the township
    assert "进入台账" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_confirm_with_refused_triage_changes_nothing(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    data = form_of(client.get(f"/review/{cap.id}").get_data(as_text=True), cap)
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    resp = client.post(f"/review/{cap.id}/confirm", data={**data, "place": "新地点", "triage": "deadline",
                                                          "deadline": yesterday, "responsible_unit": "水利站"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "办理时限不能早于今天" in html and 'value="新地点"' in html
    session.expire_all()
    cap = session.get(Capture, cap.id)
    assert (cap.status, cap.entry.status, cap.entry.place) == ("ready_for_review", "draft", "南荒沟村")
    assert events(session, "entry.confirm") == []
