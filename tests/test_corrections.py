"""Corrections after confirming (issue 29): a confirmed entry's or a live item's problem, category,
place or interviewee set right by the supervisor who holds it, audited with the old value; a
confirm undone while its item has not moved; the item links its entries and their originals."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.errors import DomainError, NotAllowed
from core.models import AuditEvent
from diary import corrections as entry_fixes
from ledger import corrections as item_fixes
from ledger import workflow as wf
from ledger.deadlines import local_today
from ledger.models import LedgerItem
from tests.ledger_helpers import make_entry


def _item(session, users, **kw):
    entry = make_entry(session, users["cadre_a"], "南荒沟村3组道路冲毁", interviewee="王秀英",
                       visit_date=local_today(), **kw)
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    session.commit()
    return entry, item


def _events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_supervisor_corrects_a_live_items_category_with_the_old_value_kept(session, users):
    _entry, item = _item(session, users)
    changes = item_fixes.correct_item(session, item, users["sup_gulouzi"], {"category": "饮水", "problem": item.problem},
                                      version=item.version)
    session.commit()
    assert changes == {"category": ("道路桥梁", "饮水")} and item.category == "饮水"
    ev = _events(session, "ledger.correct")[-1]
    assert ev.after["corrected"] == {"category": {"old": "道路桥梁", "new": "饮水"}}
    assert item.transitions[-1].action == "correct" and "道路桥梁 → 饮水" in item.transitions[-1].reason
    with pytest.raises(DomainError):  # a cadre may not; another township's supervisor neither
        item_fixes.correct_item(session, item, users["cadre_a"], {"category": "住房"})
    with pytest.raises(DomainError):
        item_fixes.correct_item(session, item, users["sup_budayuan"], {"category": "住房"})
    with pytest.raises(DomainError, match="未知的类别"):
        item_fixes.correct_item(session, item, users["sup_gulouzi"], {"category": "不存在"})
    session.rollback()
    item = session.get(LedgerItem, item.id)
    wf.record_feedback(session, item, users["sup_gulouzi"], "电话告知", local_today())
    wf.solve_now(session, item, users["sup_gulouzi"], "修好了")
    session.commit()
    with pytest.raises(DomainError):  # closed: judged on what it said
        item_fixes.correct_item(session, item, users["sup_gulouzi"], {"category": "住房"})


def test_supervisor_corrects_a_confirmed_entry(session, users, org):
    entry, _item_ = _item(session, users)
    changes = entry_fixes.correct_entry(session, entry, users["sup_gulouzi"],
                                        {"interviewee": "王秀兰", "place": "大古岭村"})
    session.commit()
    assert changes == {"interviewee": ("王秀英", "王秀兰"), "place": ("", "大古岭村")}
    ev = _events(session, "entry.correct")[-1]
    assert ev.before == {"interviewee": "王秀英", "place": ""} and ev.after["interviewee"] == "王秀兰"
    assert entry.place_unit_id == org["大古岭村"].id  # the corrected place decides the unit
    with pytest.raises(NotAllowed):
        entry_fixes.correct_entry(session, entry, users["sup_budayuan"], {"interviewee": "x"})
    with pytest.raises(NotAllowed):
        entry_fixes.correct_entry(session, entry, users["cadre_a"], {"interviewee": "x"})


def test_a_confirm_is_undone_while_its_item_has_not_moved(session, users):
    entry, item = _item(session, users)
    code = item.code
    assert entry_fixes.undo_confirm(session, entry, users["sup_gulouzi"]) == [code]
    session.commit()
    assert entry.status == "draft" and session.scalars(select(LedgerItem).where(LedgerItem.code == code)).first() is None
    assert _events(session, "ledger.withdraw")[-1].before["code"] == code
    entry2, item2 = _item(session, users)
    wf.set_deadline(session, item2, users["cadre_a"], local_today(), "村委会")
    session.commit()
    with pytest.raises(DomainError, match="已开始办理"):
        entry_fixes.undo_confirm(session, entry2, users["sup_gulouzi"])
    session.rollback()
    assert session.get(LedgerItem, item2.id).status == "in_progress"


def test_undo_confirm_sends_the_capture_back_to_review(session, users):
    from capture.states import CaptureStatus
    from diary import review
    from tests.test_review import make_capture

    capture = make_capture(session, users["cadre_a"])
    session.commit()
    item = review.confirm_entry(session, capture, users["sup_gulouzi"], capture_version=None, entry_version=None,
                                edits={"problem": "路灯坏了"}, triage="")
    session.commit()
    assert item is None and capture.status == CaptureStatus.CONFIRMED
    entry_fixes.undo_confirm(session, capture.entry, users["sup_gulouzi"])
    session.commit()
    assert capture.status == CaptureStatus.READY_FOR_REVIEW and capture.entry.status == "draft"
    assert _events(session, "capture.unconfirm")  # moved through the one door, audited


def test_item_page_corrects_and_links_entry_and_original(client, session, users, login):
    entry, item = _item(session, users)
    login(users["sup_gulouzi"])
    page = client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    assert f"/ledger/entry/{entry.id}/correct" in page and 'id="correct-item"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/ledger/item/{item.id}/correct", data={"csrf_token": token, "version": item.version,
                                                               "category": "饮水", "problem": item.problem,
                                                               "place": item.place, "reporter": item.reporter})
    assert resp.status_code == 302
    page = client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    assert "道路桥梁 → 饮水" in page  # the history shows old and new
    login(users["cadre_a"])
    assert 'id="correct-item"' not in client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    assert client.get(f"/ledger/entry/{entry.id}/correct").status_code == 404


def test_an_extension_is_not_approved_by_who_asked_for_it(session, users, org):
    """Bug 19: at county level the same admin asked for and approved an extension."""
    import datetime as dt

    from org.users import create_user
    from tests.conftest import PASSWORD

    entry = make_entry(session, users["cadre_a"], "县道桥梁需要加固", visit_date=local_today())
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    wf.escalate(session, item, users["cadre_a"], "村里修不了")
    wf.accept_escalation(session, item, users["sup_gulouzi"])
    wf.escalate(session, item, users["sup_gulouzi"], "乡里修不了")
    wf.accept_escalation(session, item, users["admin"])
    wf.set_deadline(session, item, users["admin"], local_today() + dt.timedelta(days=5), "交通局")
    wf.request_extension(session, item, users["admin"], local_today() + dt.timedelta(days=30), "等汛期过去")
    session.commit()
    # Alone at the county: allowed, and marked as self-approved.
    ext = wf.decide_extension(session, item, users["admin"], True)
    assert ext.decision_note.startswith("本人审批") and item.transitions[-1].reason.count("本人审批") == 1
    session.rollback()
    # With another admin at the county: that one decides.
    other = create_user(session, "admin_2", PASSWORD, "第二管理员", "admin", org["宽甸县"])
    session.flush()
    with pytest.raises(DomainError, match="申请人以外"):
        wf.decide_extension(session, item, users["admin"], True)
    ext = wf.decide_extension(session, item, other, True)
    assert ext.status == "approved" and "本人" not in ext.decision_note


def test_an_item_goes_to_the_ledger_of_its_confirmed_place(client, session, users, org, login):
    """Bug 3: a problem in 步达远村 confirmed by 古楼子乡's supervisor went into 南荒沟村's ledger."""
    from diary import review
    from tests.test_review import make_capture

    capture = make_capture(session, users["cadre_a"])
    capture.entry.place, capture.entry.place_unit_id = "步达远村", org["步达远村"].id
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{capture.id}").get_data(as_text=True)
    assert 'id="place-outside"' in html and "步达远村的台账" in html  # warned before confirming
    item = review.confirm_entry(session, capture, users["sup_gulouzi"], capture_version=None, entry_version=None,
                                triage="ledger")
    session.commit()
    assert item.org_unit_id == org["步达远村"].id and item.level == "village"
    assert "步达远村台账" in item.transitions[0].reason
    from ledger import workflow as wf_

    assert item in wf_.find_items(session, org["步达远镇"])  # 步达远镇 sees it
    own = make_capture(session, users["cadre_a"])
    session.commit()
    assert 'id="place-outside"' not in client.get(f"/review/{own.id}").get_data(as_text=True)


def test_an_item_solved_on_the_spot_stays_where_its_supervisor_can_act(session, users, org):
    """Bug 3's other side: triaged at once (solved, deadline, escalated) by a supervisor whose
    reach the place lies outside, the item stays in the cadre's ledger, about that place."""
    from diary import review
    from tests.test_review import make_capture

    capture = make_capture(session, users["cadre_a"])
    capture.entry.place, capture.entry.place_unit_id = "步达远村", org["步达远村"].id
    capture.entry.interviewee = ""
    session.commit()
    item = review.confirm_entry(session, capture, users["sup_gulouzi"], capture_version=None, entry_version=None,
                                triage="now", result="当场联系了步达远镇")
    session.commit()
    assert item.org_unit_id == org["南荒沟村"].id and item.place_unit_id == org["步达远村"].id
    assert item.status == "closed"


def test_the_three_rates_workbook_holds_numbers(county):
    """Bug 17: the 三率 XLSX stored percentages as text ("67%")."""
    import io

    import openpyxl

    from ledger import rates

    c = county
    e = make_entry(c.session, c.users["cadre_a"], "路灯不亮", interviewee="王秀英")
    item = wf.open_item_from_entry(c.session, e, c.users["cadre_a"])
    wf.set_deadline(c.session, item, c.users["cadre_a"], item.opened_at.date(), "村委会")
    c.session.flush()
    rows = rates.three_rates(c.session, c.units["南荒沟村"], item.opened_at.year, item.opened_at.month)
    ws = openpyxl.load_workbook(io.BytesIO(rates.export_xlsx(rows, "三率"))).active
    header = [cell.value for cell in ws[2]]
    cell = ws.cell(row=3, column=header.index("响应率") + 1)
    assert isinstance(cell.value, (int, float)) and cell.number_format == "0%"
    assert cell.value == rows[0].response_rate
