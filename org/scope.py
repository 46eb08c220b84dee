"""Who sees what: a cadre sees their own captures and entries; a supervisor or admin sees
everything at or under their org unit."""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy import BindParameter, Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from capture.models import Capture
from diary.models import DiaryEntry
from ledger.models import LedgerItem
from org.models import OrgUnit, User


def unit_ids_under(unit: OrgUnit) -> Select:
    return select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))


# Up to this many units the scope is sent as a list of ids: the planner then knows how few
# items a village or township holds and takes the (org_unit_id, opened_at, id) index instead of
# walking the whole ledger newest first. A larger subtree (a province) holds most items anyway.
_ID_LIST_MAX = 5000


def scope_ids(session: Optional[Session], unit: OrgUnit):
    """The ids of the units at or under `unit`, as a list when there are few, else as a subquery."""
    under = unit_ids_under(unit)
    if session is None:
        return under
    ids = list(session.scalars(under.limit(_ID_LIST_MAX + 1)))
    return under if len(ids) > _ID_LIST_MAX else id_list(ids)


def id_list(ids: Iterable[int]) -> BindParameter:
    """Ids for IN (...), written into the statement when it runs rather than bound one parameter
    each: a county's hundreds of units as hundreds of parameters, in each of a dashboard's
    dozen queries, cost more to bind and send than the queries take to run."""
    return bindparam(None, [int(i) for i in ids], type_=Integer, expanding=True, literal_execute=True)


def scope_captures(query: Select, user: User) -> Select:
    if user.role == "cadre":
        return query.where(Capture.uploader_id == user.id)
    return query.where(Capture.org_unit_id.in_(unit_ids_under(user.org_unit)))


def scope_entries(query: Select, user: User, session: Optional[Session] = None) -> Select:
    """With a session, the units are sent as a list of ids (scope_ids)."""
    if user.role == "cadre":
        return query.where(DiaryEntry.cadre_id == user.id)
    return query.where(DiaryEntry.org_unit_id.in_(scope_ids(session, user.org_unit)))


def scope_ledger(query: Select, user: User) -> Select:
    """Ledger items held at or under the user's unit (a cadre sees their unit's ledger)."""
    return query.where(LedgerItem.org_unit_id.in_(unit_ids_under(user.org_unit)))


def can_see_capture(user: User, capture: Capture) -> bool:
    if user.role == "cadre":
        return capture.uploader_id == user.id
    return capture.org_unit.is_within(user.org_unit)


def can_review(user: User, capture: Capture) -> bool:
    return user.role in ("supervisor", "admin") and capture.org_unit.is_within(user.org_unit)


def can_see_entry(user: User, entry: DiaryEntry) -> bool:
    if user.role == "cadre":
        return entry.cadre_id == user.id
    return entry.org_unit.is_within(user.org_unit)


def can_see_item(user: User, item: LedgerItem) -> bool:
    """Items held at or under the user's unit, and items that were held there once: an item
    escalated from a village stays in view (read-only) of the village and the township."""
    if item.org_unit.is_within(user.org_unit):
        return True
    return any(u.is_within(user.org_unit) for u in held_by(item))


def held_by(item: LedgerItem) -> list[OrgUnit]:
    """Every unit whose ledger the item has been in, in the order it got there."""
    from sqlalchemy.orm import object_session

    session = object_session(item)
    seen: list[int] = []
    for tr in item.transitions:
        if tr.to_unit_id is not None and tr.to_unit_id not in seen:
            seen.append(tr.to_unit_id)
    if session is None:
        return [item.org_unit]
    return [u for u in (session.get(OrgUnit, i) for i in seen) if u is not None]


def can_act_on_item(user: User, item: LedgerItem) -> bool:
    """Supervisors and admins act on items at or under their unit."""
    return user.role in ("supervisor", "admin") and item.org_unit.is_within(user.org_unit)
