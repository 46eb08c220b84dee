"""A ledger item's content words, worked out once when it opens and kept on the item
(`LedgerItem.problem_words`): the recurring-problem clusters of a county compare thousands of
items, and segmenting each problem again (Baidu LAC) was most of their time.

The place words removed are the county's (its whole tree and its ancestors), whichever unit's
clusters later read them: a village's name says where, not what.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import LedgerItem
from ledger.similarity import words
from org.models import OrgUnit


def place_names(session: Session, unit: OrgUnit) -> list[str]:
    """The unit names a problem under `unit` may mention: its own tree and its ancestors (not a
    province's every village), with and without their 村/乡/镇/县."""
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path))))
    names = [u.name for u in units + unit.ancestors()]
    return names + [n[:-1] for n in names if len(n) > 2 and n[-1] in "村乡镇县"]


def county_of(unit: OrgUnit) -> OrgUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def problem_words(problem: str, names: tuple[str, ...]) -> list[str]:
    return sorted(words(problem, names))


def fill(session: Session, item: LedgerItem, names: Optional[tuple[str, ...]] = None) -> None:
    """Set the item's words when it opens, before its first flush (no second write)."""
    if names is None:
        with session.no_autoflush:  # the new item is not complete yet
            names = tuple(place_names(session, county_of(item.org_unit)))
    item.problem_words = problem_words(item.problem, names)
