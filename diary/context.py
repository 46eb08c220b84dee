"""What a capture's text is read against: its county's org tree (as a snapshot the extractor's
gazetteer takes) and the moment of the visit. Both the draft (diary.entries) and the county's
training (diary.training) read them."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import Capture
from core.clock import CHINA_TZ
from org.models import OrgUnit, User
from recognize import pipeline


def county_of(unit: OrgUnit) -> OrgUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def units_under(session: Session, root: OrgUnit) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(root.path)).order_by(OrgUnit.id)))


def gazetteer_rows(session: Session, root: OrgUnit) -> tuple[list[tuple[str, str, Optional[str]]], list[str]]:
    """(name, level, parent_name) of every unit under `root`, and the display names of its cadres."""
    units = units_under(session, root)
    rows = [(u.name, u.level, u.parent.name if u.parent is not None else None) for u in units]
    ids = [u.id for u in units]
    names = list(session.scalars(select(User.display_name).where(User.org_unit_id.in_(ids)).order_by(User.id)))
    return rows, names


def org_snapshot(session: Session, root: OrgUnit) -> pipeline.OrgSnapshot:
    """The org tree under `root` and its cadres, as the extractor's gazetteer needs them."""
    rows, cadres = gazetteer_rows(session, root)
    return pipeline.OrgSnapshot(tuple(rows), tuple(cadres))


def build_gazetteer(session: Session, root: OrgUnit):
    return org_snapshot(session, root).gazetteer()


def visit_moment(capture: Capture) -> dt.datetime:
    """The moment relative dates (今天, 昨天, 上周三) are read against, local time (rows store
    naive UTC)."""
    moment = capture.captured_at or capture.received_at or dt.datetime.utcnow()
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(CHINA_TZ).replace(tzinfo=None)
