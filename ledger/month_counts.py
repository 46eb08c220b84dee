"""A settled month's dashboard rows, counted once by the background job and read by the page.

The dashboard's counts of a month (stats.unit_month_stats, rates.three_rates) come from the
ledger's history, which only grows at its end: once a month has ended its counts (opened,
solved, escalated, 逾期 on its last day, the villagers' ratings) stay as they are, and are worked
out once per unit (county and township) and kept in `month_counts`. Its 三率 wait SETTLE_DAYS
more, until every item's response time has run out (an item not answered yet counts as pending
until then). The current month, and what is not kept yet, are counted live as before.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from ledger import rates, stats
from ledger.exports import month_range
from ledger.models import MonthCounts
from org.models import OrgUnit

SETTLE_DAYS = 21  # past every response time (working days, holidays included)


def ended(year: int, month: int, today: dt.date) -> bool:
    return today >= month_range(year, month)[1]


def settled(year: int, month: int, today: dt.date) -> bool:
    _start, end = month_range(year, month)
    return today >= end + dt.timedelta(days=SETTLE_DAYS)


def _rules_key(rules: rates.RateRules) -> str:
    return repr(tuple(sorted(vars(rules).items())))[:64]


def store(session: Session, unit: OrgUnit, year: int, month: int, rules: rates.RateRules,
          today: dt.date) -> MonthCounts:
    """Count `unit`'s ended month now and keep it, its 三率 too once settled (flush, no commit)."""
    rows = stats.unit_month_stats(session, unit, year, month, today)
    row = session.get(MonthCounts, (unit.id, year, month)) or MonthCounts(unit_id=unit.id, year=year, month=month)
    row.rules, row.computed_at = _rules_key(rules), utcnow()
    row.stats = [[r.unit.id if r.unit else None, r.opened, r.solved, r.overdue, r.escalated, r.ratings,
                  r.own_ratings] for r in rows]
    row.rates = None
    if settled(year, month, today):
        row.rates = [[r.unit.id if r.unit else None, r.due_response, r.responded, r.completed, r.outcomes,
                      r.ratings] for r in rates.three_rates(session, unit, year, month, rules=rules, today=today)]
    session.add(row)
    session.flush()
    return row


def read(session: Session, unit: OrgUnit, year: int, month: int, rules: rates.RateRules,
         today: dt.date) -> tuple[Optional[list[stats.UnitMonth]], Optional[list[rates.UnitRates]]]:
    """The kept rows of an ended month and its kept 三率 (None for what is to be counted live)."""
    if not ended(year, month, today):
        return None, None
    row = session.get(MonthCounts, (unit.id, year, month))
    if row is None or row.rules != _rules_key(rules):
        return None, None
    ids = [r[0] for r in row.stats if r[0] is not None]
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    if len(units) != len(ids):
        return None, None  # a unit removed since: count again
    month_rows = [stats.UnitMonth(units.get(uid), opened, solved, overdue, escalated, list(ratings), list(own))
                  for uid, opened, solved, overdue, escalated, ratings, own in row.stats]
    rate_rows = None
    if row.rates is not None and settled(year, month, today):
        rate_rows = [rates.UnitRates(units.get(uid), due, responded, completed, dict(outcomes), dict(ratings),
                                     weight=rules.basic_satisfied_weight)
                     for uid, due, responded, completed, outcomes, ratings in row.rates]
    return month_rows, rate_rows


def refresh_settled(session: Session, today: dt.date, rules: rates.RateRules, *, months: int = 12,
                    levels: tuple[str, ...] = ("county", "township"), commit: bool = False) -> int:
    """Keep every ended month of the last `months` not kept yet (or kept before its 三率 settled),
    per county and township; returns how many were counted."""
    wanted = [(y, m) for y, m in stats.month_choices(today, months) if ended(y, m, today)]
    if not wanted:
        return 0
    have = {(r.unit_id, r.year, r.month): r.complete for r in session.execute(
        select(MonthCounts.unit_id, MonthCounts.year, MonthCounts.month, MonthCounts.rates.is_not(None).label("complete"))
        .where(MonthCounts.rules == _rules_key(rules)))}
    n = 0
    for unit in session.scalars(select(OrgUnit).where(OrgUnit.level.in_(levels)).order_by(OrgUnit.path)):
        for y, m in wanted:
            kept = have.get((unit.id, y, m))
            if kept is None or (not kept and settled(y, m, today)):
                store(session, unit, y, m, rules, today)
                n += 1
                if commit:
                    session.commit()
    return n
