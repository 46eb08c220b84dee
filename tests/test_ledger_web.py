"""The ledger through the web app (on the migrated schema): permissions, state actions as CSRF
forms, the PII-free public pages, villager evaluation once per code, 不满意 reopening, the
dashboard, downloads, the CLI commands and the demo seeding."""
from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from test_ledger_exports import PII_ENTRIES, PII_STRINGS

from ledger import publication, ratings
from ledger import workflow as wf
from ledger.deadlines import local_today
from ledger.models import Evaluation, LedgerItem
from recognize.privacy import find_pii
from tests.ledger_helpers import make_entry

NOW = dt.datetime.utcnow().replace(microsecond=0) - dt.timedelta(hours=1)


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token"
    return m.group(1)


def _new_item(session, users, text="南荒沟村3组道路冲毁", who="", cadre="cadre_a"):
    entry = make_entry(session, users[cadre], text, interviewee=who, visit_date=local_today())
    item = wf.open_item_from_entry(session, entry, users[cadre])
    session.commit()
    return item


def _post(client, path, data, page):
    data = {**data, "csrf_token": _token(client.get(page).get_data(as_text=True))}
    return client.post(path, data=data)


def test_cadre_works_the_item_through_forms(client, session, users, login):
    item = _new_item(session, users, who="张大山")
    login(users["cadre_a"])
    page = f"/ledger/item/{item.id}"
    html = client.get(page).get_data(as_text=True)
    assert "南荒沟村3组道路冲毁" in html and "限期办理" in html and "销号" not in html  # cadres do not close
    due = (local_today() + dt.timedelta(days=5)).isoformat()
    resp = _post(client, f"{page}/set_deadline", {"deadline": due, "responsible_unit": "村委会", "version": 1}, page)
    assert resp.status_code == 302
    session.expire_all()
    item = session.get(LedgerItem, item.id)
    assert (item.status, item.deadline.isoformat(), item.responsible_unit) == ("in_progress", due, "村委会")
    # Completing without feedback is refused with the Chinese message, nothing changes.
    resp = _post(client, f"{page}/complete", {"result": "已修复", "version": item.version}, page)
    assert "办结前须登记反馈情况" in client.get(page).get_data(as_text=True)
    session.expire_all()
    assert session.get(LedgerItem, item.id).status == "in_progress"
    _post(client, f"{page}/feedback", {"method": "电话告知", "told_at": local_today().isoformat(), "note": "已告知",
                                      "version": session.get(LedgerItem, item.id).version}, page)
    # A stale version (the page seen before the feedback) is refused.
    _post(client, f"{page}/complete", {"result": "已修复", "version": 1}, page)
    assert "已被他人修改" in client.get(page).get_data(as_text=True)
    session.expire_all()
    _post(client, f"{page}/complete", {"result": "已修复", "version": session.get(LedgerItem, item.id).version}, page)
    session.expire_all()
    assert session.get(LedgerItem, item.id).status == "done"
    # The township supervisor closes it; the page then offers the feedback slip with the QR code.
    login(users["sup_gulouzi"])
    _post(client, f"{page}/close", {"note": "验收合格", "version": session.get(LedgerItem, item.id).version}, page)
    session.expire_all()
    item = session.get(LedgerItem, item.id)
    assert item.status == "closed"
    html = client.get(page).get_data(as_text=True)
    assert f"/ledger/item/{item.id}/slip" in html and "验收合格" in html and "孙建国" in html  # history: who, why
    assert item.eval_code not in html  # the secret code is on the slip alone
    slip = client.get(f"/ledger/item/{item.id}/slip").get_data(as_text=True)
    assert f"/public/qr/{item.eval_code}.png" in slip and item.eval_code in slip
    assert client.get(f"/public/qr/{item.code}.png").status_code == 404  # the number is no code
    png = client.get(f"/public/qr/{item.eval_code}.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_other_village_and_other_township_cannot_act(client, session, users, login):
    item = _new_item(session, users)
    page = f"/ledger/item/{item.id}"
    for who in ("cadre_b", "cadre_c", "sup_budayuan"):
        login(users[who])
        assert client.get(page).status_code == 404  # outside their scope: the id does not leak
        token = _token(client.get("/ledger/").get_data(as_text=True))
        resp = client.post(f"{page}/solve_now", data={"result": "x", "csrf_token": token})
        assert resp.status_code == 404
        assert client.get(f"/ledger/export?unit={users['cadre_a'].org_unit_id}&format=csv").status_code == 403
    # The village's own cadre holds the item but may not take supervisor actions.
    wf.set_deadline(session, item, users["cadre_a"], local_today(), "村委会")
    wf.complete(session, item, users["cadre_a"], "已修复")
    session.commit()
    login(users["cadre_a"])
    resp = _post(client, f"{page}/close", {"note": "x", "version": item.version}, page)
    assert resp.status_code == 403 and "您无权对该事项执行「销号」" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(LedgerItem, item.id).status == "done"
    # Without a CSRF token a state action is refused.
    assert client.post(f"{page}/solve_now", data={"result": "x"}).status_code == 400


def test_escalation_through_the_web(client, session, users, login):
    item = _new_item(session, users)
    page = f"/ledger/item/{item.id}"
    login(users["cadre_a"])
    resp = _post(client, f"{page}/escalate", {"reason": "村里没有资金"}, page)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    # Held by the township now, still in the village's view: read-only, who holds it, its history.
    html = client.get(page).get_data(as_text=True)
    assert "已上报待受理" in html and "古楼子乡" in html and "村里没有资金" in html
    assert "当前由宽甸县古楼子乡办理" in html and f'action="{page}/' not in html  # no forms: nothing the cadre may do
    assert item.code in client.get("/ledger/").get_data(as_text=True)  # not vanished from the village's list
    login(users["sup_gulouzi"])
    html = client.get(page).get_data(as_text=True)
    assert "已上报待受理" in html and "村里没有资金" in html and "退回到" in html
    _post(client, f"{page}/send_back", {"guidance": "先申请一事一议资金"}, page)
    session.expire_all()
    item = session.get(LedgerItem, item.id)
    assert (item.status, item.org_unit.name) == ("open", "南荒沟村")
    login(users["cadre_a"])
    assert "先申请一事一议资金" in client.get(page).get_data(as_text=True)


def _closed_pii_items(session, users):
    items = []
    for text, who, place in PII_ENTRIES:
        cadre = users["cadre_b"] if place.startswith("大古岭村") else users["cadre_a"]
        entry = make_entry(session, cadre, text, interviewee=who, place=place, pii=find_pii(text, known=[who]))
        item = wf.open_item_from_entry(session, entry, cadre)
        wf.record_feedback(session, item, cadre, "电话告知", NOW, f"已电话告知{who}，电话13841512345")
        wf.solve_now(session, item, cadre, f"已为{who}解决，{who}（{place}）表示满意，回访电话0415-5123456")
        publication.approve_as_drafted(session, item, users["sup_gulouzi"])  # 公开审核
        items.append(item)
    session.commit()
    return items


def test_public_pages_show_no_pii(client, session, users, org):
    items = _closed_pii_items(session, users)
    open_item = _new_item(session, users, text="未办结的问题：张大山电话13841512345")
    pages = ["/public/", *(f"/public/{u.id}" for u in org.values()),
             *(f"/public/e/{i.eval_code}" for i in items)]
    seen = ""
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        for secret in PII_STRINGS:
            assert secret not in html, (path, secret)
        assert "13841512345" not in html.replace(" ", "")
        seen += html
    county_page = client.get(f"/public/{org['宽甸县'].id}").get_data(as_text=True)
    assert county_page.count('class="item"') == 3 and "未办结的问题" not in county_page
    assert "宽甸县古楼子乡南荒沟村" in county_page and "张某某" in county_page  # redacted, not removed
    assert client.get("/public/999999").status_code == 404


def test_one_public_evaluation_per_code(client, session, users):
    item = _new_item(session, users)
    wf.solve_now(session, item, users["cadre_a"], "已修复")
    session.commit()
    page = f"/public/e/{item.eval_code}"
    html = client.get(page).get_data(as_text=True)
    assert "满意" in html and "提交评价" in html
    assert client.post(page, data={"rating": "满意"}).status_code == 400  # CSRF required
    resp = _post(client, page, {"rating": "满意", "comment": "很好"}, page)
    assert resp.status_code == 200 and "感谢" in resp.get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert "此评议码已使用" in html and "提交评价" not in html
    # A second submission (e.g. a form kept open in another tab) is refused too.
    from core.errors import DomainError

    with pytest.raises(DomainError, match="已使用"):
        ratings.submit_public_evaluation(session, item.eval_code, "不满意")
    session.rollback()
    assert [e.rating for e in session.scalars(select(Evaluation).where(Evaluation.item_id == item.id))] == ["满意"]
    # Codes are case-insensitive on the phone; unknown ones are a 404.
    assert client.get(f"/public/e/{item.eval_code.lower()}").status_code == 200
    assert client.get("/public/e/ZZZZ0000").status_code == 404


def test_dissatisfied_villager_reopens_the_item(client, session, users, login):
    item = _new_item(session, users)
    wf.solve_now(session, item, users["cadre_a"], "已修复")
    session.commit()
    old_code, number = item.eval_code, item.code
    page = f"/public/e/{old_code}"
    _post(client, page, {"rating": "不满意", "comment": "根本没修"}, page)
    session.expire_all()
    item = session.get(LedgerItem, item.id)
    assert item.status == "reopened" and item.code == number and item.closed_at is None  # same number
    assert item.transitions[-1].action == "reopen" and item.transitions[-1].actor_id is None
    assert "根本没修" in item.transitions[-1].reason
    # The used code says so and thanks the villager, on the page and when tried again.
    html = client.get(page).get_data(as_text=True)
    assert "此评议码已使用" in html and "感谢" in html and "提交评价" not in html
    _post(client, page, {"rating": "满意"}, "/login")  # the used page has no form; a token from elsewhere
    assert "此评议码已使用，感谢您的评价" in client.get(page).get_data(as_text=True)
    assert len(session.scalars(select(Evaluation).where(Evaluation.item_id == item.id)).all()) == 1
    login(users["sup_gulouzi"])
    listing = client.get("/ledger/?status=reopened").get_data(as_text=True)
    assert item.code in listing
    detail = client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    assert "重新办理" in detail and "不满意" in detail


def test_in_person_evaluation_by_cadre(client, session, users, login):
    item = _new_item(session, users)
    wf.solve_now(session, item, users["cadre_a"], "已修复")
    session.commit()
    login(users["cadre_a"])
    page = f"/ledger/item/{item.id}"
    _post(client, f"{page}/evaluate", {"rating": "基本满意", "comment": "入户回访", "version": item.version}, page)
    ev = session.scalars(select(Evaluation).where(Evaluation.item_id == item.id)).one()
    assert (ev.rating, ev.source, ev.recorded_by_id) == ("基本满意", "in_person", users["cadre_a"].id)
    login(users["cadre_b"])
    assert client.get(page).status_code == 404


def test_ledger_list_filters_and_downloads(client, session, users, login):
    road = _new_item(session, users, text="道路冲毁")
    water = _new_item(session, users, text="水井干涸")
    wf.set_flags(session, water, users["sup_gulouzi"], pain_point=True)
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get("/ledger/?flag=pain_point").get_data(as_text=True)
    assert water.code in html and road.code not in html
    html = client.get("/ledger/?q=道路").get_data(as_text=True)
    assert road.code in html and water.code not in html
    resp = client.get(f"/ledger/export?unit={users['sup_gulouzi'].org_unit_id}&format=xlsx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["南荒沟村"]
    assert sorted(ws.cell(row=r, column=6).value for r in (3, 4)) == ["水井干涸", "道路冲毁"]  # 反映问题, after 序号 编号 走访日期 地点 反映人
    resp = client.get(f"/ledger/export?unit={users['sup_gulouzi'].org_unit_id}&format=csv&public=1")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert client.get("/ledger/export?format=pdf").status_code == 400


def test_entries_page_opens_and_links(client, session, users, login):
    first = make_entry(session, users["cadre_a"], "南荒沟村3组自来水管冻裂停水", category="饮水")
    second = make_entry(session, users["cadre_a"], "3组自来水管冻裂，全组停水", category="饮水", interviewee="王桂兰")
    session.commit()
    login(users["cadre_a"])
    html = client.get("/ledger/entries").get_data(as_text=True)
    assert "自来水管冻裂" in html
    _post(client, f"/ledger/entries/{first.id}/open", {"category": "饮水"}, "/ledger/entries")
    item = session.scalars(select(LedgerItem)).one()
    html = client.get("/ledger/entries").get_data(as_text=True)
    assert item.code in html  # suggested as the same problem
    _post(client, f"/ledger/entries/{second.id}/link", {"item_id": item.id}, "/ledger/entries")
    session.expire_all()
    item = session.get(LedgerItem, item.id)
    assert len(item.entries) == 2 and item.common_need


def test_dashboard_numbers_and_charts(client, session, users, login):
    today = local_today()
    for n in range(4):
        make_entry(session, users["cadre_a"], f"走访{n}", visit_date=today.replace(day=1))
    item = _new_item(session, users, text="走访发现的问题")
    wf.escalate(session, item, users["cadre_a"], "需要乡里")
    session.commit()
    login(users["cadre_a"])
    assert client.get("/dashboard/").status_code == 403
    login(users["sup_gulouzi"])
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "vendor/chart-4.6.1.umd.min.js" in html and "/static/dashboard.js" in html  # (no inline script: CSP)
    assert "new Chart(" in client.get("/static/dashboard.js").get_data(as_text=True)
    visits = html[html.index('id="table-visits"'):]
    assert re.search(r"李春生</td><td>南荒沟村</td><td>5</td>\s*<td>已完成", visits)  # 4 + the item's entry
    assert re.search(r"王秀英</td><td>大古岭村</td><td>0</td>\s*<td><span class=\"behind\">落后，差 4 次", visits)
    units = html[html.index('id="table-units"'):html.index('id="table-visits"')]
    assert re.search(r"<td>南荒沟村</td><td>1</td><td>0</td><td>0</td><td>1</td>", units)
    chart = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    import json

    data = json.loads(chart)
    assert data["quota"] == 4 and data["units"][:3] == ["古楼子乡", "南荒沟村", "大古岭村"]
    assert data["opened"][:3] == [0, 1, 0] and data["escalated"][:3] == [0, 1, 0]
    resp = client.get(f"/ledger/diary?cadre={users['cadre_a'].id}&month={today:%Y-%m}")
    assert resp.status_code == 200 and "走访 5 次" in resp.get_data(as_text=True)
    login(users["cadre_b"])
    assert client.get(f"/ledger/diary?cadre={users['cadre_a'].id}").status_code == 404  # others' diaries do not leak


def test_cli_commands(app, session, users, tmp_path):
    items = _closed_pii_items(session, users)
    commands = app.cli.commands  # registered on the app by the factory
    runner = CliRunner()
    out = tmp_path / "公示.xlsx"
    with app.app_context():
        res = runner.invoke(commands["export-ledger"], ["--unit", "古楼子乡", "--format", "xlsx", "--out", str(out), "--public"])
        assert res.exit_code == 0, res.output
        assert f"已导出 {len(items)} 件事项" in res.output
        wb = openpyxl.load_workbook(out)
        values = " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
        assert "张大山" not in values and "13841512345" not in values and "南荒沟村" in values
        res = runner.invoke(commands["export-ledger"], ["--unit", "不存在乡", "--format", "csv", "--out", str(tmp_path / "x.csv")])
        assert res.exit_code != 0 and "找不到单位" in res.output
        late = _new_item(session, users, text="逾期的问题")
        wf.set_deadline(session, late, users["cadre_a"], local_today() - dt.timedelta(days=2), "村委会",
                        today=local_today() - dt.timedelta(days=9))
        session.commit()
        res = runner.invoke(commands["ledger-daily"], ["--dry-run"])
        assert res.exit_code == 0, res.output
        assert "宽甸县古楼子乡南荒沟村: 逾期 1 件, 3日内到期 0 件" in res.output and "未发送 南荒沟村" in res.output


def test_demo_seeding_leaves_every_state(client, session, org, users):
    from ops.demo import seed_ledger

    counts = seed_ledger(session, org, users)
    session.commit()
    assert set(counts) == set(wf.STATUSES), counts
    for item in session.scalars(select(LedgerItem)):
        assert wf.history_problems(item) == [], item.id
    county_page = client.get(f"/public/{org['宽甸县'].id}").get_data(as_text=True)
    assert county_page.count('class="item"') == counts["closed"]
    for name in ("张大山", "王桂兰", "刘玉珍", "赵福", "孙德胜", "李淑芬", "陈国强", "周玉梅", "13841512345", "13504156789"):
        assert name not in county_page, name


def test_demo_entries_are_confirmed_in_the_audit_log_like_real_ones(session, org, users):
    from core.models import AuditEvent
    from diary.models import DiaryEntry
    from ops.demo import seed_ledger

    seed_ledger(session, org, users)
    session.commit()
    demo_entries = list(session.scalars(select(DiaryEntry)))
    assert demo_entries and all(e.status == "confirmed" and e.confirmed_by_id for e in demo_entries)
    events = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "DiaryEntry")
                                 .order_by(AuditEvent.id)):
        events.setdefault(event.object_id, []).append(event)
    for e in demo_entries:
        actions = [ev.action for ev in events.get(e.id, [])]
        assert actions[:2] == ["entry.create", "entry.confirm"], (e.id, actions)
        confirm = events[e.id][1]
        assert confirm.actor_id == e.confirmed_by_id
        assert (confirm.before, confirm.after["status"]) == ({"status": "draft"}, "confirmed")
    # Each item was opened from its own entry, whose confirm says so as a reviewer's triage would.
    triages = [events[e.id][1].after["triage"] for e in demo_entries]
    assert triages.count("ledger") == len(session.scalars(select(LedgerItem)).all())
    assert set(triages) == {"ledger", None}


def test_public_village_page_shows_items_solved_higher_up(client, session, users, org):
    item = _new_item(session, users, text="跨村饮水主管道")
    wf.escalate(session, item, users["cadre_a"], "需要乡里")
    wf.accept_escalation(session, item, users["sup_gulouzi"])
    wf.solve_now(session, item, users["sup_gulouzi"], "乡水利站更换主管道")
    publication.approve_as_drafted(session, item, users["sup_gulouzi"])
    session.commit()
    for unit in ("南荒沟村", "古楼子乡", "宽甸县"):
        assert "乡水利站更换主管道" in client.get(f"/public/{org[unit].id}").get_data(as_text=True), unit
    assert "乡水利站更换主管道" not in client.get(f"/public/{org['大古岭村'].id}").get_data(as_text=True)
