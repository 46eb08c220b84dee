"""Helpers of the ledger tests (no database of their own: they work in the session a conftest
fixture gives, `county.session` or `session`)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from diary.models import DiaryEntry
from org.models import OrgUnit, User

TODAY = dt.date(2024, 3, 10)


def make_entry(session: Session, cadre: User, problem: str, *, place_unit: OrgUnit | None = None,
               place: str = "", interviewee: str = "", category: str = "道路桥梁",
               visit_date: dt.date = TODAY, pii: list[str] | None = None, status: str = "confirmed",
               **extra) -> DiaryEntry:
    """A diary entry of `cadre` written straight to its table (confirmed unless `status`)."""
    entry = DiaryEntry(
        cadre=cadre, org_unit=cadre.org_unit, status=status, visit_date=visit_date,
        place=place, place_unit=place_unit or (cadre.org_unit if cadre.org_unit.level == "village" else None),
        interviewee=interviewee, visit_method="入户走访", problem=problem, category=category,
        pii=pii or [], **extra)
    session.add(entry)
    session.flush()
    return entry
