"""The 12345 workflow: 延期 asked and decided, 催办 and 督办 by working days of the official
calendar, outcomes, 三率, duplicates with a meaningful bar, recurring problems as key projects,
and the dashboard's 逾期 agreeing with the ledger."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.errors import DomainError
from core.models import AuditEvent
from ledger import (
    deadlines,
    notifications,
    rates,
    ratings,
    recurring,
    replies,
    stats,
)
from ledger import (
    workflow as wf,
)
from ledger.deadlines import MemoryChannel
from ledger.models import KeyProject, LedgerItem, Notification
from tests.ledger_helpers import TODAY, make_entry


def _open(c, text="南荒沟村3组道路冲毁，需要修复", cadre="cadre_a", **kw):
    return wf.open_item_from_entry(c.session, make_entry(c.session, c.users[cadre], text, **kw), c.users[cadre])


def _in_progress(c, deadline, text="南荒沟村3组道路冲毁，需要修复", cadre="cadre_a", **kw):
    item = _open(c, text, cadre, **kw)
    wf.set_deadline(c.session, item, c.users[cadre], deadline, "村委会", today=min(deadline, TODAY))
    return item


def test_extension_asked_before_the_deadline_and_decided_by_the_level_above(county):
    c, s = county, county.session
    cadre, sup, other_sup = c.users["cadre_a"], c.users["sup_gulouzi"], c.users["sup_budayuan"]
    item = _in_progress(c, TODAY + dt.timedelta(days=2))
    with pytest.raises(DomainError, match="理由"):
        wf.request_extension(s, item, cadre, TODAY + dt.timedelta(days=10), "", today=TODAY)
    with pytest.raises(DomainError, match="晚于原时限"):
        wf.request_extension(s, item, cadre, TODAY, "材料未到", today=TODAY)
    with pytest.raises(DomainError, match="已过办理时限"):
        wf.request_extension(s, item, cadre, TODAY + dt.timedelta(days=10), "材料未到", today=TODAY + dt.timedelta(days=3))
    ext = wf.request_extension(s, item, cadre, TODAY + dt.timedelta(days=10), "水泥未到货", today=TODAY)
    assert "request_extension" not in wf.allowed_actions(cadre, item)  # one pending request at a time
    # The holder cannot approve its own request; another township cannot; the township above can.
    assert not wf.can(cadre, item, "decide_extension") and not wf.can(other_sup, item, "decide_extension")
    assert "decide_extension" in wf.allowed_actions(sup, item)
    with pytest.raises(DomainError, match="不同意延期的理由"):
        wf.decide_extension(s, item, sup, False, "")
    wf.decide_extension(s, item, sup, True, "同意")
    assert (ext.status, item.deadline, item.status) == ("approved", TODAY + dt.timedelta(days=10), "in_progress")
    told = notifications.villager_notices(item, s)
    assert len(told) == 1 and (TODAY + dt.timedelta(days=10)).isoformat() in told[0].body and "水泥未到货" in told[0].body
    assert [t.action for t in item.transitions][-2:] == ["request_extension", "decide_extension"]
    assert wf.history_problems(item) == []
    actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_id == item.id,
                                                                    AuditEvent.object_type == "LedgerItem"))]
    assert "ledger.request_extension" in actions and "ledger.decide_extension" in actions
    # A refusal keeps the deadline and says why.
    wf.request_extension(s, item, cadre, TODAY + dt.timedelta(days=20), "再等等", today=TODAY)
    wf.decide_extension(s, item, sup, False, "时限内必须完成")
    assert item.deadline == TODAY + dt.timedelta(days=10) and item.extensions[-1].status == "refused"
    # A township's own item is decided by the county.
    up = _in_progress(c, TODAY + dt.timedelta(days=2), text="乡里的事", cadre="sup_gulouzi")
    assert not wf.can_decide_extension(sup, up) and wf.can_decide_extension(c.users["admin"], up)


def test_outcomes_need_a_reason_unless_solved(county):
    c, s = county, county.session
    item = _in_progress(c, TODAY + dt.timedelta(days=3))
    with pytest.raises(DomainError, match="原因"):
        wf.complete(s, item, c.users["cadre_a"], "铺了一半", outcome="部分解决")
    with pytest.raises(DomainError, match="未知"):
        wf.complete(s, item, c.users["cadre_a"], "铺了一半", outcome="差不多")
    wf.complete(s, item, c.users["cadre_a"], "铺了一半", outcome="部分解决", outcome_reason="资金只够一半")
    assert (item.outcome, item.outcome_reason) == ("部分解决", "资金只够一半")
    assert rates.outcome_of(item.transitions[-1]) == "部分解决"
    # The reply told to the villager follows the outcome, in the county's wording.
    assert "资金只够一半" in replies.render(s, item) and "部分解决" in replies.render(s, item)
    with pytest.raises(DomainError, match="县级管理员"):
        replies.save_template(s, "部分解决", "新的措辞{reason}", c.users["sup_gulouzi"])
    replies.save_template(s, "部分解决", "县里的措辞：{reason}", c.users["admin"])
    assert replies.render(s, item) == "县里的措辞：资金只够一半"


def _routes():
    mail = MemoryChannel()
    sms = MemoryChannel()
    return mail, sms, [notifications.Route("email", mail, {"南荒沟村": ["nhg@example.cn"], "古楼子乡": ["glz@example.cn"],
                                                          "宽甸县": ["kd@example.cn"]}),
                       notifications.Route("sms", sms, {"古楼子乡": ["13900000000"]})]


def test_urge_the_day_after_the_deadline_once_per_deadline(county):
    c, s = county, county.session
    item = _in_progress(c, dt.date(2024, 3, 12))
    mail, sms, routes = _routes()
    assert notifications.urge(s, dt.date(2024, 3, 12), routes) == []  # due today: not yet
    assert notifications.urge(s, dt.date(2024, 3, 13), routes) == [item]
    assert mail.sent[0][0] == ("nhg@example.cn",) and "催办" in mail.sent[0][1] and item.code in mail.sent[0][1]
    assert sms.sent[0][0] == ("13900000000",)  # the pluggable channel, by the nearest unit with a number
    assert notifications.urge(s, dt.date(2024, 3, 14), routes) == []  # once per deadline
    rows = s.scalars(select(Notification).where(Notification.item_id == item.id)).all()
    assert {(r.kind, r.channel, r.status) for r in rows} == {("urge", "email", "sent"), ("urge", "sms", "sent")}

    class Broken:
        def send(self, recipients, subject, body):
            raise OSError("connection refused")

    other = _in_progress(c, dt.date(2024, 3, 12), text="另一件事")
    got = notifications.urge(s, dt.date(2024, 3, 13), [notifications.Route("email", Broken(), {"南荒沟村": ["x@y"]})])
    assert got == [other]
    failed = s.scalars(select(Notification).where(Notification.item_id == other.id)).one()
    assert failed.status == "failed" and "refused" in failed.error
    # A failed notice is tried again the next day.
    assert notifications.urge(s, dt.date(2024, 3, 14), routes) == [other]


def test_supervision_counts_working_days_of_the_official_calendar(county):
    c, s = county, county.session
    # National Day 2024: Oct 1-7 off, Sep 29 (Sunday) and Oct 12 (Saturday) worked.
    assert deadlines.is_workday(dt.date(2024, 9, 29)) and not deadlines.is_workday(dt.date(2024, 10, 3))
    assert deadlines.is_workday(dt.date(2024, 10, 12))
    item = _in_progress(c, dt.date(2024, 9, 30))
    assert deadlines.working_days_overdue(item, dt.date(2024, 10, 9)) == 2  # Oct 8 and 9; 9 calendar days
    assert notifications.supervision_list(s, dt.date(2024, 10, 9), 3) == []
    listed = notifications.supervision_list(s, dt.date(2024, 10, 11), 3)
    assert [(x.item, x.working_days, x.supervisor.name) for x in listed] == [(item, 4, "古楼子乡")]
    # The township's list has it, the other township's does not; the county sees everyone's.
    assert notifications.supervision_list(s, dt.date(2024, 10, 11), 3, unit=c.units["古楼子乡"])
    assert not notifications.supervision_list(s, dt.date(2024, 10, 11), 3, unit=c.units["步达远镇"])
    assert notifications.supervision_list(s, dt.date(2024, 10, 11), 3, unit=c.units["宽甸县"])
    mail, sms, routes = _routes()
    assert [x.item for x in notifications.supervise(s, dt.date(2024, 10, 11), routes, 3)] == [item]
    assert mail.sent[-1][0] == ("glz@example.cn",) and "督办" in mail.sent[-1][1]
    assert notifications.supervise(s, dt.date(2024, 10, 14), routes, 3) == []  # told once


def _backdate(item, when):
    for t in item.transitions:
        t.at = when


def test_three_rates_per_unit_and_month(county):
    c, s = county, county.session
    a = c.users["cadre_a"]
    march = dt.datetime(2024, 3, 4, 2)  # Monday 10:00 in China
    fast = _open(c, "快办的事")
    wf.solve_now(s, fast, a, "当场解决")
    _backdate(fast, march)
    slow = _open(c, "拖了很久才限期")
    _backdate(slow, march)
    wf.set_deadline(s, slow, a, dt.date(2024, 3, 30), "村委会", today=dt.date(2024, 3, 4))
    slow.transitions[-1].at = dt.datetime(2024, 3, 8, 2)  # Friday: 4 working days later, past 2
    part = _open(c, "部分解决的事")
    wf.set_deadline(s, part, a, dt.date(2024, 3, 30), "村委会", today=dt.date(2024, 3, 4))
    wf.complete(s, part, a, "修了一半", outcome="部分解决", outcome_reason="资金不足")
    _backdate(part, march)
    fresh = _open(c, "今天刚立项")  # its response time has not run out: not counted yet
    _backdate(fresh, dt.datetime(2024, 3, 29, 2))
    # taken by the township supervisor on a return visit: counted (the cadre's own would not be)
    ratings.record_in_person(s, fast, c.users["sup_gulouzi"], "满意")
    fast.evaluations[-1].at = march
    s.flush()
    for weight, sat in ((1.0, 1.0), (0.5, 1.0)):
        rows = rates.three_rates(s, c.units["宽甸县"], 2024, 3, rules=rates.RateRules(2, weight),
                                 today=dt.date(2024, 3, 29))
        nhg = next(r for r in rows if r.label == "南荒沟村")
        assert (nhg.due_response, nhg.responded) == (3, 2)  # fast and part on the day; slow late
        assert (nhg.completed, nhg.outcomes["已解决"], nhg.outcomes["部分解决"]) == (2, 1, 1)
        assert nhg.solve_rate == 0.5 and nhg.satisfaction_rate == sat
        assert rows[-1].due_response == 3 and rows[-1].label == "合计"
    # 基本满意 as the county counts it: weight 0.5 makes one 基本满意 half satisfied. (One
    # evaluation per result: a second one on `fast` is refused, so the first is read as 基本满意.)
    with pytest.raises(DomainError):
        ratings.record_in_person(s, fast, c.users["sup_gulouzi"], "基本满意")
    fast.evaluations[-1].rating = "基本满意"
    s.flush()
    rows = rates.three_rates(s, c.units["南荒沟村"], 2024, 3, rules=rates.RateRules(2, 0.5), today=dt.date(2024, 3, 29))
    assert rows[0].satisfaction_rate == pytest.approx(0.5)
    assert rates.table_row(rows[0])[3:4] == ["67%"] and rates.table_row(rows[0])[-1] == "50%"
    # the responsible cadre's own rating is shown apart and moves no rate
    assert ratings.taken_by_responsible(fast, a)
    csv_text = rates.export_csv(rows)
    assert csv_text.splitlines()[1].split(",") == [str(v) for v in rates.table_row(rows[0])]


def test_duplicates_need_the_same_category_and_alike_words_not_only_the_place(county):
    c, s = county, county.session
    road = _open(c, "南荒沟村3组道路冲毁，需要修复", category="道路桥梁")
    clinic = _open(c, "南荒沟村3组卫生室没有医生坐诊", category="医疗卫生")
    garbage = _open(c, "南荒沟村3组垃圾没人清运", category="环境卫生")
    same_road = _open(c, "3组道路被大水冲毁了，车过不去", category="道路桥梁", interviewee="王桂兰")
    other_road = _open(c, "南荒沟村3组路灯不亮需要维修", category="道路桥梁")
    assert [x.item for x in wf.suggest_duplicates(s, same_road)] == [road]
    assert wf.suggest_duplicates(s, clinic) == [] and wf.suggest_duplicates(s, garbage) == []
    assert other_road not in [x.item for x in wf.suggest_duplicates(s, road)]
    # The place words alone make no similarity.
    assert wf.similarity_of(clinic, garbage).text_similarity == 0
    identical = _open(c, "南荒沟村3组道路冲毁，需要修复", category="道路桥梁")
    top = wf.suggest_duplicates(s, identical)[0]
    assert top.item == road and top.text_similarity == 1.0 and top.same_place


def test_recurring_problems_across_villages_become_a_key_project(county):
    c, s = county, county.session
    a = _open(c, "南荒沟村2组自来水管冻裂停水", category="饮水", cadre="cadre_a")
    b = _open(c, "大古岭村自来水管冻裂，全屯停水三天", category="饮水", cadre="cadre_b")
    d = _open(c, "步达远村自来水管冻裂停水了", category="饮水", cadre="cadre_c")
    _open(c, "大古岭村道路冲毁", category="道路桥梁", cadre="cadre_b")
    _open(c, "南荒沟村道路冲毁", category="饮水", cadre="cadre_a")  # same category, other words
    found = recurring.clusters(s, c.units["宽甸县"], TODAY)
    assert len(found) == 1
    cl = found[0]
    assert set(cl.items) == {a, b, d} and {v.name for v in cl.villages} == {"南荒沟村", "大古岭村", "步达远村"}
    # A township sees the part of it in its villages (two villages still make a cluster).
    assert {i.id for i in recurring.clusters(s, c.units["古楼子乡"], TODAY)[0].items} == {a.id, b.id}
    project = recurring.make_key_project(s, cl.suggested_name(), c.units["宽甸县"], list(cl.items), c.users["admin"])
    assert all(i.key_project_id == project.id for i in (a, b, d))
    assert all(i.transitions[-1].action == "key_project" for i in (a, b, d))
    assert s.scalars(select(KeyProject)).one().org_unit.name == "宽甸县"
    with pytest.raises(DomainError):
        recurring.make_key_project(s, "x", c.units["南荒沟村"], [a], c.users["cadre_a"])


def test_dashboard_overdue_agrees_with_the_ledger_and_the_reminders(client, session, users, login, org):
    from ledger.deadlines import local_today

    today = local_today()
    cadre = users["cadre_a"]
    items = []
    for n, days in enumerate((-40, -3, -1, 0, 5)):  # overdue since last month, this month, due today, later
        entry = make_entry(session, cadre, f"第{n}件：道路问题", visit_date=today)
        item = wf.open_item_from_entry(session, entry, cadre)
        wf.set_deadline(session, item, cadre, today + dt.timedelta(days=max(days, 0)), "村委会", today=today)
        item.deadline = today + dt.timedelta(days=days)  # a deadline set earlier that has passed by now
        items.append(item)
    wf.escalate(session, items[1], cadre, "村里办不了")  # held by the township now
    session.commit()
    login(users["sup_gulouzi"])
    dash = client.get("/dashboard/").get_data(as_text=True)
    table = dash[dash.index('id="table-units"'):dash.index("</table>", dash.index('id="table-units"'))]
    cells = {m.group(1): [int(x) for x in re.findall(r"<td>(\d+)</td>", m.group(0))[:4]]
             for m in re.finditer(r"<tr[^>]*><td>([^<]+)</td>.*?</tr>", table, re.S)}
    overdue_col = {k: v[2] for k, v in cells.items()}
    listed = client.get("/ledger/?overdue=1").get_data(as_text=True)
    in_list = [i.code for i in items if i.code in listed]
    due = {u.unit.name: len(u.overdue) for u in deadlines.due_report(session, today, within=org["古楼子乡"])}
    assert overdue_col["南荒沟村"] == due["南荒沟村"] == 2  # since last month, and since yesterday
    assert sorted(in_list) == sorted(i.code for i in items[:3])  # not the one due today, nor the later one
    total = overdue_col["合计"]
    assert total == len(in_list) == sum(due.values()) == 3
    assert overdue_col["古楼子乡"] == due["古楼子乡"] == 1
    assert stats.unit_month_stats(session, org["古楼子乡"], today.year, today.month, today)[-1].overdue == 3


def test_rates_table_and_export_have_the_same_cells_and_templates_are_the_countys(client, session, users, login):
    from ledger.deadlines import local_today

    cadre = users["cadre_a"]
    for text in ("道路冲毁", "路灯不亮"):
        item = wf.open_item_from_entry(session, make_entry(session, cadre, text, visit_date=local_today()), cadre)
        wf.solve_now(session, item, cadre, "已修好")
    session.commit()
    login(users["admin"])
    html = client.get("/dashboard/").get_data(as_text=True)
    table = html[html.index('id="table-rates"'):html.index("</table>", html.index('id="table-rates"'))]
    shown = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]]
    csv = client.get("/dashboard/rates.csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset (bug 10)
    exported = [line.split(",") for line in csv.get_data(as_text=True).lstrip("\ufeff").splitlines()[1:]]
    # the page shows the units a page at a time, and the total; the export has every unit
    assert shown == exported[:len(shown) - 1] + exported[-1:]
    pages = -(-(len(exported) - 1) // len(shown[:-1]))
    for n in range(2, pages + 1):
        more = client.get(f"/dashboard/?up={n}").get_data(as_text=True)
        table = more[more.index('id="table-rates"'):more.index("</table>", more.index('id="table-rates"'))]
        shown += [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]]
    assert [row for row in shown if row[0] != "合计"] + exported[-1:] == exported
    nhg = next(row for row in shown if row[0] == "南荒沟村")
    assert nhg[4:9] == ["2", "2", "0", "0", "100%"]  # both completed 已解决
    xlsx = client.get("/dashboard/rates.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    # The county edits the reply wording; the item page's feedback note starts from it.
    page = client.get("/ledger/replies").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/ledger/replies", data={"csrf_token": token, "已解决": "县里答复：{result}"})
    assert replies.templates(session)["已解决"] == "县里答复：{result}"
    login(users["sup_gulouzi"])
    assert client.post("/ledger/replies", data={"csrf_token": token, "已解决": "x"}).status_code in (400, 403)


def _token(client, path="/login"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_identical_problem_warns_merge_asks_first_and_the_merged_item_shows_everyone(client, session, users, login):
    from ledger.deadlines import local_today

    a, b = users["cadre_a"], users["cadre_b"]
    first = wf.open_item_from_entry(session, make_entry(session, a, "南荒沟村3组道路冲毁，需要修复", interviewee="张大山",
                                                        visit_date=local_today()), a)
    again = make_entry(session, a, "南荒沟村3组道路冲毁，需要修复", interviewee="王桂兰", visit_date=local_today())
    session.commit()
    login(a)
    resp = client.post(f"/ledger/entries/{again.id}/open", data={"csrf_token": _token(client, "/ledger/entries"),
                                                                 "category": "道路桥梁"})
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "可能与已有事项" in page and first.code in page  # warned where it was sent
    second = session.scalars(select(LedgerItem).where(LedgerItem.id != first.id)).one()
    # The cadre sees the suggestion but may not merge; the supervisor is asked first.
    assert "可能重复的事项" in page and "并入该事项" not in page
    assert "反映的问题几乎相同" in page  # a warning at the top, for whoever opens it (also after a review confirm)
    login(users["sup_gulouzi"])
    page = client.get(f"/ledger/item/{second.id}").get_data(as_text=True)
    assert "并入该事项" in page and first.code in page
    token = _token(client, f"/ledger/item/{second.id}")
    resp = client.post(f"/ledger/item/{second.id}/merge", data={"csrf_token": token, "target_id": first.id,
                                                               "version": second.version})
    assert resp.status_code == 302 and "/merge?target=" in resp.headers["Location"]
    session.expire_all()
    assert session.get(LedgerItem, second.id).status == "open"  # nothing merged yet
    confirm = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "确认合并" in confirm and "文字相似度" in confirm and "100%" in confirm
    resp = client.post(f"/ledger/item/{second.id}/merge", data={
        "csrf_token": _token(client, resp.headers["Location"]), "target_id": first.id,
        "version": session.get(LedgerItem, second.id).version, "confirmed": "1"})
    session.expire_all()
    assert session.get(LedgerItem, second.id).status == "merged"
    page = client.get(f"/ledger/item/{first.id}").get_data(as_text=True)
    assert page.count('class="linked"') == 2 and "张大山" in page and "王桂兰" in page
    # Another village's cadre entry joins; cadre_a sees the entries in their scope only.
    third = wf.open_item_from_entry(session, make_entry(session, b, "大古岭村道路冲毁需要修复", interviewee="李四",
                                                        visit_date=local_today()), b)
    wf.merge(session, third, session.get(LedgerItem, first.id), users["sup_gulouzi"])
    session.commit()
    login(a)
    page = client.get(f"/ledger/item/{first.id}").get_data(as_text=True)
    assert page.count('class="linked"') == 2 and "李四" not in page and "另有 1 篇日记" in page


def test_county_dashboard_lists_recurring_problems_and_makes_one_a_key_project(client, session, users, login):
    from ledger.deadlines import local_today

    items = []
    for who, text in (("cadre_a", "南荒沟村自来水管冻裂停水"), ("cadre_b", "大古岭村自来水管冻裂，全屯停水"),
                      ("cadre_c", "步达远村自来水管冻裂停水三天")):
        cadre = users[who]
        items.append(wf.open_item_from_entry(session, make_entry(session, cadre, text, category="饮水",
                                                                 visit_date=local_today()), cadre))
    session.commit()
    login(users["admin"])
    page = client.get("/dashboard/").get_data(as_text=True)
    section = page[page.index('id="recurring"'):]
    assert "尚未计算" in section and "3 个村" not in section  # the page does not work them out itself
    # The background job (celery beat / minxin recurring-refresh) works out every county and township.
    assert set(recurring.refresh_stale(session, local_today(), commit=True)) >= {items[0].org_unit.parent.parent_id}
    assert recurring.refresh_stale(session, local_today(), commit=True) == []  # nothing changed since
    page = client.get("/dashboard/").get_data(as_text=True)
    section = page[page.index('id="recurring"'):]
    assert "后台计算于" in section and "3 个村" in section and all(i.code in section for i in items)
    token = re.search(r'name="csrf_token" value="([^"]+)"', section).group(1)
    resp = client.post("/dashboard/cluster", data={"csrf_token": token, "name": "冬季饮水管网防冻",
                                                   "item_id": [str(i.id) for i in items]})
    assert resp.status_code == 302 and "project=" in resp.headers["Location"]
    session.expire_all()
    project = session.scalars(select(KeyProject)).one()
    assert project.name == "冬季饮水管网防冻" and project.org_unit.name == "宽甸县"
    assert all(session.get(LedgerItem, i.id).key_project_id == project.id for i in items)
    listing = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert all(i.code in listing for i in items)
    again = client.get("/dashboard/").get_data(as_text=True)
    again = again[again.index('id="recurring"'):]
    assert again.count('<span class="badge flag">冬季饮水管网防冻</span>') == 3 and all(i.code in again for i in items)
    # A township's supervisor sees only its villages' part and cannot pull in another township's item.
    login(users["sup_gulouzi"])
    assert client.post("/dashboard/cluster", data={"csrf_token": token, "name": "x",
                                                   "item_id": [str(items[2].id)]}).status_code in (400, 404)


def test_the_pluggable_gateway_channel_posts_json_and_is_configured_by_the_county(county):
    import json as _json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((self.headers.get("Authorization"),
                        _json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = {"SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_address[1]}/send", "SMS_GATEWAY_TOKEN": "t0k",
                  "SMS_RECIPIENTS": "古楼子乡=13900000000"}
        routes = notifications.routes_from_config(config)
        assert [r.name for r in routes] == ["sms"]
        c, s = county, county.session
        item = _in_progress(c, dt.date(2024, 3, 12))
        assert notifications.urge(s, dt.date(2024, 3, 13), routes) == [item]
        assert got and got[0][0] == "Bearer t0k" and got[0][1]["to"] == ["13900000000"]
        assert item.code in got[0][1]["subject"] and "2024-03-12" in got[0][1]["body"]
    finally:
        server.shutdown()
        server.server_close()
    # A county's own channel by import path.
    routes = notifications.routes_from_config({"NOTIFY_CHANNEL_FACTORY": "ledger.deadlines:MemoryChannel",
                                               "SMS_RECIPIENTS": "宽甸县=13800000000"})
    assert [r.name for r in routes] == ["sms"] and isinstance(routes[0].channel, MemoryChannel)
