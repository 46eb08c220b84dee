"""The publish step (公开审核): what the public sees of an item is approved by a supervisor.

When an item has its result, ``draft`` shows the public version of its problem and result beside
the original, with every part the redactor (``recognize.privacy``) masks (sure) or asks about (a
question: the supervisor answers y/n); the supervisor masks more (a selection) or unmasks a false
positive (a place name) and approves.  Approval is refused while a question is open, and unmasking
a number (ID, mobile, bank card, plate, WeChat …) needs a typed reason, audited.  What the
supervisors mask and unmask becomes the county's lists (``PrivacyWord``: names, not-names), read
from the next draft on.  ``approve`` stores
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
from ledger.models import ItemPublication, LedgerItem, PrivacyWord
from org.models import OrgUnit, User
from recognize.privacy import ASK, MASK, NUMBER_KINDS, PiiHit, apply_masks, looks_like_name, spans

FIELDS = ("problem", "result")
PENDING = "（公开内容待审核）"


@dataclass(frozen=True)
class Mask:
    start: int
    end: int
    kind: str  # what the redactor found (name, mobile …), or "manual" for the supervisor's own
    replace: str = ""
    decision: str = MASK  # mask (sure) | ask (a question for the supervisor)

    @property
    def key(self) -> str:
        return f"{self.start}:{self.end}"


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


def county_of(unit: OrgUnit) -> OrgUnit:
    """The county the unit lies in (its top unit when no level is a county)."""
    chain = [unit, *unit.ancestors()]
    return next((u for u in chain if u.level == "county"), chain[-1])


def county_words(session: Session, item: LedgerItem) -> tuple[list[str], list[str]]:
    """(names, not-names) the county's supervisors taught the redactor."""
    rows = session.execute(select(PrivacyWord.word, PrivacyWord.kind)
                           .where(PrivacyWord.county_id == county_of(item.org_unit).id)).all()
    return [w for w, k in rows if k == "name"], [w for w, k in rows if k == "not_name"]


def find_masks(session: Session, item: LedgerItem, text: str) -> list[Mask]:
    names, not_names = county_words(session, item)
    known = [k for k in known_names(session, item) if k not in not_names] + names
    hits = spans(text or "", known, cadres=cadre_units(session), keep=place_words(session) + not_names)
    return [Mask(h.start, h.end, h.kind, h.replace, h.decision) for h in hits]


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
            masks = tuple(Mask(*m[:4]) for m in (pub.masks or {}).get(field, []))
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


def _keyed(raw) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DomainError("回答数据无效 (invalid answers)")
    return {str(k): str(v) for k, v in raw.items()}


def _covered(m: Mask, masks: list[Mask]) -> bool:
    return any(o.start <= m.start and m.end <= o.end for o in masks)


@dataclass
class _Lessons:
    """What one approval teaches: words and their kind, numbers unmasked with the reason."""
    words: dict[str, str]
    unmasked: list[dict]


def _decide_field(text: str, raw_masks: list, suggested: list[Mask], answers: dict[str, str],
                  reasons: dict[str, str], lessons: _Lessons) -> tuple[list[Mask], list[str]]:
    """The field's final masks from the supervisor's masks and answers; the questions still open."""
    final = _clean_masks(text, raw_masks, suggested)
    open_questions = []
    for q in (m for m in suggested if m.decision == ASK):
        answer = answers.get(q.key, "").strip().lower()
        if answer not in ("y", "n"):
            open_questions.append(text[q.start:q.end])
            continue
        if answer == "y" and not _covered(q, final):
            if any(o.start < q.end and q.start < o.end for o in final):
                raise DomainError("遮盖范围重叠 (overlapping masks)")
            final.append(Mask(q.start, q.end, q.kind, q.replace, MASK))
        if answer == "n":
            final = [m for m in final if (m.start, m.end) != (q.start, q.end)]
        if q.kind in ("name", "known", "given"):
            lessons.words[text[q.start:q.end]] = "name" if answer == "y" else "not_name"
    for m in (m for m in suggested if m.decision == MASK and not _covered(m, final)):
        if m.kind in NUMBER_KINDS:
            reason = reasons.get(m.key, "").strip()
            if len(reason) < 2:
                raise DomainError(f"取消遮盖号码（{m.kind}）须填写理由 (unmasking a number needs a typed reason)")
            lessons.unmasked.append({"start": m.start, "end": m.end, "kind": m.kind, "reason": reason[:200]})
        elif m.kind == "name":
            lessons.words[text[m.start:m.end]] = "not_name"  # a word the redactor took for a name
    suggested_spans = {(m.start, m.end) for m in suggested}
    for m in final:
        word = text[m.start:m.end]
        if (m.start, m.end) not in suggested_spans and looks_like_name(word):
            lessons.words[word] = "name"  # the supervisor masked a name the redactor missed
    final.sort(key=lambda m: m.start)
    return final, open_questions


def learn(session: Session, item: LedgerItem, actor: User, words: dict[str, str]) -> None:
    """The county's lists take the words the supervisor's decisions showed (each audited)."""
    county = county_of(item.org_unit)
    for word, kind in sorted(words.items()):
        word = word.strip()
        if not 2 <= len(word) <= 40:
            continue
        row = session.scalars(select(PrivacyWord).where(PrivacyWord.county_id == county.id,
                                                        PrivacyWord.word == word)).first()
        if row is not None and row.kind == kind:
            continue
        before = {"kind": row.kind} if row is not None else None
        if row is None:
            row = PrivacyWord(county_id=county.id, word=word, kind=kind, item_id=item.id, created_by_id=actor.id)
            session.add(row)
        else:
            row.kind, row.item_id, row.created_by_id = kind, item.id, actor.id
        session.flush()
        audit.record(session, "privacy_learn", row, actor=actor, before=before,
                     after={"word": word, "kind": kind, "item": item.id, "county": county.id})


def approve(session: Session, item: LedgerItem, actor: User, masks: dict, digest: str, *,
            answers: Optional[dict] = None, reasons: Optional[dict] = None) -> ItemPublication:
    """Store the public text made with ``masks`` ({field: [[start, end], …]}) for the item's text
    whose digest the supervisor saw (a text changed meanwhile is refused).  ``answers``
    ({field: {"start:end": "y" | "n"}}) answer the redactor's questions, all of which must be
    answered; ``reasons`` ({field: {"start:end": text}}) say why a number is unmasked."""
    if actor.role not in ("supervisor", "admin") or not item.org_unit.is_within(actor.org_unit):
        raise DomainError("只有本级审核人可以审核公开内容 (only a supervisor of the unit may approve)")
    if not (item.result or "").strip():
        raise DomainError("没有办理结果，不能公开 (no result; nothing to publish)")
    if digest != source_digest(item):
        raise DomainError("事项内容已被修改，请重新审核 (the item's text changed; review it again)")
    answers = answers or {}
    reasons = reasons or {}
    cleaned: dict[str, list[Mask]] = {}
    public: dict[str, str] = {}
    lessons = _Lessons({}, [])
    still_open: list[str] = []
    for field in FIELDS:
        text = getattr(item, field) or ""
        cleaned[field], open_here = _decide_field(text, masks.get(field, []), find_masks(session, item, text),
                                                  _keyed(answers.get(field)), _keyed(reasons.get(field)), lessons)
        still_open += open_here
        public[field] = render(text, cleaned[field])
    if still_open:
        raise DomainError(f"还有 {len(still_open)} 个问题未回答：{'、'.join(still_open[:5])} "
                          f"(answer every question before approving)")
    pub = ItemPublication(item_id=item.id, problem=public["problem"], result=public["result"],
                          masks={f: [[m.start, m.end, m.kind, m.replace] for m in cleaned[f]] for f in FIELDS},
                          source_digest=digest, approved_by_id=actor.id)
    session.add(pub)
    session.flush()
    for u in lessons.unmasked:
        audit.record(session, "publish_unmask", item, actor=actor, after={"publication": pub.id, **u})
    audit.record(session, "publish_approve", item, actor=actor,
                 after={"publication": pub.id, "problem": pub.problem, "result": pub.result,
                        "masks": {f: len(cleaned[f]) for f in FIELDS}})
    learn(session, item, actor, lessons.words)
    session.flush()
    return pub


def questions(session: Session, item: LedgerItem) -> int:
    """How many questions the redactor asks about the item's text (none once approved)."""
    return sum(1 for d in draft(session, item) for m in d.masks if m.decision == ASK)


def public_texts(item: LedgerItem, *, newest=_ASK) -> tuple[str, str, bool]:
    """(problem, result, approved) as a public page shows them: only approved text."""
    pub = current(item, newest=newest)
    if pub is None:
        return PENDING, PENDING, False
    return pub.problem, pub.result, True


def approve_as_drafted(session: Session, item: LedgerItem, actor: User) -> ItemPublication:
    """Approve the redactor's proposal unchanged, every question answered "mask" (the demo; a
    supervisor who changes nothing)."""
    drafts = draft(session, item)
    masks = {d.field: [[m.start, m.end] for m in d.masks] for d in drafts}
    answers = {d.field: {m.key: "y" for m in d.masks if m.decision == ASK} for d in drafts}
    return approve(session, item, actor, masks, source_digest(item), answers=answers)
