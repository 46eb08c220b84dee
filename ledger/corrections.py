"""Corrections after confirming, on the ledger's side: a live item's problem, category, place or
reporter set right by a supervisor (or admin) who holds it, audited with the old value and kept
in the item's history; and an item withdrawn when the confirm that opened it is undone, which is
allowed only while the item has not moved (its one transition is its opening)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from core import audit
from core.errors import DomainError
from diary.context import county_of
from diary.entries import match_place
from diary.models import DiaryEntry
from ledger import workflow
from ledger.models import LedgerItem
from org.models import User
from recognize.extract.vocab import CATEGORIES

FIELDS = {"problem": ("反映问题", 4000), "category": ("类别", 16), "place": ("地点", 128), "reporter": ("反映人", 64)}


def _clean(name: str, value) -> str:
    label, limit = FIELDS[name]
    value = ("" if value is None else str(value)).replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise DomainError(f"{label}过长（最多 {limit} 字） ({name} is too long)")
    if name == "problem" and not value:
        raise DomainError("请填写反映问题 (the problem is required)")
    if name == "category" and value not in CATEGORIES:
        raise DomainError(f"未知的类别：{value} (unknown category)")
    return value


def correct_item(session: Session, item: LedgerItem, actor: User, edits: dict, *,
                 version: Optional[int] = None) -> dict:
    """Set the given fields right; returns {field: (old, new)} of those that changed. Refused
    for a closed or merged item (its result was judged on what it said) and for anyone but a
    supervisor or admin at or above the unit holding it."""
    before, status, unit_id = workflow._begin(item, "correct", actor, version)
    changes = {}
    for name, raw in edits.items():
        if name not in FIELDS:
            continue
        new, old = _clean(name, raw), getattr(item, name) or ""
        if new != old:
            changes[name] = (old, new)
    if not changes:
        return {}
    for name, (_old, new) in changes.items():
        setattr(item, name, new)
    if "place" in changes:  # the unit the place names, as a confirmed entry's place decides
        item.place_unit = match_place(session, county_of(item.org_unit), item.place) or item.place_unit
    why = "；".join(f"{FIELDS[n][0]}：{o or '—'} → {v or '—'}" for n, (o, v) in changes.items())
    workflow._record(session, item, "correct", actor, f"更正 {why}", before, status, unit_id,
                     extra={"corrected": {n: {"old": o, "new": v} for n, (o, v) in changes.items()}})
    return changes


def has_moved(item: LedgerItem) -> bool:
    """Anything happened to the item after it was opened (a step, a feedback, a link, a flag)."""
    return any(t.action != "open" for t in item.transitions) or len(item.entries) > 1


def withdraw_unmoved(session: Session, entry: DiaryEntry, actor: User) -> list[str]:
    """The entry's items, none of which has moved, are withdrawn (deleted, audited with what
    they held) so its confirm can be undone; returns their numbers."""
    items = [i for i in entry.ledger_items if i.status != "merged"]
    moved = [i.code for i in items if has_moved(i)]
    if moved:
        raise DomainError(f"事项 {'、'.join(moved)} 已开始办理，不能撤销确认 "
                          "(the item has moved on; the confirm cannot be undone)")
    codes = []
    for item in items:
        audit.record(session, "ledger.withdraw", item, actor=actor,
                     before={"code": item.code, "status": item.status, "problem": item.problem,
                             "category": item.category, "place": item.place, "org_unit_id": item.org_unit_id},
                     after={"reason": f"撤销日记 #{entry.id} 的确认"})
        codes.append(item.code)
        item.entries.clear()
        session.delete(item)
    session.flush()
    return codes
