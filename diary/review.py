"""Review services: what a supervisor does to a recognized capture and its draft entry.

Every write goes through here so that it is audited (one event per edited field, one per
action) and checked against the version the reviewer had on screen: a second supervisor's
stale form raises `ReviewConflict` instead of silently overwriting the first one's work.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from capture import states
from capture.models import Capture
from capture.states import IN_RECOGNITION, CaptureStatus
from core import audit, params
from core.clock import utcnow
from core.errors import DomainError, NotAllowed
from diary.models import ENTRY_FIELDS, DiaryEntry, Transcript
from org.models import OrgUnit, User
from org.scope import can_review, scope_captures, unit_ids_under
from recognize.extract.vocab import CATEGORIES, VISIT_METHODS

# A field whose extraction confidence is at or below this is marked for the reviewer: 0.6 is
# what the extractor gives a guess with no evidence (the default 走访方式), which needs a look.
LOW_CONFIDENCE = 0.6

# Longest accepted value per field (the column sizes).
FIELD_MAX = {
    "visit_time": 32,
    "place": 128,
    "interviewee": 64,
    "visit_method": 16,
    "category": 16,
    "problem": 4000,
    "solution": 4000,
    "reflections": 4000,
}

# ledger: into the ledger as an open item (待办理) the holder triages there; the others triage now.
TRIAGES = ("now", "deadline", "escalate", "ledger")
REVIEWABLE = (CaptureStatus.READY_FOR_REVIEW,)


class ReviewConflict(Exception):
    """The capture or entry changed since the reviewer loaded it."""

    def __init__(self, capture: Capture, entry: Optional[DiaryEntry], mine: Optional[dict] = None):
        super().__init__("此记录已被他人修改 (changed by someone else)")
        self.capture = capture
        self.entry = entry
        self.mine = mine or {}


class NotReviewable(DomainError):
    """The capture is not (or no longer) waiting for review."""


# --- reading ------------------------------------------------------------------------


def is_low(entry: DiaryEntry, name: str) -> bool:
    return name in low_fields(entry)


def low_fields(entry: Optional[DiaryEntry]) -> list[str]:
    """The fields the screen marks for a look: the draft's ``review`` (calibrated confidence
    below the level that keeps the rest >= 98% right); for a draft from before calibration,
    the fields at or below LOW_CONFIDENCE."""
    if entry is None:
        return []
    if entry.review is not None:
        return [f for f in ENTRY_FIELDS if f in entry.review]
    return [f for f in ENTRY_FIELDS if _below_bar(entry, f)]


def _below_bar(entry: DiaryEntry, name: str) -> bool:
    value = (entry.confidence or {}).get(name)
    return value is not None and float(value) <= LOW_CONFIDENCE


def checked_by_person(entry: DiaryEntry, names: Iterable[str]) -> None:
    """A field a person set is no longer in doubt: it leaves the draft's review."""
    if entry.review:
        entry.review = [f for f in entry.review if f not in set(names)]


@dataclass
class QueueFilters:
    township_id: Optional[int] = None
    village_id: Optional[int] = None
    cadre_id: Optional[int] = None
    category: str = ""
    low_first: bool = False

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        def _int(name):
            return params.ident(args.get(name))

        category = (args.get("category") or "").strip()
        return cls(
            township_id=_int("township"),
            village_id=_int("village"),
            cadre_id=_int("cadre"),
            category=category if category in CATEGORIES else "",
            low_first=(args.get("low") or "") in ("1", "on", "true"),
        )

    def as_args(self) -> dict:
        out: dict[str, Any] = {}
        if self.township_id:
            out["township"] = self.township_id
        if self.village_id:
            out["village"] = self.village_id
        if self.cadre_id:
            out["cadre"] = self.cadre_id
        if self.category:
            out["category"] = self.category
        if self.low_first:
            out["low"] = 1
        return out


@dataclass
class ReviewQueue:
    captures: list[Capture]
    total: int  # ready for review, in scope, matching the filters
    ready_all: int  # ready for review in scope, without filters
    recognizing: list[Capture]
    failed: int
    returned: int
    townships: list[OrgUnit] = field(default_factory=list)
    villages: list[OrgUnit] = field(default_factory=list)
    cadres: list[User] = field(default_factory=list)


def _filtered(query, session: Session, filters: QueueFilters):
    unit_id = filters.village_id or filters.township_id
    if unit_id:
        unit = session.get(OrgUnit, unit_id)
        if unit is not None:
            query = query.where(Capture.org_unit_id.in_(unit_ids_under(unit)))
    if filters.cadre_id:
        query = query.where(Capture.uploader_id == filters.cadre_id)
    if filters.category:
        query = query.where(
            Capture.id.in_(select(DiaryEntry.capture_id).where(DiaryEntry.category == filters.category))
        )
    return query


def review_queue(
    session: Session, user: User, filters: Optional[QueueFilters] = None, *, limit: int = 50, offset: int = 0
) -> ReviewQueue:
    """Captures ready for review in the user's scope, oldest first (or least confident first)."""
    filters = filters or QueueFilters()
    base = scope_captures(select(Capture), user)
    ready = _filtered(base.where(Capture.status == CaptureStatus.READY_FOR_REVIEW), session, filters)
    total = session.scalar(select(func.count()).select_from(ready.subquery())) or 0
    ready_all = session.scalar(
        select(func.count()).select_from(base.where(Capture.status == CaptureStatus.READY_FOR_REVIEW).subquery())
    ) or 0
    load = (selectinload(Capture.uploader), selectinload(Capture.org_unit), selectinload(Capture.entry))
    if filters.low_first:
        # A capture without a draft sorts as fully confident (nothing to flag yet).
        captures = list(
            session.scalars(
                ready.outerjoin(DiaryEntry, DiaryEntry.capture_id == Capture.id)
                .options(*load)
                .order_by(func.coalesce(DiaryEntry.review_count, 0).desc(),
                          func.coalesce(DiaryEntry.min_confidence, 1.0), Capture.received_at, Capture.id)
                .limit(limit)
                .offset(offset)
            )
        )
    else:
        captures = list(
            session.scalars(
                ready.options(*load).order_by(Capture.received_at, Capture.id).limit(limit).offset(offset)
            )
        )
    recognizing = list(
        session.scalars(
            base.where(Capture.status.in_(IN_RECOGNITION))
            .options(selectinload(Capture.uploader))
            .order_by(Capture.received_at, Capture.id)
            .limit(20)
        )
    )
    failed = session.scalar(
        select(func.count()).select_from(base.where(Capture.status == CaptureStatus.FAILED).subquery())
    ) or 0
    returned = session.scalar(
        select(func.count()).select_from(base.where(Capture.status == CaptureStatus.RETURNED).subquery())
    ) or 0
    scope_units = unit_ids_under(user.org_unit)
    townships = list(
        session.scalars(
            select(OrgUnit).where(OrgUnit.level == "township", OrgUnit.id.in_(scope_units)).order_by(OrgUnit.id)
        )
    )
    villages_q = select(OrgUnit).where(OrgUnit.level == "village", OrgUnit.id.in_(scope_units))
    if filters.township_id:
        villages_q = villages_q.where(OrgUnit.parent_id == filters.township_id)
    villages = list(session.scalars(villages_q.order_by(OrgUnit.id)))
    cadres = list(
        session.scalars(
            select(User)
            .where(User.role == "cadre", User.org_unit_id.in_(scope_units))
            .order_by(User.display_name)
        )
    )
    return ReviewQueue(captures, total, ready_all, recognizing, failed, returned, townships, villages, cadres)


def neighbours(session: Session, user: User, capture: Capture) -> tuple[Optional[int], Optional[int]]:
    """(previous, next) capture ids in the queue's order (oldest first) around `capture`."""
    ready = scope_captures(select(Capture.id), user).where(Capture.status == CaptureStatus.READY_FOR_REVIEW)
    key = (capture.received_at, capture.id)
    prev_id = session.scalar(
        ready.where(
            (Capture.received_at < key[0]) | ((Capture.received_at == key[0]) & (Capture.id < key[1]))
        )
        .order_by(Capture.received_at.desc(), Capture.id.desc())
        .limit(1)
    )
    next_id = session.scalar(
        ready.where(
            (Capture.received_at > key[0]) | ((Capture.received_at == key[0]) & (Capture.id > key[1]))
        )
        .order_by(Capture.received_at, Capture.id)
        .limit(1)
    )
    return prev_id, next_id


def load_for_review(session: Session, capture_id: int) -> Optional[Capture]:
    return session.scalars(
        select(Capture)
        .where(Capture.id == capture_id)
        .options(
            selectinload(Capture.files),
            selectinload(Capture.entry),
            selectinload(Capture.transcript).selectinload(Transcript.pieces),
            selectinload(Capture.uploader),
            selectinload(Capture.org_unit),
        )
    ).first()


# --- writing ------------------------------------------------------------------------


def _check(capture: Capture, actor: User, capture_version: Optional[int], entry_version: Optional[int], mine=None):
    if not can_review(actor, capture):
        raise NotAllowed("not in the reviewer's scope")
    entry = capture.entry
    stale = capture_version is not None and capture_version != capture.version
    stale = stale or (entry is not None and entry_version is not None and entry_version != entry.version)
    if stale:
        raise ReviewConflict(capture, entry, mine)
    if capture.status not in REVIEWABLE:
        raise NotReviewable("该采集已不在待审核状态（已被处理），不能审核 (no longer waiting for review)")


def clean_value(name: str, raw: Any) -> Any:
    """The typed value of a submitted field, or DomainError."""
    if name not in ENTRY_FIELDS:
        raise DomainError(f"未知字段 {name} (unknown field)")
    text = "" if raw is None else str(raw).replace("\r\n", "\n").strip()
    if len(text) > FIELD_MAX.get(name, 4000):  # before any early return: every column has a limit
        raise DomainError(f"{name} 太长 (too long)")
    if name == "visit_date":
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise DomainError(f"日期格式不对：{text} (date must be YYYY-MM-DD)") from None
    if name == "visit_time":
        return text or None
    if name == "visit_method" and text and text not in VISIT_METHODS:
        raise DomainError(f"走访方式只能是 {'、'.join(VISIT_METHODS)} (unknown visit method)")
    if name == "category" and text and text not in CATEGORIES:
        raise DomainError(f"未知的类别：{text} (unknown category)")
    return text


def apply_edits(
    session: Session,
    capture: Capture,
    edits: dict,
    actor: User,
    *,
    capture_version: Optional[int],
    entry_version: Optional[int],
) -> list[str]:
    """Write the changed fields of the capture's draft entry; one audit event per field.

    `edits` maps field name -> submitted value (fields not in it are left alone).
    Returns the names of the fields that changed.
    """
    entry = capture.entry
    mine = {k: v for k, v in edits.items() if k in ENTRY_FIELDS}
    _check(capture, actor, capture_version, entry_version, mine)
    if entry is None:
        raise NotReviewable("该采集没有草稿条目 (no draft entry)")
    cleaned = {name: clean_value(name, value) for name, value in mine.items()}
    spans = edits.get(SPAN_EVIDENCE) or {}
    changed = []
    for name, new in cleaned.items():
        old = getattr(entry, name)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        setattr(entry, name, new)
        span = _fixed_span(entry, name, spans)
        before, after = {name: old}, {name: new}
        if span is not None:  # a span fix: the evidence follows the selection, in the same event
            before["evidence"] = (entry.evidence or {}).get(name)
            after["evidence"] = span
            entry.evidence = {**(entry.evidence or {}), name: span}
        audit.record(
            session,
            "entry.edit",
            entry,
            actor=actor,
            before=before,
            after=after,
        )
        changed.append(name)
    checked_by_person(entry, changed)
    if "place" in changed:  # the corrected place decides the linked unit (and its items follow)
        from diary.entries import follow_place

        follow_place(session, entry, actor)
    if changed:
        entry.updated_at = utcnow()
        session.flush()  # bumps entry.version; a concurrent writer raises StaleDataError here
    return changed


def confirm_entry(
    session: Session,
    capture: Capture,
    actor: User,
    *,
    capture_version: Optional[int],
    entry_version: Optional[int],
    edits: Optional[dict] = None,
    triage: str = "",
    deadline: Optional[dt.date] = None,
    responsible_unit: str = "",
    result: str = "",
    reason: str = "",
    feedback_method: str = "",
):
    """Confirm the draft entry (with the reviewer's last edits) and optionally open a ledger
    item for its problem, triaged in the same step: `now` (solved on the spot, `result`),
    `deadline` (`deadline` date, `responsible_unit`), `escalate` (`reason`). The ledger
    workflow (`ledger.workflow`) validates and audits the item's own steps.

    Returns the ledger item, or None when the problem was not sent to the ledger.
    """
    # The triage is checked before anything is written, so a refusal changes nothing.
    check_triage(triage, deadline=deadline, responsible_unit=responsible_unit, result=result, reason=reason)
    apply_edits(
        session, capture, edits or {}, actor, capture_version=capture_version, entry_version=entry_version
    )
    entry = capture.entry
    if triage and not (entry.problem or "").strip():
        raise DomainError("反映问题为空，不能送入台账 (the problem is empty)")
    capture.review_comment = None
    confirm_draft(session, entry, actor, capture_id=capture.id, triage=triage)
    states.move(session, capture, CaptureStatus.CONFIRMED, actor=actor)
    item = None
    if triage:
        from ledger import workflow

        # Triaged by the confirming supervisor: the item stays where they can act on it.
        item = workflow.open_item_from_entry(session, entry, actor, acting=triage != "ledger")
        if triage == "now":
            if (entry.interviewee or "").strip() or (item.reporter or "").strip():
                # Solved on the spot: the villager was told there and then.
                workflow.record_feedback(session, item, actor, feedback_method.strip() or "当面告知", utcnow())
            workflow.solve_now(session, item, actor, result)
        elif triage == "deadline":
            workflow.set_deadline(session, item, actor, deadline, responsible_unit)
        elif triage == "escalate":
            workflow.escalate(session, item, actor, reason)
    session.flush()
    return item


def confirm_draft(session: Session, entry: DiaryEntry, actor: User, *, capture_id: Optional[int] = None,
                  triage: str = "") -> None:
    """The entry's part of a confirm: who confirmed it and when, and its `entry.confirm` event
    (`confirm_entry` for a capture's entry; the demo's entries, which have none, too)."""
    entry.status = "confirmed"
    entry.confirmed_by_id = actor.id
    entry.confirmed_at = utcnow()
    audit.record(
        session,
        "entry.confirm",
        entry,
        actor=actor,
        before={"status": "draft"},
        after={"status": "confirmed", "capture_id": capture_id, "triage": triage or None},
    )


def check_triage(triage: str, *, deadline: Optional[dt.date] = None, responsible_unit: str = "",
                 result: str = "", reason: str = "", today: Optional[dt.date] = None) -> None:
    """What each triage needs, before anything is written: DomainError naming what is missing."""
    if triage and triage not in TRIAGES:
        raise DomainError(f"未知的处理方式 {triage} (unknown triage)")
    if triage == "now" and not result.strip():
        raise DomainError("当场解决需要填写解决结果 (a result is needed)")
    if triage == "deadline":
        from ledger.deadlines import local_today

        if deadline is None:
            raise DomainError("限期解决需要填写期限 (a deadline is needed)")
        if deadline < (today or local_today()):
            raise DomainError("办理时限不能早于今天 (the deadline cannot be in the past)")
        if not responsible_unit.strip():
            raise DomainError("限期解决需要填写责任单位 (a responsible unit is needed)")
    if triage == "escalate" and not reason.strip():
        raise DomainError("上报需要说明理由 (a reason is needed)")


def default_triage(entry: Optional[DiaryEntry]) -> str:
    """A problem written down goes into the ledger unless the reviewer says otherwise."""
    return "ledger" if entry is not None and (entry.problem or "").strip() else ""


def is_confident(entry: Optional[DiaryEntry]) -> bool:
    """Nothing to check: the draft's ``review`` is empty (for a draft from before calibration,
    every field the extractor scored is above the bar).  Bulk confirm takes exactly these."""
    if entry is None:
        return False
    if entry.review is not None:
        return not entry.review
    return bool(entry.confidence) and not low_fields(entry)


@dataclass(frozen=True)
class BulkResult:
    confirmed: list  # (capture id, ledger item or None)
    skipped: list  # (capture id, reason)


def confirm_many(session: Session, captures: Iterable[Capture], actor: User, versions: dict) -> BulkResult:
    """Bulk accept: each capture whose fields are all confident is confirmed as its own confirm
    (its own audit events, its own version check), a problem going into the ledger as 待办理.
    A capture that is not confident, changed since it was listed, or refused is skipped with
    the reason; the others still go through (each in a savepoint)."""
    done, skipped = [], []
    for capture in captures:
        if not is_confident(capture.entry):
            skipped.append((capture.id, "有待核对的字段，请逐条审核 (has fields to check)"))
            continue
        cv, ev = versions.get(capture.id, (None, None))
        try:
            with session.begin_nested():
                item = confirm_entry(session, capture, actor, capture_version=cv, entry_version=ev,
                                     triage=default_triage(capture.entry))
        except (ReviewConflict, StaleDataError):
            skipped.append((capture.id, "此记录已被他人修改 (changed by someone else)"))
            continue
        except DomainError as exc:
            skipped.append((capture.id, str(exc)))
            continue
        except NotAllowed:
            skipped.append((capture.id, "不在您的审核范围内 (not in your scope)"))
            continue
        done.append((capture.id, item))
    return BulkResult(done, skipped)


def three_way(loaded: dict, mine: dict, current: dict) -> tuple[dict, dict]:
    """Merge a stale form against the version it was loaded with, field by field.

    Returns (conflicts, kept): `conflicts` maps the fields both the reviewer and the other
    person changed, to different values, to (mine, theirs); `kept` holds the reviewer's edits
    of fields nobody else touched (safe to put back in the form). A field only the other
    person changed is neither: their edit stands and is not offered for undoing."""
    def norm(v):
        return "" if v is None else str(v).replace("\r\n", "\n").strip()

    conflicts, kept = {}, {}
    for name, value in mine.items():
        if name not in current:
            continue
        base = norm(loaded.get(name, current[name]))
        m, c = norm(value), norm(current[name])
        if m == base or m == c:
            continue  # the reviewer did not change it, or both agree
        if c == base:
            kept[name] = value
        else:
            conflicts[name] = (value, current[name])
    return conflicts, kept


def _close(session: Session, capture: Capture, actor: User, status: CaptureStatus, text: str,
           capture_version, entry_version) -> None:
    _check(capture, actor, capture_version, entry_version)
    if not text.strip():
        raise DomainError("请填写说明 (a comment is required)")
    if len(text) > 2000:
        raise DomainError("说明太长 (too long)")
    before = {"review_comment": capture.review_comment}
    capture.review_comment = text.strip()
    states.move(session, capture, status, actor=actor, before=before,
                after={"review_comment": capture.review_comment})
    session.flush()


def return_capture(session: Session, capture: Capture, actor: User, comment: str, *,
                   capture_version: Optional[int], entry_version: Optional[int]) -> None:
    """Send the capture back to its cadre for correction, with a comment they will see."""
    _close(session, capture, actor, CaptureStatus.RETURNED, comment, capture_version, entry_version)


def reject_capture(session: Session, capture: Capture, actor: User, reason: str, *,
                   capture_version: Optional[int], entry_version: Optional[int]) -> None:
    """Reject the capture (not a visit, unusable recording...) with a reason."""
    _close(session, capture, actor, CaptureStatus.REJECTED, reason, capture_version, entry_version)


def resubmit_capture(session: Session, capture: Capture, actor: User, edits: dict, *,
                     capture_version: Optional[int], entry_version: Optional[int]) -> list[str]:
    """The cadre corrects a returned entry and sends it back for review."""
    if capture.uploader_id != actor.id:
        raise NotAllowed("not the cadre's own capture")
    entry = capture.entry
    stale = capture_version is not None and capture_version != capture.version
    stale = stale or (entry is not None and entry_version is not None and entry_version != entry.version)
    if stale:
        raise ReviewConflict(capture, entry, edits)
    if capture.status != CaptureStatus.RETURNED or entry is None:
        raise NotReviewable("只有退回的记录可以修改后重新提交 (only returned entries)")
    changed = []
    for name, value in edits.items():
        if name not in ENTRY_FIELDS:
            continue
        new = clean_value(name, value)
        old = getattr(entry, name)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        setattr(entry, name, new)
        audit.record(session, "entry.edit", entry, actor=actor, before={name: old}, after={name: new})
        changed.append(name)
    states.move(session, capture, CaptureStatus.READY_FOR_REVIEW, actor=actor)
    session.flush()
    return changed


def entry_values(entry: Optional[DiaryEntry]) -> dict:
    if entry is None:
        return {f: "" for f in ENTRY_FIELDS}
    return {f: ("" if getattr(entry, f) is None else audit._jsonable(getattr(entry, f))) for f in ENTRY_FIELDS}


def edits_from_form(form, names: Iterable[str] = ENTRY_FIELDS) -> dict:
    """The entry fields present in a submitted form (and the spans of a span fix, if any)."""
    out = {name: form.get(name) for name in names if name in form}
    spans = spans_from_form(form)
    if spans:
        out[SPAN_EVIDENCE] = spans
    return out


# --- span fix: a field set from a selection of the transcript (issue 25) ----------------------
# The review screen sends, beside the fields, the transcript span each fixed field now comes
# from; the span becomes the field's evidence in the same audited edit.  A person's fixes are
# training data (diary.training reads confirmed entries).
SPAN_EVIDENCE = "_evidence"
SPAN_FIELDS = ("place", "interviewee", "problem", "solution", "reflections", "visit_time")


def spans_from_form(form) -> dict[str, list[int]]:
    raw = form.get("span_evidence") or ""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    out = {}
    for name, span in (data.items() if isinstance(data, dict) else ()):
        if name in SPAN_FIELDS and isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span):
            if 0 <= span[0] < span[1]:
                out[name] = [span[0], span[1]]
    return out


def _fixed_span(entry: DiaryEntry, name: str, spans: dict) -> Optional[list[int]]:
    """The span a fixed field now comes from, when it lies inside the transcript."""
    span = spans.get(name)
    capture = entry.capture
    text = capture.transcript.text if capture is not None and capture.transcript is not None else ""
    return span if span and span[1] <= len(text) else None


# --- the cadre's side ---------------------------------------------------------------


@dataclass
class CadreSummary:
    month: dt.date  # first day of the month counted
    confirmed: int  # confirmed visits with a visit date in this month
    pending: int  # draft entries of this month still waiting for review
    quota: int
    returned: list[Capture]

    @property
    def met(self) -> bool:
        return self.confirmed >= self.quota


def cadre_summary(session: Session, user: User, quota: int, today: Optional[dt.date] = None) -> CadreSummary:
    """Visits this month against the quota, and the captures returned for correction."""
    if today is None:
        from ledger.deadlines import local_today

        today = local_today()  # the county's month, not the server's
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    in_month = select(DiaryEntry.status, func.count()).where(
        DiaryEntry.cadre_id == user.id, DiaryEntry.visit_date >= first, DiaryEntry.visit_date < nxt
    ).join(Capture, Capture.id == DiaryEntry.capture_id, isouter=True).where(
        (Capture.id.is_(None)) | (Capture.status.notin_((CaptureStatus.REJECTED, CaptureStatus.FAILED)))
    ).group_by(DiaryEntry.status)
    counts = dict(session.execute(in_month).all())
    returned = list(
        session.scalars(
            select(Capture)
            .where(Capture.uploader_id == user.id, Capture.status == CaptureStatus.RETURNED)
            .options(selectinload(Capture.entry))
            .order_by(Capture.received_at.desc())
        )
    )
    return CadreSummary(first, counts.get("confirmed", 0), counts.get("draft", 0), quota, returned)
