"""Numbers for the dashboard, per unit and month: visits per cadre against the quota (who is
behind), items opened / solved / overdue / escalated, satisfaction rates.

Months are calendar months in China Standard Time. Counts come from the ledger's history
(LedgerTransition), so an item escalated from a village to the county still counts as opened by
the village and escalated by it, and solved by whoever solved it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.deadlines import local_today
from ledger.evaluation import Satisfaction, satisfaction
from ledger.exports import month_range
from ledger.models import DiaryEntry, Evaluation, LedgerItem, LedgerTransition, OrgUnit, User

DEFAULT_QUOTA = 4


def utc_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in CST as naive UTC datetimes [start, end)."""
    start, end = month_range(year, month)
    shift = dt.timedelta(hours=8)
    return dt.datetime.combine(start, dt.time()) - shift, dt.datetime.combine(end, dt.time()) - shift


def _to_local(value: dt.datetime) -> dt.date:
    return (value + dt.timedelta(hours=8)).date()


@dataclass
class CadreVisits:
    user: User
    visits: int
    quota: int

    @property
    def behind(self) -> bool:
        return self.visits < self.quota

    @property
    def missing(self) -> int:
        return max(0, self.quota - self.visits)


def visits_per_cadre(session: Session, unit: OrgUnit, year: int, month: int,
                     quota: int = DEFAULT_QUOTA) -> list[CadreVisits]:
    """Confirmed visits in the month of every active cadre at or under `unit` (and anyone else
    there who recorded visits), fewest first."""
    start, end = month_range(year, month)
    counts = dict(session.execute(
        select(DiaryEntry.cadre_id, func.count(DiaryEntry.id))
        .where(DiaryEntry.status == "confirmed", DiaryEntry.visit_date >= start, DiaryEntry.visit_date < end)
        .group_by(DiaryEntry.cadre_id)).all())
    people = session.scalars(
        select(User).join(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(OrgUnit.path.startswith(unit.path))
        .order_by(OrgUnit.path, User.id)).all()
    out = [CadreVisits(u, counts.get(u.id, 0), quota) for u in people
           if (u.role == "cadre" and u.active) or counts.get(u.id)]
    out.sort(key=lambda c: (c.visits, c.user.org_unit.path, c.user.id))
    return out


@dataclass
class UnitMonth:
    unit: Optional[OrgUnit]  # None: the total row
    opened: int = 0
    solved: int = 0
    overdue: int = 0
    escalated: int = 0
    ratings: list[str] = field(default_factory=list)
    # Taken in person by the cadre answering for the item: shown apart, not in the rate above.
    own_ratings: list[str] = field(default_factory=list)

    @property
    def satisfaction(self) -> Satisfaction:
        return satisfaction(self.ratings)

    @property
    def own_satisfaction(self) -> Satisfaction:
        return satisfaction(self.own_ratings)

    @property
    def label(self) -> str:
        return self.unit.name if self.unit is not None else "合计"


def _overdue_by_unit(session: Session, ids: set[int], year: int, month: int, today: dt.date) -> dict[int, int]:
    """Deadlines falling in the month, already past, not met: neither completed nor solved on or
    before the deadline. Counted for the unit that set the deadline."""
    start, end = month_range(year, month)
    out: dict[int, int] = {}
    items = session.scalars(select(LedgerItem).where(
        LedgerItem.deadline >= start, LedgerItem.deadline < end, LedgerItem.deadline < today,
        LedgerItem.status != "merged"))
    for item in items:
        setting = [t for t in item.transitions if t.action == "set_deadline"]
        if not setting or setting[-1].to_unit_id not in ids:
            continue
        done = [t for t in item.transitions[item.transitions.index(setting[-1]):]
                if t.action in ("complete", "solve_now")]
        if not done or _to_local(done[0].at) > item.deadline:
            out[setting[-1].to_unit_id] = out.get(setting[-1].to_unit_id, 0) + 1
    return out


def unit_month_stats(session: Session, unit: OrgUnit, year: int, month: int,
                     today: Optional[dt.date] = None) -> list[UnitMonth]:
    """One row per unit at or under `unit`, then the total row."""
    today = today or local_today()
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)))
    ids = {u.id for u in units}
    rows = {u.id: UnitMonth(u) for u in units}
    start, end = utc_bounds(year, month)
    trs = session.scalars(select(LedgerTransition).where(
        LedgerTransition.at >= start, LedgerTransition.at < end,
        LedgerTransition.action.in_(("open", "solve_now", "complete", "escalate"))))
    for tr in trs:
        if tr.action == "open" and tr.to_unit_id in ids:
            rows[tr.to_unit_id].opened += 1
        elif tr.action in ("solve_now", "complete") and tr.to_unit_id in ids:
            rows[tr.to_unit_id].solved += 1
        elif tr.action == "escalate" and tr.from_unit_id in ids:
            rows[tr.from_unit_id].escalated += 1
    for unit_id, n in _overdue_by_unit(session, ids, year, month, today).items():
        rows[unit_id].overdue += n
    evs = session.execute(select(Evaluation.rating, LedgerItem.org_unit_id, Evaluation.by_responsible)
                          .join(LedgerItem, Evaluation.item_id == LedgerItem.id)
                          .where(Evaluation.at >= start, Evaluation.at < end)).all()
    for rating, unit_id, own in evs:
        if unit_id in ids:
            (rows[unit_id].own_ratings if own else rows[unit_id].ratings).append(rating)
    out = [rows[u.id] for u in units]
    total = UnitMonth(None)
    for r in out:
        total.opened += r.opened
        total.solved += r.solved
        total.overdue += r.overdue
        total.escalated += r.escalated
        total.ratings += r.ratings
        total.own_ratings += r.own_ratings
    return [*out, total]


def month_choices(today: dt.date, n: int = 12) -> list[tuple[int, int]]:
    """The last n months, newest first."""
    y, m, out = today.year, today.month, []
    for _ in range(n):
        out.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out
