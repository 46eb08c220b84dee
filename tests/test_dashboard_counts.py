"""The dashboard's numbers counted in the database are the numbers the items' histories give:
a past day's 逾期 against a replay of every item's history through a month of workflow (open,
deadline, escalate, accept, extension, complete, close, reopen, merge, a village moved), and
the dashboard's shortened lists against the full ones. Run on SQLite here and on PostgreSQL in
the scale group (tests/test_scale_lists.py imports these tests)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ledger import deadlines, notifications, stats
from ledger import workflow as wf
from ledger.models import LedgerItem, LedgerTransition
from ledger.workflow import ACTIVE
from org.models import OrgUnit
from org.users import move_unit
from tests.ledger_helpers import make_entry


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    """`hour` o'clock on `day` in China, as the naive UTC the history stores."""
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=8)


def _dated(item: LedgerItem, day: dt.date, hour: int = 10) -> LedgerItem:
    item.transitions[-1].at = _at(day, hour)
    return item


def _replayed(session, ids: set[int], day: dt.date) -> dict[int, int]:
    """The count the dashboard made before it moved into the database: every candidate item's
    history replayed in Python to its state at the end of `day`."""
    def local(value):
        return (value + dt.timedelta(hours=8)).date()

    under = select(OrgUnit.id).where(OrgUnit.id.in_(ids))
    sent_up = select(LedgerTransition.item_id).where(LedgerTransition.action == "escalate",
                                                     LedgerTransition.from_unit_id.in_(under))
    out: dict[int, int] = {}
    for item in session.scalars(select(LedgerItem).where(
            LedgerItem.deadline.is_not(None), LedgerItem.status != "merged",
            LedgerItem.org_unit_id.in_(under) | LedgerItem.id.in_(sent_up))
            .options(selectinload(LedgerItem.transitions), selectinload(LedgerItem.extensions))):
        trs = [t for t in item.transitions if local(t.at) <= day]
        if not trs or not any(t.action == "set_deadline" for t in trs):
            continue
        deadline = item.deadline
        for ext in item.extensions:
            if ext.status == "approved" and ext.decided_at is not None and local(ext.decided_at) > day:
                deadline = ext.old_deadline
                break
        if trs[-1].to_status in ACTIVE and deadline < day and trs[-1].to_unit_id in ids:
            out[trs[-1].to_unit_id] = out.get(trs[-1].to_unit_id, 0) + 1
    return out


def _january(session, org, users):
    """A month of one county's ledger, every step dated; then 大古岭村 moves to 步达远镇."""
    a, b, c = users["cadre_a"], users["cadre_b"], users["cadre_c"]
    glz, bdy = users["sup_gulouzi"], users["sup_budayuan"]
    d = dt.date

    def item(cadre, text, day):
        return _dated(wf.open_item_from_entry(session, make_entry(session, cadre, text, visit_date=day), cadre), day)

    late = item(a, "甲：路灯坏了", d(2024, 1, 2))  # never done: overdue from Jan 11
    _dated(wf.set_deadline(session, late, a, d(2024, 1, 10), "村委会", today=d(2024, 1, 3)), d(2024, 1, 3))
    # Sent up on Jan 9, the township's with a deadline of Jan 18 from Jan 12 (the history's count
    # takes an item's current deadline from its first one on), done on Jan 20.
    up = item(b, "乙：桥要修", d(2024, 1, 2))
    _dated(wf.set_deadline(session, up, b, d(2024, 1, 8), "村委会", today=d(2024, 1, 2)), d(2024, 1, 2))
    _dated(wf.escalate(session, up, b, "村里修不了"), d(2024, 1, 9))
    _dated(wf.accept_escalation(session, up, glz), d(2024, 1, 12))
    _dated(wf.set_deadline(session, up, glz, d(2024, 1, 18), "乡交通站", today=d(2024, 1, 12)), d(2024, 1, 12))
    _dated(wf.complete(session, up, glz, "修好了"), d(2024, 1, 20))
    more = item(c, "丙：水管冻裂", d(2024, 1, 3))  # an extension approved on Jan 20 moved Jan 15 to Feb 5
    _dated(wf.set_deadline(session, more, c, d(2024, 1, 15), "村委会", today=d(2024, 1, 3)), d(2024, 1, 3))
    _dated(wf.request_extension(session, more, c, d(2024, 2, 5), "等配件", today=d(2024, 1, 14)).item, d(2024, 1, 14))
    ext = wf.decide_extension(session, more, bdy, True)
    ext.decided_at = _at(d(2024, 1, 20))
    _dated(more, d(2024, 1, 20))
    again = item(a, "丁：垃圾没人清运", d(2024, 1, 5))  # solved at once, reopened, then given a deadline
    _dated(wf.solve_now(session, again, a, "清运了"), d(2024, 1, 5))
    _dated(wf.reopen(session, again, glz, "又堆起来了"), d(2024, 1, 25))
    _dated(wf.set_deadline(session, again, glz, d(2024, 2, 1), "村委会", today=d(2024, 1, 26)), d(2024, 1, 26))
    kept = item(b, "戊：路面塌陷", d(2024, 1, 4))  # overdue from Jan 7
    _dated(wf.set_deadline(session, kept, b, d(2024, 1, 6), "村委会", today=d(2024, 1, 4)), d(2024, 1, 4))
    twin = item(b, "己：路面塌陷了", d(2024, 1, 4))  # merged later: never counted
    _dated(wf.set_deadline(session, twin, b, d(2024, 1, 6), "村委会", today=d(2024, 1, 4)), d(2024, 1, 4))
    _dated(wf.merge(session, twin, kept, glz, reason="同一处"), d(2024, 1, 10))
    done = item(a, "庚：井盖丢了", d(2024, 1, 6))  # overdue on Jan 10 and 11, completed and closed after
    _dated(wf.set_deadline(session, done, a, d(2024, 1, 9), "村委会", today=d(2024, 1, 6)), d(2024, 1, 6))
    _dated(wf.complete(session, done, a, "补上了"), d(2024, 1, 12))
    _dated(wf.close(session, done, glz), d(2024, 1, 13))
    gone = item(a, "辛：河堤塌了", d(2024, 1, 2))  # the village's late item on Jan 6 and 7, then the township's
    _dated(wf.set_deadline(session, gone, a, d(2024, 1, 5), "村委会", today=d(2024, 1, 2)), d(2024, 1, 2))
    _dated(wf.escalate(session, gone, a, "村里修不了"), d(2024, 1, 8))
    slow = item(a, "壬：电线杆歪了", d(2024, 1, 2))  # its deadline of Jan 4 written down on Jan 10 only
    _dated(wf.set_deadline(session, slow, a, d(2024, 1, 4), "村委会", today=d(2024, 1, 4)), d(2024, 1, 10))
    _dated(wf.complete(session, slow, a, "扶正了"), d(2024, 1, 11))
    session.flush()
    move_unit(session, org["大古岭村"], org["步达远镇"])
    session.flush()


def _scopes(session):
    return {u.name: {x.id for x in session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(u.path)))}
            for u in session.scalars(select(OrgUnit))}


def test_a_past_days_overdue_is_each_items_history(session, org, users):
    _january(session, org, users)
    scopes = _scopes(session)
    names = {u.id: u.name for u in session.scalars(select(OrgUnit))}
    day = dt.date(2023, 12, 31)
    while day <= dt.date(2024, 2, 10):
        for unit, ids in scopes.items():
            assert stats.overdue_from_history(session, ids, day) == _replayed(session, ids, day), (unit, day)
        day += dt.timedelta(days=1)

    def on(day, unit):
        return {names[k]: v for k, v in stats.overdue_from_history(session, scopes[unit], day).items()}

    # Jan 7: 辛 was the village's (held by the township now); Jan 11: 甲 and 庚 in 南荒沟村, 辛
    # with the township; 戊 in 大古岭村, which is 步达远镇's now; 丙's Jan 15 not passed yet, nor
    # 乙's Jan 18.
    assert on(dt.date(2024, 1, 7), "南荒沟村") == {"南荒沟村": 1}
    assert on(dt.date(2024, 1, 10), "南荒沟村") == {"南荒沟村": 2}  # 庚, and 壬 once its deadline was set
    assert on(dt.date(2024, 1, 11), "古楼子乡") == {"南荒沟村": 2, "古楼子乡": 1}
    assert on(dt.date(2024, 1, 11), "步达远镇") == {"大古岭村": 1}
    # Jan 17: 丙 is late by the deadline it had then (its extension came on Jan 20), 庚 is done;
    # Jan 19: 乙 too, with the township it went up to.
    assert on(dt.date(2024, 1, 17), "步达远镇") == {"大古岭村": 1, "步达远村": 1}
    assert on(dt.date(2024, 1, 17), "宽甸县") == {"南荒沟村": 1, "古楼子乡": 1, "大古岭村": 1, "步达远村": 1}
    assert on(dt.date(2024, 1, 19), "宽甸县") == {"南荒沟村": 1, "古楼子乡": 2, "大古岭村": 1, "步达远村": 1}
    # Jan 21: 乙 done, 丙 within its new deadline. Feb 2: 丁 late since its Feb 1.
    assert on(dt.date(2024, 1, 21), "宽甸县") == {"南荒沟村": 1, "古楼子乡": 1, "大古岭村": 1}
    assert on(dt.date(2024, 2, 2), "南荒沟村") == {"南荒沟村": 2}
    # The dashboard's past month is counted on its last day, the table summing the units.
    rows = stats.unit_month_stats(session, org["宽甸县"], 2024, 1, today=dt.date(2024, 3, 5))
    assert {r.label: r.overdue for r in rows if r.overdue} == {"古楼子乡": 1, "南荒沟村": 1, "大古岭村": 1, "合计": 3}
    assert {r.label: (r.opened, r.solved, r.escalated) for r in rows if r.unit is None} == {"合计": (9, 4, 2)}


def test_the_dashboards_short_lists_are_the_heads_of_the_full_ones(session, org, users):
    a, glz = users["cadre_a"], users["sup_gulouzi"]
    # Deadlines on a Friday, Saturday and Sunday are as many working days late on a Thursday:
    # the 督办 list orders them by id then, not by deadline. Made Sunday first.
    made = []
    for n, deadline in enumerate((dt.date(2024, 3, 3), dt.date(2024, 3, 1), dt.date(2024, 3, 2),
                                  dt.date(2024, 3, 5), dt.date(2024, 3, 12), dt.date(2024, 3, 6),
                                  dt.date(2024, 3, 16), dt.date(2024, 3, 17), dt.date(2024, 3, 15))):
        cadre = a if n % 2 else users["cadre_b"]
        it = wf.open_item_from_entry(session, make_entry(session, cadre, f"第{n}件：道路问题"), cadre)
        wf.set_deadline(session, it, cadre, deadline, "村委会", today=dt.date(2024, 2, 28))
        made.append(it)
    wf.escalate(session, made[5], a, "村里办不了")  # the township's own now: on the county's 督办 list, not its own
    session.flush()
    today = dt.date(2024, 3, 14)
    for unit in ("宽甸县", "古楼子乡", "南荒沟村", "步达远镇"):
        full = notifications.supervision_list(session, today, 2, unit=org[unit])
        head, total = notifications.supervision_head(session, today, 2, unit=org[unit], limit=2)
        assert total == len(full) and [(s.item, s.working_days, s.supervisor) for s in head] == [
            (s.item, s.working_days, s.supervisor) for s in full[:2]], unit
        report = deadlines.due_report(session, today, within=org[unit], days=3)
        summary = deadlines.due_summary(session, today, within=org[unit], days=3, head=1)
        assert [(u.unit, len(u.overdue), len(u.due_soon), [i.id for i in u.overdue[:1]], [i.id for i in u.due_soon[:1]])
                for u in report] == [(u.unit, u.overdue_count, u.due_soon_count, [i.id for i in u.overdue],
                                      [i.id for i in u.due_soon]) for u in summary], unit
    county = notifications.supervision_list(session, today, 2, unit=org["宽甸县"])
    assert [(s.item.id, s.working_days) for s in county] == [
        (made[0].id, 9), (made[1].id, 9), (made[2].id, 9), (made[3].id, 7), (made[5].id, 6)]
    assert [s.supervisor.name for s in county] == ["古楼子乡"] * 4 + ["宽甸县"]
    assert notifications.supervision_head(session, today, 2, unit=org["古楼子乡"], limit=2)[1] == 4
    due = {u.unit.name: (u.overdue_count, u.due_soon_count) for u in deadlines.due_summary(
        session, today, within=org["宽甸县"])}
    assert due == {"南荒沟村": (2, 1), "大古岭村": (3, 2), "古楼子乡": (1, 0)}
    first = {u.unit.name: [i.id for i in u.due_soon] for u in deadlines.due_summary(
        session, today, within=org["宽甸县"], head=1)}
    assert first["大古岭村"] == [made[8].id]  # the earliest deadline, not the first made
    # The ledger list's count of entries not in it yet stops where its list does.
    for n in range(3):
        make_entry(session, a, f"还没立项的第{n}件")
    session.flush()
    assert wf.count_unlinked_entries(session, glz, cap=2) == 2
    assert wf.count_unlinked_entries(session, glz) == len(wf.unlinked_entries(session, glz)) == 3
    assert wf.count_unlinked_entries(session, a) == 3
