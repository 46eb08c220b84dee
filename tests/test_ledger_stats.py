"""Dashboard numbers: visits per cadre against the quota by calendar month (China time), items
opened / solved / overdue / escalated per unit from the history, satisfaction rates."""
from __future__ import annotations

import datetime as dt

from ledger import ratings, stats
from ledger import workflow as wf
from tests.ledger_helpers import make_entry


def _at(item, action, when):
    """Backdate the item's last `action` transition (history written 'now' by the workflow)."""
    [t for t in item.transitions if t.action == action][-1].at = when


def test_visits_per_cadre_by_month(county):
    c, s = county, county.session
    for day in (dt.date(2024, 1, 31), dt.date(2024, 2, 1), dt.date(2024, 2, 29), dt.date(2024, 2, 15),
                dt.date(2024, 2, 10), dt.date(2024, 3, 1)):
        make_entry(s, c.users["cadre_a"], "走访", visit_date=day)
    make_entry(s, c.users["cadre_b"], "走访", visit_date=dt.date(2024, 2, 5))
    make_entry(s, c.users["cadre_b"], "草稿", visit_date=dt.date(2024, 2, 6), status="draft")
    make_entry(s, c.users["sup_gulouzi"], "乡干部也走访", visit_date=dt.date(2024, 2, 7))
    rows = stats.visits_per_cadre(s, c.units["古楼子乡"], 2024, 2, quota=4)
    got = [(r.user.login, r.visits, r.behind, r.missing) for r in rows]
    assert got == [("sup_gulouzi", 1, True, 3), ("cadre_b", 1, True, 3), ("cadre_a", 4, False, 0)]
    assert [r.user.login for r in stats.visits_per_cadre(s, c.units["步达远镇"], 2024, 2)] == ["sup_budayuan", "cadre_c"]


def test_visit_quota_lists_everyone_who_keeps_the_diary(county):
    """Bug 18 of issue #29: supervisors and the county admin keep the diary too; each is listed
    with their unit even with no visit this month."""
    c, s = county, county.session
    make_entry(s, c.users["cadre_a"], "走访", visit_date=dt.date(2024, 2, 5))
    rows = stats.visits_per_cadre(s, c.units["宽甸县"], 2024, 2, quota=4)
    got = {r.user.login: (r.user.org_unit.name, r.visits) for r in rows}
    assert got["admin"] == ("宽甸县", 0)
    assert got["sup_gulouzi"] == ("古楼子乡", 0)
    assert got["cadre_a"] == ("南荒沟村", 1)
    assert set(got) == {u.login for u in c.users.values() if u.active}


def test_unit_month_counts(county):
    c, s = county, county.session
    a, sup, admin = c.users["cadre_a"], c.users["sup_gulouzi"], c.users["admin"]
    feb = dt.datetime(2024, 2, 10, 2)

    def new(text, cadre=a):
        item = wf.open_item_from_entry(s, make_entry(s, cadre, text), cadre)
        _at(item, "open", feb)
        return item

    on_time = new("按期办结")
    wf.set_deadline(s, on_time, a, dt.date(2024, 2, 20), "村委会", today=dt.date(2024, 2, 10))
    _at(on_time, "set_deadline", feb)
    wf.complete(s, on_time, a, "已办")
    _at(on_time, "complete", dt.datetime(2024, 2, 20, 15, 59))  # 23:59 on Feb 20 in China: on time
    late = new("逾期办结")
    wf.set_deadline(s, late, a, dt.date(2024, 2, 29), "村委会", today=dt.date(2024, 2, 10))
    _at(late, "set_deadline", feb)
    wf.complete(s, late, a, "已办")
    _at(late, "complete", dt.datetime(2024, 2, 29, 16, 0))  # 00:00 on Mar 1 in China: one day late
    still_open = new("一直没办")
    wf.set_deadline(s, still_open, a, dt.date(2024, 2, 12), "村委会", today=dt.date(2024, 2, 10))
    _at(still_open, "set_deadline", feb)
    quick = new("快办快结")
    wf.solve_now(s, quick, a, "当场解决")
    _at(quick, "solve_now", feb)
    ratings.record_in_person(s, quick, a, "满意")
    quick.evaluations[-1].at = feb
    up = new("上报到乡")
    wf.escalate(s, up, a, "办不了")
    _at(up, "escalate", feb)
    wf.escalate(s, up, sup, "乡里也办不了")
    _at(up, "escalate", dt.datetime(2024, 3, 1, 1))  # Mar 1 in China: counts in March
    other = new("步达远村的事", cadre=c.users["cadre_c"])
    wf.solve_now(s, other, c.users["cadre_c"], "已办")
    _at(other, "solve_now", feb)
    ratings.submit_public_evaluation(s, other.eval_code, "不满意")
    other.evaluations[-1].at = feb
    s.flush()
    rows = stats.unit_month_stats(s, c.units["宽甸县"], 2024, 2, today=dt.date(2024, 3, 10))
    table = {r.label: (r.opened, r.solved, r.overdue, r.escalated, r.satisfaction.total) for r in rows}
    # solved: on_time + quick; late's completion fell in March. Overdue on Feb 29: still_open only
    # (late's deadline was Feb 29 itself, overdue from Mar 1). The 满意 on `quick` was taken by
    # its own cadre: counted apart, not in the rate.
    assert table["南荒沟村"] == (5, 2, 1, 1, 0)
    assert table["步达远村"] == (1, 1, 0, 0, 1)
    assert table["古楼子乡"] == (0, 0, 0, 0, 0)  # its escalation was on Mar 1, China time
    assert table["合计"] == (6, 3, 1, 1, 1)
    total = rows[-1].satisfaction
    assert total.counts == {"满意": 0, "基本满意": 0, "不满意": 1} and total.rate == 0.0
    assert rows[-1].own_satisfaction.counts == {"满意": 1, "基本满意": 0, "不满意": 0}
    march = {r.label: (r.solved, r.escalated) for r in stats.unit_month_stats(s, c.units["宽甸县"], 2024, 3,
                                                                              today=dt.date(2024, 3, 10))}
    assert march["南荒沟村"] == (1, 0) and march["古楼子乡"] == (0, 1)
    assert stats.month_choices(dt.date(2024, 2, 10), 3) == [(2024, 2), (2024, 1), (2023, 12)]
    assert ratings.satisfaction([]).rate is None
