"""A settled month's dashboard rows are counted once by the background job and read by the page:
the kept rows are the live counts (the replay-checked month of tests/test_dashboard_counts.py),
and the page shows what is kept instead of counting the month's history again."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from ledger import month_counts, rates, stats
from ledger.models import MonthCounts
from tests.test_dashboard_counts import _january


def _numbers(rows, three):
    return ([(r.label, r.opened, r.solved, r.overdue, r.escalated, sorted(r.ratings), sorted(r.own_ratings))
             for r in rows],
            [(r.label, r.due_response, r.responded, r.completed, r.outcomes, r.ratings, r.satisfaction_rate)
             for r in three])


def test_a_settled_month_is_kept_as_counted_and_read_back(session, org, users):
    _january(session, org, users)
    session.commit()
    rules = rates.RateRules()
    county = org["宽甸县"]
    assert month_counts.read(session, county, 2024, 1, rules, dt.date(2024, 1, 31)) == (None, None)  # not ended
    # Ended on Feb 10, its 三率 not settled yet (response times may still run): counts kept, 三率 live.
    early = dt.date(2024, 2, 10)
    assert month_counts.ended(2024, 1, early) and not month_counts.settled(2024, 1, early)
    assert month_counts.refresh_settled(session, early, rules, months=2, commit=True) == 3
    rows, three = month_counts.read(session, county, 2024, 1, rules, early)
    assert rows is not None and three is None
    today = dt.date(2024, 3, 5)
    live = (stats.unit_month_stats(session, county, 2024, 1, today),
            rates.three_rates(session, county, 2024, 1, rules=rules, today=today))
    kept_n = month_counts.refresh_settled(session, today, rules, months=3, commit=True)
    townships = len([u for u in org.values() if u.level == "township"])
    # Jan's 三率 settled now (counted again, with them), and Feb ended: the county and its townships each
    assert kept_n == 2 * (1 + townships)
    assert month_counts.refresh_settled(session, today, rules, months=3, commit=True) == 0
    kept = month_counts.read(session, county, 2024, 1, rules, today)
    assert kept[0] is not None and kept[1] is not None and _numbers(*kept) == _numbers(*live)
    assert {r.label: r.overdue for r in kept[0] if r.overdue} == {"古楼子乡": 1, "南荒沟村": 1, "大古岭村": 1, "合计": 3}
    # Other 三率 rules: the kept rows do not apply.
    assert month_counts.read(session, county, 2024, 1, rates.RateRules(response_working_days=9), today) == (None, None)


def test_the_dashboard_reads_a_kept_month(client, session, org, users, login):
    _january(session, org, users)
    session.commit()
    from ledger.deadlines import local_today

    today = local_today()
    rules = rates.RateRules()
    month_counts.store(session, org["宽甸县"], 2024, 1, rules, today)
    session.commit()
    login(users["admin"])
    html = client.get("/dashboard/?month=2024-01").get_data(as_text=True)
    units = html[html.index('id="table-units"'):html.index("</table>", html.index('id="table-units"'))]
    assert "<td>合计</td><td>9</td><td>4</td><td>3</td><td>2</td>" in units
    # What the page shows is the kept row: changed behind its back, the page follows it.
    row = session.get(MonthCounts, (org["宽甸县"].id, 2024, 1))
    changed = [list(r) for r in row.stats]
    changed[-1][1] = 99
    session.execute(update(MonthCounts).where(MonthCounts.unit_id == org["宽甸县"].id).values(stats=changed))
    session.commit()
    html = client.get("/dashboard/?month=2024-01").get_data(as_text=True)
    assert "<td>合计</td><td>99</td>" in html
