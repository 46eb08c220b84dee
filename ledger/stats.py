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

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, load_only
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import CHINA_TZ, to_china_date
from diary.models import DiaryEntry
from ledger.deadlines import local_today
from ledger.exports import month_range
from ledger.models import DeadlineExtension, Evaluation, LedgerItem, LedgerTransition
from ledger.ratings import Satisfaction, satisfaction
from ledger.states import ACTIVE
from org.models import OrgUnit, User
from org.scope import id_list, scope_ids

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
    """Confirmed visits in the month of everyone at or under `unit` who keeps the diary (every
    active user of the unit tree: village cadres, township supervisors, county admins; and anyone
    inactive there who recorded visits this month), fewest first."""
    start, end = month_range(year, month)
    there = (select(User.id).join(OrgUnit, User.org_unit_id == OrgUnit.id)
             .where(OrgUnit.path.startswith(unit.path)))
    counts = dict(session.execute(
        select(DiaryEntry.cadre_id, func.count(DiaryEntry.id))
        .where(DiaryEntry.status == "confirmed", DiaryEntry.visit_date >= start, DiaryEntry.visit_date < end,
               DiaryEntry.cadre_id.in_(there))
        .group_by(DiaryEntry.cadre_id)).all())
    # with their units, set on them as loaded: a county's thousand cadres, not a thousand lookups
    out = []
    # only the columns the dashboard shows (a county's 900 cadres); others load if asked for
    for user, user_unit in session.execute(
            select(User, OrgUnit).join(OrgUnit, User.org_unit_id == OrgUnit.id)
            .where(OrgUnit.path.startswith(unit.path))
            .options(load_only(User.id, User.display_name, User.role, User.active, User.org_unit_id),
                     load_only(OrgUnit.id, OrgUnit.name, OrgUnit.path, OrgUnit.level, OrgUnit.parent_id))
            .order_by(OrgUnit.path, User.id)):
        # every level keeps the diary (each cadre up to the county), not only the village cadres
        if user.active or counts.get(user.id):
            set_committed_value(user, "org_unit", user_unit)
            out.append(CadreVisits(user, counts.get(user.id, 0), quota))
    # the query's order (unit path, id) kept among equal visits
    out.sort(key=lambda c: c.visits)
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


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The end of `day` in China time as a naive UTC datetime: what happened on or before the
    day happened before it."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=CHINA_TZ)
    return end.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _overdue_by_unit(session: Session, ids: set[int], year: int, month: int, today: dt.date) -> dict[int, int]:
    """Items overdue on the month's count day (as_of), per unit holding them then: in the current
    month exactly what the ledger's 只看逾期 and the 到期提醒 show today."""
    day = as_of(year, month, today)
    if day == today:
        # Today's state is the items' state now: counted in the database, as the ledger's
        # 只看逾期 filters it, instead of replaying every deadline item's history.
        return dict(session.execute(
            select(LedgerItem.org_unit_id, func.count())
            .where(LedgerItem.status.in_(ACTIVE), LedgerItem.deadline < day, LedgerItem.org_unit_id.in_(id_list(ids)))
            .group_by(LedgerItem.org_unit_id)).all())
    return overdue_from_history(session, ids, day)


def overdue_from_history(session: Session, ids: set[int], day: dt.date) -> dict[int, int]:
    """Items overdue at the end of an earlier `day`, per unit of `ids` holding them then, each
    item's state then read from its history and counted in the database. The state is its
    last transition (by id) up to then: status and holder; its deadline counts once one was
    set by then, the current one unless an extension approved after the day moved it (then
    the first such extension's old deadline)."""
    end = end_of_day_utc(day)
    T, E = LedgerTransition, DeadlineExtension
    held = id_list(ids)

    # The unit the item's last step by then left it with, when that step left somebody to act
    # (one lookup per item: its status and holder together).
    holder_then = (select(case((T.to_status.in_(ACTIVE), T.to_unit_id)))
                   .where(T.item_id == LedgerItem.id, T.at < end)
                   .order_by(T.id.desc()).limit(1).correlate(LedgerItem).scalar_subquery())

    deadline_set = (select(T.id).where(T.item_id == LedgerItem.id, T.action == "set_deadline", T.at < end)
                    .correlate(LedgerItem).exists())
    moved_later = (select(E.old_deadline).where(E.item_id == LedgerItem.id, E.status == "approved",
                                                E.decided_at.is_not(None), E.decided_at >= end)
                   .order_by(E.id).limit(1).correlate(LedgerItem).scalar_subquery())

    def count(*which) -> dict[int, int]:
        state = (select(holder_then.label("unit_id"))
                 .where(*which, LedgerItem.deadline.is_not(None), LedgerItem.status != "merged", deadline_set,
                        func.coalesce(moved_later, LedgerItem.deadline) < day).subquery())
        return dict(session.execute(
            select(state.c.unit_id, func.count()).where(state.c.unit_id.in_(held)).group_by(state.c.unit_id)).all())

    # Only items that were ever held in the subtree can have been held there on `day`: those
    # held there now, and those sent up from it (the ledger list's scope), each set found by
    # its own index rather than a walk of every deadline item.
    out = count(LedgerItem.org_unit_id.in_(held))
    sent_up = select(T.item_id).where(T.action == "escalate", T.from_unit_id.in_(held))
    for unit_id, n in count(LedgerItem.id.in_(sent_up), LedgerItem.org_unit_id.not_in(held)).items():
        out[unit_id] = out.get(unit_id, 0) + n
    return out


def unit_month_stats(session: Session, unit: OrgUnit, year: int, month: int,
                     today: Optional[dt.date] = None) -> list[UnitMonth]:
    """One row per unit at or under `unit`, then the total row."""
    today = today or local_today()
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)))
    ids = {u.id for u in units}
    rows = {u.id: UnitMonth(u) for u in units}
    start, end = utc_bounds(year, month)
    under = scope_ids(session, unit)  # as a list of ids: each unit's own (to_unit_id, action, at) range
    T = LedgerTransition
    in_month = (T.at >= start, T.at < end)
    # The month's history counted in the database: opened and solved by the unit the step left
    # the item with, escalated by the unit it was sent up from.
    for action, unit_id, n in session.execute(
            select(T.action, T.to_unit_id, func.count())
            .where(*in_month, T.action.in_(("open", "solve_now", "complete")), T.to_unit_id.in_(under))
            .group_by(T.action, T.to_unit_id)):
        if unit_id in rows:
            if action == "open":
                rows[unit_id].opened += n
            else:
                rows[unit_id].solved += n
    for unit_id, n in session.execute(
            select(T.from_unit_id, func.count())
            .where(*in_month, T.action == "escalate", T.from_unit_id.in_(under))
            .group_by(T.from_unit_id)):
        if unit_id in rows:
            rows[unit_id].escalated += n
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
