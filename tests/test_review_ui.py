"""The review screen and the pages around it (issue 19, review half): decided captures shown
read-only, the three-way conflict table, triage refused without losing the form, bulk accept,
one time zone, the catalogue of enum labels, error pages in the user's language."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re

import pytest

from capture.models import Capture
from diary import review as svc
from ledger.models import LedgerItem
from tests.test_review import events, form_of, make_capture, token_from


def _english(client):
    tok = token_from(client.get("/capture/").get_data(as_text=True))
    client.post("/locale/en", data={"csrf_token": tok, "next": "/capture/"})


def _loaded(html: str) -> str:
    return htmllib.unescape(re.search(r'name="loaded" value="([^"]*)"', html).group(1))


# --- a decided capture is read-only, with its confirmation -----------------------------------


def test_confirmed_capture_is_read_only_with_who_when_and_ledger_item(client, session, users, login):
    sup = users["sup_gulouzi"]
    cap = make_capture(session, users["cadre_a"])
    login(sup)
    data = form_of(client.get(f"/review/{cap.id}").get_data(as_text=True), cap)
    deadline = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    resp = client.post(f"/review/{cap.id}/confirm", data={**data, "triage": "deadline", "deadline": deadline,
                                                          "responsible_unit": "水利站"})
    assert resp.status_code == 302
    session.expire_all()
    entry = session.get(Capture, cap.id).entry
    item = entry.ledger_items[0]
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert 'id="entry-form"' not in html and 'name="place"' not in html and "<textarea" not in html
    assert "状态：confirmed" not in html and "confirmed</" not in html
    decision = html[html.index('id="decision"'):html.index('id="entry-readonly"')]
    assert "已确认" in decision and "孙建国" in decision
    local = (entry.confirmed_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert local in decision
    assert f'href="/ledger/item/{item.id}"' in decision and item.code in decision and "限期办理中" in decision
    readonly = html[html.index('id="entry-readonly"'):]
    assert "南荒沟村" in readonly and "张大爷" in readonly
    # A returned capture shows the comment it went back with, also read-only.
    other = make_capture(session, users["cadre_a"])
    svc.return_capture(session, other, sup, "受访人写全名", capture_version=None, entry_version=None)
    session.commit()
    html = client.get(f"/review/{other.id}").get_data(as_text=True)
    assert 'id="entry-form"' not in html and "已退回" in html and "受访人写全名" in html


# --- the conflict table compares against the version the form was loaded with ---------------


def test_conflict_lists_only_fields_both_changed_and_keeps_my_untouched_edits(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    page = client.get(f"/review/{cap.id}").get_data(as_text=True)
    data, loaded = form_of(page, cap), _loaded(page)
    assert json.loads(loaded)["place"] == "南荒沟村"
    # The other supervisor changes 地点 and 受访对象 meanwhile.
    other = users["admin"]
    svc.apply_edits(session, cap, {"place": "南荒沟村三组", "interviewee": "张德福"}, other,
                    capture_version=None, entry_version=None)
    session.commit()
    # My stale form: 地点 as loaded (untouched), 受访对象 changed too (a real clash), 解决思路 mine only.
    form = {**data, "loaded": loaded, "place": "南荒沟村", "interviewee": "张大爷（张德福）",
            "solution": "请水利站三天内检修", "problem": "村里自来水经常停水"}
    resp = client.post(f"/review/{cap.id}/save", data=form)
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    table = html[html.index('id="conflict-table"'):html.index("</table>", html.index('id="conflict-table"'))]
    assert 'data-field="interviewee"' in table and "张大爷（张德福）" in table and "张德福" in table
    # 地点 was never touched by me: not listed, so 采用我的 cannot put the old value back.
    assert 'data-use-mine="place"' not in html and 'data-field="place"' not in table
    assert 'data-field="solution"' not in table and 'data-field="problem"' not in table
    # Their 地点 stands in the form; my 解决思路 is put back, marked edited; nothing was saved.
    assert 'name="place" type="text" value="南荒沟村三组"' in html
    assert re.search(r'<textarea id="f-solution"[^>]*>请水利站三天内检修</textarea>', html)
    assert re.search(r'class="field[^"]*edited[^"]*" data-field="solution"', html)
    session.expire_all()
    assert session.get(Capture, cap.id).entry.solution == "联系水利站"
    # Saving the merged form keeps both people's work.
    data2, loaded2 = form_of(html, cap), _loaded(html)
    fields = {"place": "南荒沟村三组", "interviewee": "张德福", "solution": "请水利站三天内检修"}
    assert client.post(f"/review/{cap.id}/save", data={**data2, "loaded": loaded2, **fields}).status_code == 302
    session.expire_all()
    entry = session.get(Capture, cap.id).entry
    assert (entry.place, entry.interviewee, entry.solution) == ("南荒沟村三组", "张德福", "请水利站三天内检修")


def test_three_way_merge_rules():
    loaded = {"place": "甲", "problem": "停水", "solution": ""}
    current = {"place": "乙", "problem": "停水", "solution": "修"}
    mine = {"place": "甲", "problem": "停水十天", "solution": "修"}
    conflicts, kept = svc.three_way(loaded, mine, current)
    assert conflicts == {} and kept == {"problem": "停水十天"}
    conflicts, kept = svc.three_way(loaded, {**mine, "place": "丙"}, current)
    assert conflicts == {"place": ("丙", "乙")}


# --- a refused confirm keeps the form, the dialog and its inputs ----------------------------


def test_confirm_without_responsible_unit_keeps_edits_and_dialog(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    deadline = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    resp = client.post(f"/review/{cap.id}/confirm", data={
        **form_of(html, cap), "loaded": _loaded(html), "place": "南荒沟村二组", "solution": "先送水",
        "triage": "deadline", "deadline": deadline, "responsible_unit": "  "})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'value="南荒沟村二组"' in html and ">先送水</textarea>" in html
    assert re.search(r'<input type="radio" name="triage" value="deadline" checked>', html)
    assert f'name="deadline" min="{dt.date.today().isoformat()}" value="{deadline}"' in html
    dialog_error = re.search(r'<p class="flash error dialog-error" id="confirm-error" role="alert" >([^<]*)</p>', html)
    assert dialog_error and "责任单位" in dialog_error.group(1)
    assert json.loads(re.search(r'id="review-data">(.*?)</script>', html).group(1))["openConfirm"] is True
    # The dialog itself says what each triage needs, so the browser can refuse before sending.
    assert 'name="responsible_unit" maxlength="128" value="  " data-required="请填写责任单位"' in html
    session.expire_all()
    assert session.get(Capture, cap.id).status == "ready_for_review"
    assert session.get(Capture, cap.id).entry.place == "南荒沟村"
    assert events(session, "entry.edit") == [] and session.query(LedgerItem).count() == 0


def test_problem_filled_defaults_to_the_ledger(client, session, users, login):
    with_problem = make_capture(session, users["cadre_a"])
    without = make_capture(session, users["cadre_a"], problem="")
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{with_problem.id}").get_data(as_text=True)
    assert re.search(r'name="triage" value="ledger" checked', html)
    assert not re.search(r'name="triage" value="" checked', html)
    html2 = client.get(f"/review/{without.id}").get_data(as_text=True)
    assert re.search(r'name="triage" value="" checked', html2)
    resp = client.post(f"/review/{with_problem.id}/confirm", data={**form_of(html, with_problem), "triage": "ledger"})
    assert resp.status_code == 302
    session.expire_all()
    item = session.get(Capture, with_problem.id).entry.ledger_items[0]
    assert item.status == "open" and item.problem == "村里自来水经常停水"
    assert events(session, "entry.confirm")[0].after["triage"] == "ledger"


# --- bulk accept ----------------------------------------------------------------------------


CONFIDENT = {f: 0.9 for f in ("visit_date", "place", "interviewee", "visit_method", "problem", "category")}


def test_bulk_confirm_only_confident_each_audited(client, session, users, login):
    a = make_capture(session, users["cadre_a"], confidence=CONFIDENT)
    b = make_capture(session, users["cadre_b"], confidence=CONFIDENT, problem="")
    low = make_capture(session, users["cadre_a"])  # 受访对象 at 50%
    foreign = make_capture(session, users["cadre_c"], confidence=CONFIDENT)  # another township
    login(users["sup_gulouzi"])
    html = client.get("/review/").get_data(as_text=True)
    assert f'name="ids" value="{a.id}"' in html and f'name="ids" value="{b.id}"' in html
    assert f'name="ids" value="{low.id}"' not in html
    versions = dict(re.findall(r'name="(v_\d+)" value="([\d.]+)"', html))
    resp = client.post("/review/confirm-selected", data={
        "csrf_token": token_from(html), "ids": [a.id, b.id, low.id, foreign.id],
        **versions, f"v_{low.id}": "1.1"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "已批量确认 2 条，其中 1 条问题进入台账（待办理）" in page
    assert f"#{low.id} 未确认" in page and "低置信度" in page
    session.expire_all()
    assert [session.get(Capture, c.id).status for c in (a, b, low, foreign)] == [
        "confirmed", "confirmed", "ready_for_review", "ready_for_review"]
    confirms = events(session, "capture.confirm")
    assert sorted(e.object_id for e in confirms) == sorted([a.id, b.id])
    assert len(events(session, "entry.confirm")) == 2
    assert [i.status for i in session.get(Capture, a.id).entry.ledger_items] == ["open"]
    assert session.get(Capture, b.id).entry.ledger_items == []


def test_bulk_confirm_skips_a_capture_changed_since_listed(client, session, users, login):
    a = make_capture(session, users["cadre_a"], confidence=CONFIDENT)
    login(users["sup_gulouzi"])
    html = client.get("/review/").get_data(as_text=True)
    svc.apply_edits(session, a, {"place": "别处"}, users["admin"], capture_version=None, entry_version=None)
    session.commit()
    resp = client.post("/review/confirm-selected", data={
        "csrf_token": token_from(html), "ids": [a.id], **dict(re.findall(r'name="(v_\d+)" value="([\d.]+)"', html))},
        follow_redirects=True)
    assert "已被他人修改" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Capture, a.id).status == "ready_for_review"
    assert events(session, "capture.confirm") == []


# --- confidence, transcript layout -----------------------------------------------------------


def test_default_visit_method_at_sixty_percent_is_flagged(client, session, users, login):
    cap = make_capture(session, users["cadre_a"], confidence={**CONFIDENT, "visit_method": 0.6})
    assert svc.low_fields(cap.entry) == ["visit_method"] and not svc.is_confident(cap.entry)
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert re.search(r'class="field low" data-field="visit_method"', html)
    assert 'class="field low" data-field="place"' not in html


def test_audio_separators_end_their_segment_line(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    transcript = html[html.index('id="transcript"'):html.index("</div>", html.index('id="transcript"'))]
    # Between two segments there is no bare text (it would stand on a line of its own).
    assert not re.search(r"</span>[^<]+<span", transcript)
    assert transcript.count('class="piece') == 3
    # The evidence offsets still point at the same characters.
    text = re.sub(r"<[^>]+>", "", transcript[transcript.index(">") + 1:])
    assert htmllib.unescape(text).startswith("今天到南荒沟村走访了张大爷\n他反映")


# --- one time zone -----------------------------------------------------------------------------


def test_times_in_one_configured_zone(app, client, session, users, login):
    received = dt.datetime(2025, 5, 1, 23, 30)  # UTC: already 2 May in Kuandian
    cap = make_capture(session, users["cadre_a"], received_at=received)
    login(users["sup_gulouzi"])
    queue = client.get("/review/").get_data(as_text=True)
    assert "05-02 07:30" in queue and "05-01 23:30" not in queue
    assert 'datetime="2025-05-02T07:30+08:00"' in queue
    screen = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert "2025-05-02 07:30" in screen
    login(users["cadre_a"])
    assert "05-02 07:30" in client.get("/capture/").get_data(as_text=True)
    detail = client.get(f"/capture/{cap.id}").get_data(as_text=True)
    assert "2025-05-02 07:30" in detail and "UTC" not in detail
    # The ledger's history uses the same filter.
    sup = users["sup_gulouzi"]
    svc.confirm_entry(session, cap, sup, capture_version=None, entry_version=None, triage="ledger")
    session.commit()
    item = session.query(LedgerItem).one()
    login(sup)
    opened = (item.opened_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert opened in client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    # One setting changes every page.
    app.config["TIMEZONE"] = "Europe/London"
    london = client.get(f"/capture/{cap.id}").get_data(as_text=True)
    assert "2025-05-02 00:30" in london and 'datetime="2025-05-02T00:30+01:00"' in london


def test_timefmt_helpers(app):
    from webapp import timefmt

    with app.app_context():
        assert timefmt.localtime(dt.datetime(2025, 1, 1, 16, 5)) == "2025-01-02 00:05"
        assert timefmt.localtime(dt.date(2025, 1, 1)) == "2025-01-01"
        assert timefmt.localtime(None) == ""
        assert timefmt.to_utc(dt.datetime(2025, 1, 2, 0, 5)) == dt.datetime(2025, 1, 1, 16, 5)


# --- the cadre sees why a capture was rejected -------------------------------------------------


def test_rejected_reason_reaches_the_cadre(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    svc.reject_capture(session, cap, users["sup_gulouzi"], "录音是空白的，不是走访", capture_version=None,
                       entry_version=None)
    session.commit()
    login(users["cadre_a"])
    page = client.get("/capture/").get_data(as_text=True)
    assert "驳回理由：录音是空白的，不是走访" in page
    assert "录音是空白的，不是走访" in client.get(f"/capture/{cap.id}").get_data(as_text=True)
    login(users["cadre_b"])
    assert "录音是空白的" not in client.get("/capture/").get_data(as_text=True)


# --- English: the catalogue, messages, error pages -------------------------------------------


def test_every_enum_label_has_english():
    from babel.messages.pofile import read_po

    from webapp import catalogue

    with open("webapp/translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        po = read_po(fh)
    missing = [(kind, msgid) for kind, table in catalogue.tables().items() for msgid in table.values()
               if not (po.get(msgid) and po.get(msgid).string and po.get(msgid).string != msgid)]
    assert missing == []
    # Every stored value of the domain's enums is in the catalogue.
    from capture import models as capture_models
    from capture.states import CaptureStatus
    from diary import models as diary_models
    from ledger import workflow

    tables = catalogue.tables()
    assert set(tables["capture_status"]) == set(CaptureStatus)
    assert set(tables["item_status"]) == set(workflow.STATUSES)
    assert set(tables["entry_status"]) == set(diary_models.ENTRY_STATUSES)
    assert set(tables["capture_kind"]) == set(capture_models.CAPTURE_KINDS)


def test_english_mode_labels_and_messages(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    _english(client)
    queue = client.get("/review/").get_data(as_text=True)
    assert "Drinking water" in queue and ">饮水<" not in queue
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert '<option value="入户走访" selected>Home visit</option>' in html
    assert '<option value="饮水" selected>Drinking water</option>' in html
    assert "Into the ledger" in html
    resp = client.post(f"/review/{cap.id}/confirm", data={**form_of(html, cap), "triage": "deadline",
                                                          "deadline": "2999-01-01"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "A responsible unit is needed" in page and "需要填写责任单位" not in page
    svc.confirm_entry(session, cap, users["sup_gulouzi"], capture_version=None, entry_version=None, triage="ledger")
    session.commit()
    item = session.query(LedgerItem).one()
    page = client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    assert "Drinking water" in page and ">Open<" in page
    ledger = client.get("/ledger/").get_data(as_text=True)
    assert "Drinking water" in ledger and "待办理" not in ledger


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_error_pages_in_the_users_language_with_navigation(app, client, session, users, login, locale):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom-for-test")
    def _boom():
        raise RuntimeError("boom")

    cap = make_capture(session, users["cadre_c"])
    login(users["sup_gulouzi"])
    if locale == "en":
        _english(client)
    words = {"zh_CN": ("找不到页面", "没有权限", "请求有误", "系统出错", ">审核</a>"),
             "en": ("Page not found", "Access denied", "Bad request", "Something went wrong", ">Review</a>")}[locale]
    not_found = client.get(f"/review/{cap.id}")  # another township's capture
    assert not_found.status_code == 404
    body = not_found.get_data(as_text=True)
    assert words[0] in body and words[4] in body and 'class="topbar"' in body and "Not Found" not in body
    login(users["cadre_a"])
    if locale == "en":
        _english(client)
    forbidden = client.get("/review/")
    assert forbidden.status_code == 403 and words[1] in forbidden.get_data(as_text=True)
    assert ">Capture</a>" in forbidden.get_data(as_text=True) or ">采集</a>" in forbidden.get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = True
    bad = client.post("/review/mine/1", data={})  # no CSRF token
    assert bad.status_code == 400 and words[2] in bad.get_data(as_text=True)
    boom = client.get("/boom-for-test")
    assert boom.status_code == 500 and words[3] in boom.get_data(as_text=True)
    assert "Traceback" not in boom.get_data(as_text=True)


def test_a_refusal_no_view_caught_answers_like_a_missing_record(app, client, users, login):
    from core.errors import NotAllowed

    @app.route("/refused-for-test")
    def _refused():
        raise NotAllowed("not in the reviewer's scope")

    login(users["sup_gulouzi"])
    resp = client.get("/refused-for-test")
    assert resp.status_code == 404 and "找不到页面" in resp.get_data(as_text=True)
    assert "reviewer's scope" not in resp.get_data(as_text=True)


def test_api_errors_stay_json(client, users, login):
    login(users["cadre_a"])
    resp = client.get("/api/captures/999999")
    assert resp.status_code == 404 and resp.is_json


def test_conflict_after_someone_confirmed_offers_nothing_to_undo(client, session, users, login):
    cap = make_capture(session, users["cadre_a"])
    login(users["sup_gulouzi"])
    page = client.get(f"/review/{cap.id}").get_data(as_text=True)
    data, loaded = form_of(page, cap), _loaded(page)
    svc.confirm_entry(session, cap, users["admin"], capture_version=None, entry_version=None,
                      edits={"place": "南荒沟村一组"})
    session.commit()
    resp = client.post(f"/review/{cap.id}/save", data={**data, "loaded": loaded, "place": "南荒沟村二组"})
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "当前状态：已确认" in html and "刘志强" in html  # who confirmed, in the read-only view
    assert 'data-use-mine' not in html and 'id="entry-form"' not in html
    assert 'data-field="place"' in html[html.index('id="conflict-table"'):]


def test_domain_messages_in_the_users_language(app):
    from webapp.catalogue import message

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert message("请填写责任单位 (a responsible unit is needed)") == "A responsible unit is needed"
        assert message("已保存") == "已保存"  # no English part: shown as it is
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        # Issue 29 bug 10: a Chinese page shows no English tail.
        assert message("请填写责任单位 (a responsible unit is needed)") == "请填写责任单位"
        assert message("不支持的文件类型：a.exe（只接受录音或照片）(unsupported file type)") == \
            "不支持的文件类型：a.exe（只接受录音或照片）"


def test_bulk_confirm_twice_says_already_done_in_words(session, users):
    cap = make_capture(session, users["cadre_a"], confidence=CONFIDENT)
    sup = users["sup_gulouzi"]
    first = svc.confirm_many(session, [cap], sup, {})
    session.commit()
    again = svc.confirm_many(session, [cap], sup, {})
    assert [c for c, _item in first.confirmed] == [cap.id] and again.confirmed == []
    [(cid, reason)] = again.skipped
    assert cid == cap.id and "已不在待审核状态" in reason and "confirmed" not in reason
    outsider = svc.confirm_many(session, [make_capture(session, users["cadre_c"], confidence=CONFIDENT)], sup, {})
    assert outsider.confirmed == [] and "不在您的审核范围内" in outsider.skipped[0][1]
    assert len(events(session, "capture.confirm")) == 1
