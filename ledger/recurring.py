"""Recurring problems (每月一题, 未诉先办): open and recent items clustered across villages by
category and text similarity, for the county dashboard; a cluster becomes a key project
(重点项目) in one step.

Items are grouped per category, then joined when their problem texts are alike
(ledger.similarity, place words removed, at least CLUSTER_TEXT_BAR) — single linkage, so a chain
of alike reports forms one cluster. A cluster is listed when its items come from at least
`min_villages` different villages (the place, else the unit that opened the item).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import workflow as wf
from ledger.models import KeyProject, LedgerItem, OrgUnit, User
from ledger.similarity import text_similarity, words
from ledger.users import DomainError

CLUSTER_TEXT_BAR = 0.4
RECENT_DAYS = 90


@dataclass(frozen=True)
class Cluster:
    category: str
    items: tuple[LedgerItem, ...]
    villages: tuple[OrgUnit, ...]
    words: str  # the bigrams most items share, for a name

    @property
    def ids(self) -> list[int]:
        return [i.id for i in self.items]

    def suggested_name(self) -> str:
        return f"{self.category}：{self.words}" if self.words else f"{self.category}共性问题"


def village_of(item: LedgerItem) -> Optional[OrgUnit]:
    if item.place_unit is not None and item.place_unit.level == "village":
        return item.place_unit
    first = item.transitions[0] if item.transitions else None
    unit = item.org_unit
    if first is not None and first.to_unit_id is not None:
        from sqlalchemy.orm import object_session

        unit = object_session(item).get(OrgUnit, first.to_unit_id) or unit
    return unit if unit.level == "village" else None


def _names(session: Session) -> list[str]:
    names = [u.name for u in session.scalars(select(OrgUnit))]
    return names + [n[:-1] for n in names if len(n) > 2 and n[-1] in "村乡镇县"]


def clusters(session: Session, unit: OrgUnit, today: dt.date, *, min_villages: int = 2,
             recent_days: int = RECENT_DAYS) -> list[Cluster]:
    """Clusters of alike items at or under `unit` (live ones, and closed ones of the last
    `recent_days` days) spanning at least `min_villages` villages, largest first."""
    since = dt.datetime.combine(today - dt.timedelta(days=recent_days), dt.time())
    q = (select(LedgerItem).join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id)
         .where(OrgUnit.path.startswith(unit.path), LedgerItem.status != "merged")
         .where(LedgerItem.status.in_(wf.ACTIVE + ("done",)) | (LedgerItem.opened_at >= since))
         .order_by(LedgerItem.id))
    by_cat: dict[str, list[LedgerItem]] = {}
    for item in session.scalars(q):
        by_cat.setdefault(item.category, []).append(item)
    names = _names(session)
    out: list[Cluster] = []
    for category, items in by_cat.items():
        parent = list(range(len(items)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                if text_similarity(items[i].problem, items[j].problem, names) >= CLUSTER_TEXT_BAR:
                    parent[find(i)] = find(j)
        groups: dict[int, list[LedgerItem]] = {}
        for i, item in enumerate(items):
            groups.setdefault(find(i), []).append(item)
        for members in groups.values():
            villages = {v.id: v for v in (village_of(m) for m in members) if v is not None}
            if len(villages) < min_villages:
                continue
            shared = Counter(w for m in members for w in words(m.problem, names))
            top = [w for w, n in shared.most_common(2) if n >= 2]
            first = members[0].problem
            common = "".join(sorted(top, key=lambda w: first.find(w) if w in first else len(first)))
            out.append(Cluster(category, tuple(members), tuple(sorted(villages.values(), key=lambda u: u.path)),
                               common))
    out.sort(key=lambda c: (-len(c.villages), -len(c.items), c.items[0].id))
    return out


def make_key_project(session: Session, name: str, unit: OrgUnit, items: list[LedgerItem], actor: User) -> KeyProject:
    """A cluster becomes a 重点项目 held by `unit`: the project is created and each item is put in
    it through the workflow (each its own audited transition)."""
    if not items:
        raise DomainError("没有可纳入的事项 (no items to put in the project)")
    project = wf.create_key_project(session, name, unit, actor)
    session.flush()
    for item in items:
        if item.key_project_id != project.id:
            wf.assign_key_project(session, item, project, actor)
    return project
