"""The publish step (公开审核): what the public sees of an item is approved by a supervisor.

When an item has its result, ``draft`` shows the public version of its problem and result beside
the original, with every part the redactor (``recognize.privacy``) would mask or ask about; the supervisor masks
more (a selection) or unmasks a false positive (a place name) and approves.  ``approve`` stores
the public text with the masks and a digest of the original it was made from; the original
stays on the item.  A later change to the item's text makes the approval stale (``current`` then
gives None), so public pages show nothing of the text until it is approved again.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from core import audit
from core.errors import DomainError
from diary.models import DiaryEntry
from ledger.models import ItemPublication, LedgerItem
from org.models import OrgUnit, User
from recognize.privacy import PiiHit, apply_masks, looks_like_name, spans

FIELDS = ("problem", "result")
PENDING = "（公开内容待审核）"


@dataclass(frozen=True)
class Mask:
    start: int
    end: int
    kind: str  # what the redactor found (name, mobile …), or "manual" for the supervisor's own
    replace: str = ""


def source_digest(item: LedgerItem) -> str:
    return hashlib.sha256(f"{item.problem or ''}\x00{item.result or ''}".encode("utf-8")).hexdigest()


_ASK = object()  # current(): no newest approval given, look it up


def current(item: LedgerItem, session: Optional[Session] = None, *, newest=_ASK) -> Optional[ItemPublication]:
    """The approval that still matches the item's text, or None. `newest`: the item's newest
    approval (or None) when the caller read it already (newest_for)."""
    session = session or object_session(item)
    if session is None or item.id is None:
        return None
    pub = newest if newest is not _ASK else session.scalars(
        select(ItemPublication).where(ItemPublication.item_id == item.id)
        .order_by(ItemPublication.id.desc()).limit(1)).first()
    return pub if pub is not None and pub.source_digest == source_digest(item) else None


def newest_for(session: Session, items: Iterable[LedgerItem]) -> dict[int, ItemPublication]:
    """Each item's newest approval, in one query: a public page lists thirty items."""
    ids = [i.id for i in items if i.id is not None]
    if not ids:
        return {}
    newest = (select(func.max(ItemPublication.id)).where(ItemPublication.item_id.in_(ids))
              .group_by(ItemPublication.item_id))
    return {p.item_id: p for p in session.scalars(select(ItemPublication).where(ItemPublication.id.in_(newest)))}


def needs_approval(item: LedgerItem) -> bool:
    return item.status in ("done", "closed") and bool((item.result or "").strip()) and current(item) is None


# --- what the redactor is told -----------------------------------------------------------------


def known_pii(item: LedgerItem) -> list[str]:
    """Strings known to identify a person for this item: reporter, interviewees, flagged PII."""
    known = set(item.pii or [])
    if item.reporter:
        known.add(item.reporter)
    for entry in item.entries:
        known.update(entry.pii or [])
        if entry.interviewee:
            known.add(entry.interviewee)
    known.discard("")
    # Longest first, so a full name is replaced before a part of it.
    return sorted(known, key=lambda s: (-len(s), s))


def known_names(session: Session, item: LedgerItem) -> list[str]:
    """The item's own PII and the villagers named in earlier entries of the same unit."""
    known = set(known_pii(item))
    rows = session.execute(select(DiaryEntry.interviewee, DiaryEntry.pii)
                           .where(DiaryEntry.org_unit_id == item.org_unit_id)).all()
    for interviewee, pii in rows:
        if interviewee:
            known.add(interviewee)
        known.update(p for p in (pii or []) if isinstance(p, str) and looks_like_name(p))
    known.discard("")
    return sorted(known, key=lambda s: (-len(s), s))


def cadre_units(session: Session) -> dict[str, str]:
    """Cadres' names → their unit: public pages name units, not people."""
    rows = session.execute(select(User.display_name, OrgUnit.name).join(OrgUnit, User.org_unit_id == OrgUnit.id)).all()
    return {name: unit for name, unit in rows if name and len(name.strip()) >= 2}


def place_words(session: Session) -> list[str]:
    """The county's unit names: never a person, whatever the name model thinks."""
    return [n for n in session.scalars(select(OrgUnit.name)) if n]


def find_masks(session: Session, item: LedgerItem, text: str) -> list[Mask]:
    hits = spans(text or "", known_names(session, item), cadres=cadre_units(session), keep=place_words(session))
    return [Mask(h.start, h.end, h.kind, h.replace) for h in hits]


def render(text: str, masks: list[Mask]) -> str:
    return apply_masks(text, [PiiHit(text[m.start:m.end], m.start, m.end,
                                     "extra" if m.kind == "manual" else m.kind, m.replace) for m in masks])


def redact_text(session: Session, item: LedgerItem, text: str) -> str:
    """What the redactor alone makes of ``text`` for this item (titles, anything not approved)."""
    return render(text or "", find_masks(session, item, text or ""))


@dataclass(frozen=True)
class Draft:
    field: str
    original: str
    masks: tuple[Mask, ...]
    public: str


def draft(session: Session, item: LedgerItem) -> list[Draft]:
    """The public version the redactor proposes, or the approved one when it is still current."""
    pub = current(item, session)
    out = []
    for field in FIELDS:
        text = getattr(item, field) or ""
        if pub is not None:
            masks = tuple(Mask(*m) for m in (pub.masks or {}).get(field, []))
        else:
            masks = tuple(find_masks(session, item, text))
        out.append(Draft(field, text, masks, render(text, list(masks))))
    return out


def _clean_masks(text: str, raw: list, suggested: list[Mask]) -> list[Mask]:
    """The supervisor's mask list, checked: in bounds, not overlapping, sorted."""
    by_span = {(m.start, m.end): m for m in suggested}
    out: list[Mask] = []
    for entry in raw:
        try:
            start, end = int(entry[0]), int(entry[1])
        except (TypeError, ValueError, IndexError):
            raise DomainError("遮盖范围无效 (invalid mask range)") from None
        if not 0 <= start < end <= len(text):
            raise DomainError("遮盖范围超出文本 (mask range outside the text)")
        out.append(by_span.get((start, end)) or Mask(start, end, "manual"))
    out.sort(key=lambda m: m.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.end:
            raise DomainError("遮盖范围重叠 (overlapping masks)")
    return out


def approve(session: Session, item: LedgerItem, actor: User, masks: dict, digest: str) -> ItemPublication:
    """Store the public text made with ``masks`` ({field: [[start, end], …]}) for the item's text
    whose digest the supervisor saw (a text changed meanwhile is refused)."""
    if actor.role not in ("supervisor", "admin") or not item.org_unit.is_within(actor.org_unit):
        raise DomainError("只有本级审核人可以审核公开内容 (only a supervisor of the unit may approve)")
    if not (item.result or "").strip():
        raise DomainError("没有办理结果，不能公开 (no result; nothing to publish)")
    if digest != source_digest(item):
        raise DomainError("事项内容已被修改，请重新审核 (the item's text changed; review it again)")
    cleaned: dict[str, list[Mask]] = {}
    public: dict[str, str] = {}
    for field in FIELDS:
        text = getattr(item, field) or ""
        cleaned[field] = _clean_masks(text, masks.get(field, []), find_masks(session, item, text))
        public[field] = render(text, cleaned[field])
    pub = ItemPublication(item_id=item.id, problem=public["problem"], result=public["result"],
                          masks={f: [[m.start, m.end, m.kind, m.replace] for m in cleaned[f]] for f in FIELDS},
                          source_digest=digest, approved_by_id=actor.id)
    session.add(pub)
    session.flush()
    audit.record(session, "publish_approve", item, actor=actor,
                 after={"publication": pub.id, "problem": pub.problem, "result": pub.result,
                        "masks": {f: len(cleaned[f]) for f in FIELDS}})
    session.flush()
    return pub


def public_texts(item: LedgerItem, *, newest=_ASK) -> tuple[str, str, bool]:
    """(problem, result, approved) as a public page shows them: only approved text."""
    pub = current(item, newest=newest)
    if pub is None:
        return PENDING, PENDING, False
    return pub.problem, pub.result, True


def approve_as_drafted(session: Session, item: LedgerItem, actor: User) -> ItemPublication:
    """Approve the redactor's proposal unchanged (the demo; a supervisor who changes nothing)."""
    masks = {d.field: [[m.start, m.end] for m in d.masks] for d in draft(session, item)}
    return approve(session, item, actor, masks, source_digest(item))
