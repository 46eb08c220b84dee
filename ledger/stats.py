"""Numbers for the dashboard, per unit and month: visits per cadre against the quota (who is
behind), items opened / solved / overdue / escalated, satisfaction rates. 逾期 is a state, counted
on the month's last day (today in the current month) for the unit holding the item, so it
agrees with the ledger and the 到期提醒.

Months are calendar months in China Standard Time. Counts come from the ledger's history
(LedgerTransition), so an item escalated from a village to the county still counts as opened by
the village and escalated by it, and solved by whoever solved it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.clock import CHINA_TZ, to_china_date
from diary.models import DiaryEntry
from ledger.deadlines import local_today
from ledger.exports import month_range
from ledger.models import Evaluation, LedgerItem, LedgerTransition
from ledger.ratings import Satisfaction, satisfaction
from ledger.states import ACTIVE
from org.models import OrgUnit, User
from org.scope import unit_ids_under

DEFAULT_QUOTA = 4


def utc_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in CST as naive UTC datetimes [start, end)."""
    start, end = month_range(year, month)
    shift = CHINA_TZ.utcoffset(None)
    return dt.datetime.combine(start, dt.time()) - shift, dt.datetime.combine(end, dt.time()) - shift


def _to_local(value: dt.datetime) -> dt.date:
    return to_china_date(value)


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


def as_of(year: int, month: int, today: dt.date) -> dt.date:
    """The day a month's 逾期 is counted on: today in the current month, else its last day."""
    start, end = month_range(year, month)
    return min(today, end - dt.timedelta(days=1))


def _state_on(item: LedgerItem, day: dt.date) -> Optional[tuple[str, int, Optional[dt.date]]]:
    """(status, holding unit, deadline) of the item at the end of `day` (China time), from its
    history; None when it did not exist yet."""
    trs = [t for t in item.transitions if _to_local(t.at) <= day]
    if not trs:
        return None
    if not any(t.action == "set_deadline" for t in trs):
        return trs[-1].to_status, trs[-1].to_unit_id, None
    deadline = item.deadline
    for ext in item.extensions:  # an extension granted later did not count yet
        if ext.status == "approved" and ext.decided_at is not None and _to_local(ext.decided_at) > day:
            deadline = ext.old_deadline
            break
    return trs[-1].to_status, trs[-1].to_unit_id, deadline


def _overdue_by_unit(session: Session, ids: set[int], year: int, month: int, today: dt.date) -> dict[int, int]:
    """Items overdue on the month's count day (as_of), per unit holding them then: in the current
    month exactly what the ledger's 只看逾期 and the 到期提醒 show today."""
    day = as_of(year, month, today)
    if day == today:
        # Today's state is the items' state now: counted in the database, as the ledger's
        # 只看逾期 filters it, instead of replaying every deadline item's history.
        return dict(session.execute(
            select(LedgerItem.org_unit_id, func.count(LedgerItem.id))
            .where(LedgerItem.status.in_(ACTIVE), LedgerItem.deadline < day, LedgerItem.org_unit_id.in_(list(ids)))
            .group_by(LedgerItem.org_unit_id)).all())
    out: dict[int, int] = {}
    # Only items that were ever held in the subtree can have been held there on `day`: those
    # held there now, and those sent up from it (the ledger list's scope), each with its history.
    under = select(OrgUnit.id).where(OrgUnit.id.in_(ids))
    sent_up = select(LedgerTransition.item_id).where(LedgerTransition.action == "escalate",
                                                     LedgerTransition.from_unit_id.in_(under))
    items = session.scalars(select(LedgerItem).where(
        LedgerItem.deadline.is_not(None), LedgerItem.status != "merged",
        LedgerItem.org_unit_id.in_(under) | LedgerItem.id.in_(sent_up))
        .options(selectinload(LedgerItem.transitions), selectinload(LedgerItem.extensions)))
    for item in items:
        state = _state_on(item, day)
        if state is None:
            continue
        status, unit_id, deadline = state
        if status in ACTIVE and deadline is not None and deadline < day and unit_id in ids:
            out[unit_id] = out.get(unit_id, 0) + 1
    return out


def unit_month_stats(session: Session, unit: OrgUnit, year: int, month: int,
                     today: Optional[dt.date] = None) -> list[UnitMonth]:
    """One row per unit at or under `unit`, then the total row."""
    today = today or local_today()
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)))
    ids = {u.id for u in units}
    rows = {u.id: UnitMonth(u) for u in units}
    start, end = utc_bounds(year, month)
    under = unit_ids_under(unit)
    trs = session.scalars(select(LedgerTransition).where(
        LedgerTransition.at >= start, LedgerTransition.at < end,
        LedgerTransition.action.in_(("open", "solve_now", "complete", "escalate")),
        LedgerTransition.to_unit_id.in_(under) | LedgerTransition.from_unit_id.in_(under)))
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
                          .where(Evaluation.at >= start, Evaluation.at < end,
                                 LedgerItem.org_unit_id.in_(under))).all()
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
