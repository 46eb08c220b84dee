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
import time
from collections import Counter
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import utcnow
from core.errors import DomainError
from ledger import workflow as wf
from ledger.models import KeyProject, LedgerItem, RecurringResult
from ledger.problem_words import county_of, place_names, problem_words
from ledger.similarity import bigrams, content, similarity_of_features
from org.models import OrgUnit, User
from org.scope import id_list, unit_ids_under

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


def _names(session: Session, unit: OrgUnit) -> list[str]:
    return place_names(session, unit)


# In a large category a feature shared by more than this share of its items (问题, 修) says
# little about which of them are alike, so it proposes no pair; rarer shared features do.
# Categories of up to _ALL_PAIRS items compare every pair that shares anything.
_COMMON_FEATURE_SHARE = 0.2
_ALL_PAIRS = 200


def _alike_pairs(feats: list[tuple[frozenset[str], frozenset[str]]]) -> list[tuple[int, int]]:
    """Pairs (i, j) of items at least CLUSTER_TEXT_BAR alike. Only items sharing a word or a
    bigram can be alike, so candidates come from an inverted index of the features instead of
    every pair: a county's thousands of live items in seconds, not hours."""
    index: dict[str, list[int]] = {}
    for i, (ws, bs) in enumerate(feats):
        for f in {*("w" + w for w in ws), *("b" + b for b in bs)}:
            index.setdefault(f, []).append(i)
    limit = max(_ALL_PAIRS, int(len(feats) * _COMMON_FEATURE_SHARE))
    pairs = []
    for i in range(len(feats)):
        ws, bs = feats[i]
        candidates = set()
        for f in {*("w" + w for w in ws), *("b" + b for b in bs)}:
            members = index[f]
            if len(members) <= limit:
                candidates.update(j for j in members if j > i)
        pairs += [(i, j) for j in sorted(candidates)
                  if similarity_of_features(feats[i], feats[j]) >= CLUSTER_TEXT_BAR]
    return pairs


def clusters(session: Session, unit: OrgUnit, today: dt.date, *, min_villages: int = 2,
             recent_days: int = RECENT_DAYS) -> list[Cluster]:
    """Clusters of alike items at or under `unit` (live ones, and closed ones of the last
    `recent_days` days) spanning at least `min_villages` villages, largest first. Items from
    before their words were kept get them on the way (written in the caller's transaction)."""
    since = dt.datetime.combine(today - dt.timedelta(days=recent_days), dt.time())
    q = (select(LedgerItem).join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id)
         .where(OrgUnit.path.startswith(unit.path), LedgerItem.status != "merged")
         .where(LedgerItem.status.in_(wf.ACTIVE + ("done",)) | (LedgerItem.opened_at >= since))
         .options(selectinload(LedgerItem.place_unit), selectinload(LedgerItem.org_unit),
                  selectinload(LedgerItem.transitions))
         .order_by(LedgerItem.id))
    by_cat: dict[str, list[LedgerItem]] = {}
    for item in session.scalars(q):
        by_cat.setdefault(item.category, []).append(item)
    names = tuple(_names(session, unit))
    county_names = tuple(_names(session, county_of(unit))) if unit.parent is not None else names
    _fill_words(session, [i for items in by_cat.values() for i in items if i.problem_words is None], county_names)
    out: list[Cluster] = []
    for category, items in by_cat.items():
        # the words kept on the item (segmented once, when it opened), the bigrams worked out here
        feats = [(frozenset(item.problem_words), frozenset(bigrams(content(item.problem, names)))) for item in items]
        parent = list(range(len(items)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in _alike_pairs(feats):
            parent[find(i)] = find(j)
        groups: dict[int, list[int]] = {}
        for i in range(len(items)):
            groups.setdefault(find(i), []).append(i)
        for member_ids in groups.values():
            if len(member_ids) < min_villages:
                continue
            members = [items[i] for i in member_ids]
            villages = {v.id: v for v in (village_of(m) for m in members) if v is not None}
            if len(villages) < min_villages:
                continue
            shared = Counter(w for i in member_ids for w in feats[i][0])
            top = [w for w, n in shared.most_common(2) if n >= 2]
            first = members[0].problem
            common = "".join(sorted(top, key=lambda w: first.find(w) if w in first else len(first)))
            out.append(Cluster(category, tuple(members), tuple(sorted(villages.values(), key=lambda u: u.path)),
                               common))
    out.sort(key=lambda c: (-len(c.villages), -len(c.items), c.items[0].id))
    return out


def _fill_words(session: Session, items: list[LedgerItem], names: tuple[str, ...]) -> None:
    """Items from before their words were kept get them now, written without touching the item's
    version (a form open on it stays valid, the clusters' fingerprint stays put)."""
    if not items:
        return
    table = LedgerItem.__table__
    found = [(item, problem_words(item.problem, names)) for item in items]
    session.execute(update(table).where(table.c.id == bindparam("_id")).values(problem_words=bindparam("_words")),
                    [{"_id": item.id, "_words": words} for item, words in found])
    for item, words in found:
        set_committed_value(item, "problem_words", words)


# The fingerprint of a unit's items (count, last id, sum of versions) moves with every new,
# changed or merged item: the background job recomputes a unit's clusters only when it moved.
def _fingerprint(session: Session, unit: OrgUnit) -> tuple:
    under = unit_ids_under(unit)
    return tuple(session.execute(select(func.count(LedgerItem.id), func.max(LedgerItem.id), func.sum(LedgerItem.version))
                                 .where(LedgerItem.org_unit_id.in_(under))).one())


# --- computed in the background, read by the dashboard ----------------------------------------


def refresh(session: Session, unit: OrgUnit, today: dt.date, *, min_villages: int = 2) -> RecurringResult:
    """Work out `unit`'s clusters now and keep them as its last result (flush, no commit)."""
    started = time.perf_counter()
    fingerprint = _fingerprint_text(session, unit)
    found = [[c.category, c.ids, [v.id for v in c.villages], c.words]
             for c in clusters(session, unit, today, min_villages=min_villages)]
    row = session.get(RecurringResult, unit.id) or RecurringResult(unit_id=unit.id)
    row.computed_at, row.day, row.fingerprint, row.clusters = utcnow(), today, fingerprint, found
    row.seconds = time.perf_counter() - started
    session.add(row)
    session.flush()
    return row


def refresh_stale(session: Session, today: dt.date, *, levels: tuple[str, ...] = ("county", "township"),
                  commit: bool = False) -> list[int]:
    """Refresh every county's and township's clusters whose items changed since their last result
    (or whose day moved on); returns the unit ids refreshed. The background job: a county's
    clusters take seconds to tens of seconds, no page waits for them."""
    done = []
    last = {r.unit_id: (r.day, r.fingerprint) for r in session.execute(
        select(RecurringResult.unit_id, RecurringResult.day, RecurringResult.fingerprint))}
    for unit in session.scalars(select(OrgUnit).where(OrgUnit.level.in_(levels)).order_by(OrgUnit.path)):
        if last.get(unit.id) == (today, _fingerprint_text(session, unit)):
            continue
        refresh(session, unit, today)
        done.append(unit.id)
        if commit:
            session.commit()
    return done


def _fingerprint_text(session: Session, unit: OrgUnit) -> str:
    return ",".join(str(v) for v in _fingerprint(session, unit))


def stored_clusters(session: Session, unit: OrgUnit, *, limit: int = 10) -> tuple[list[Cluster], Optional[RecurringResult]]:
    """The `limit` largest clusters of `unit`'s last result, and the result (None: never computed).
    A unit without one of its own (a village) reads its township's or county's, narrowed to its
    items. Items are read as they are now (a key project set since shows)."""
    result, owner = None, unit
    while owner is not None:
        result = session.get(RecurringResult, owner.id)
        if result is not None:
            break
        owner = owner.parent
    if result is None:
        return [], None
    under = set(session.scalars(unit_ids_under(unit))) if owner is not unit else None
    found = [(cat, tuple(ids), tuple(villages), words) for cat, ids, villages, words in result.clusters]
    if under is not None:
        found = [(cat, ids, tuple(v for v in villages if v in under), words) for cat, ids, villages, words in found]
        found = [f for f in found if len(f[2]) >= 2]
    return _hydrate(session, found[:limit], under), result


def _hydrate(session: Session, found, under=None) -> list[Cluster]:
    wanted = {i for _c, ids, _v, _w in found for i in ids}
    # only what the dashboard prints of them: a county's ten clusters hold hundreds of items
    items = {i.id: i for i in session.scalars(
        select(LedgerItem).where(LedgerItem.id.in_(id_list(wanted)))
        .options(load_only(LedgerItem.code, LedgerItem.problem, LedgerItem.key_project_id, LedgerItem.org_unit_id),
                 selectinload(LedgerItem.key_project)))} if wanted else {}
    if under is not None:
        items = {k: v for k, v in items.items() if v.org_unit_id in under}
    places = {v for _c, _i, villages, _w in found for v in villages}
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(id_list(places))))} if places else {}
    return [Cluster(cat, tuple(items[i] for i in ids if i in items),
                    tuple(units[v] for v in villages if v in units), words)
            for cat, ids, villages, words in found]


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
