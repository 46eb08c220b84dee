"""The ledger workflow (台账): a state machine over LedgerItem with only legal transitions.

States
------
open          待办理          a problem in the ledger of a unit, not yet triaged (or accepted from below)
in_progress   限期办理中      限期: a due date and a responsible unit
escalated     已上报待受理    本级解决不了的向上级报告: held by the parent unit, waiting for it to accept,
                              send back with guidance, or escalate again (up to the county)
done          已办结待销号    the responsible unit reports a result; a supervisor closes (销号) or reopens
closed        已销号          closed with a result; disclosed publicly and open to 群众评议
reopened      重新办理        a supervisor reopened it, or a villager was 不满意
merged        已合并          the same problem as another item; its entries moved there

An item keeps its number (code) for life: a reopened item is the same item. 延期 (a later
deadline, asked for by the holder before the deadline and decided by the level above) changes
no status; it is history like a link or a flag.

Every call below checks the table `TRANSITIONS`, the actor's rights and the preconditions,
records a LedgerTransition (who, when, why, from/to status and unit) and an audit event, and
raises DomainError with a Chinese message (English in parentheses) when refused. Passing
`version=` (the version the user saw) turns a concurrent edit into a clear refusal; the
version column also guards the UPDATE itself (SQLAlchemy's version_id_col).
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from core import audit, params
from core.clock import utcnow
from core.errors import DomainError
from diary.models import DiaryEntry
from ledger import problem_words
from ledger.deadlines import local_today
from ledger.models import (
    OUTCOMES,
    DeadlineExtension,
    Feedback,
    KeyProject,
    LedgerItem,
    LedgerTransition,
    ledger_item_entries,
)
from ledger.similarity import text_similarity
from ledger.states import ACTIVE, ALL_LIVE, FLAGS, LEVEL_LABELS, STATUS_LABELS, STATUSES, TRIAGE_LABELS  # noqa: F401 (workflow.STATUSES is the public name)
from org.models import OrgUnit, User
from org.scope import scope_entries, scope_ids
from recognize.extract.vocab import CATEGORIES


@dataclass(frozen=True)
class Rule:
    action: str
    label: str
    sources: tuple[Optional[str], ...]
    target: Optional[str]  # None: computed (send_back returns to where it came from; no-change actions)
    supervisor_only: bool = False


# The table of legal transitions. Actions whose target is the source ("keep") change no status
# but are part of the history.
KEEP = "keep"
RULES: dict[str, Rule] = {r.action: r for r in (
    Rule("open", "立项", (None,), "open"),
    Rule("link", "关联日记", ("open", "in_progress", "escalated", "done", "reopened"), KEEP),
    Rule("solve_now", "快办快结", ("open", "reopened"), "closed"),
    Rule("set_deadline", "限期办理", ("open", "reopened", "in_progress"), "in_progress"),
    Rule("escalate", "向上级报告", ("open", "reopened", "in_progress", "escalated"), "escalated"),
    Rule("accept", "受理", ("escalated",), "open", supervisor_only=True),
    Rule("send_back", "退回并指导", ("escalated",), None, supervisor_only=True),
    Rule("complete", "办结", ("in_progress",), "done"),
    Rule("feedback", "反馈群众", ("open", "in_progress", "reopened", "done", "closed"), KEEP),
    Rule("close", "销号", ("done",), "closed", supervisor_only=True),
    Rule("reopen", "重新办理", ("done", "closed"), "reopened", supervisor_only=True),
    Rule("merge", "合并", ("open", "in_progress", "escalated", "reopened"), "merged", supervisor_only=True),
    Rule("merge_in", "并入", ("open", "in_progress", "escalated", "done", "reopened"), KEEP, supervisor_only=True),
    Rule("flag", "标记", ALL_LIVE, KEEP),
    Rule("key_project", "重点项目", ALL_LIVE, KEEP, supervisor_only=True),
    Rule("evaluate", "群众评议", ("closed",), KEEP),
    Rule("request_extension", "申请延期", ("in_progress",), KEEP),
    Rule("decide_extension", "延期审批", ("in_progress",), KEEP, supervisor_only=True),
    # A live item's facts set right by the supervisor who holds it (ledger.corrections).
    Rule("correct", "更正", ("open", "in_progress", "escalated", "done", "reopened"), KEEP, supervisor_only=True),
)}
# Actions a user picks on the item page (the rest happen through other screens).
USER_ACTIONS = ("solve_now", "set_deadline", "request_extension", "decide_extension", "escalate", "accept",
                "send_back", "complete", "feedback", "close", "reopen", "flag", "key_project", "evaluate")
OUTCOME_LABELS = {o: o for o in OUTCOMES}


def target_status(action: str, source: Optional[str]) -> Optional[str]:
    """The status `action` leads to from `source`, or None when it is illegal there.
    For send_back the answer is the escalated item's earlier status, not known from the
    table alone; "escalated" stands for "computed" here."""
    rule = RULES.get(action)
    if rule is None or source not in rule.sources:
        return None
    if rule.target == KEEP:
        return source
    return rule.target or "escalated"


def _refuse_illegal(item: LedgerItem, action: str) -> None:
    rule = RULES[action]
    if item.status not in rule.sources:
        raise DomainError(
            f"事项当前状态为「{STATUS_LABELS.get(item.status, item.status)}」，不能「{rule.label}」"
            f" (cannot {action} an item that is {item.status})"
        )


# --- who may act --------------------------------------------------------------------


def can(user: Optional[User], item: LedgerItem, action: str) -> bool:
    """Supervisors and admins act on items held at or under their unit; a cadre acts on the
    ledger of their own unit only, and not on supervisor actions (merge, accept, send back,
    close, reopen, key projects). A cadre records an in-person evaluation for items from
    their own unit or place."""
    if user is None or not user.active:
        return False
    rule = RULES[action]
    if user.role in ("supervisor", "admin"):
        if action == "decide_extension":
            return can_decide_extension(user, item)
        if action == "request_extension":  # the holder's own level asks
            return item.org_unit.is_within(user.org_unit) and (
                item.org_unit_id == user.org_unit_id or user.role == "admin")
        return item.org_unit.is_within(user.org_unit)
    if user.role != "cadre" or rule.supervisor_only:
        return False
    if action == "evaluate":
        return item.org_unit_id == user.org_unit_id or (
            item.place_unit is not None and item.place_unit.is_within(user.org_unit)
        )
    return item.org_unit_id == user.org_unit_id


def can_decide_extension(user: Optional[User], item: LedgerItem) -> bool:
    """The level above the holder decides; the county, having none above, decides its own."""
    if user is None or not user.active or user.role not in ("supervisor", "admin"):
        return False
    if item.org_unit.parent_id is None:
        return item.org_unit_id == user.org_unit_id
    return item.org_unit_id != user.org_unit_id and item.org_unit.is_within(user.org_unit)


def _require(user: Optional[User], item: LedgerItem, action: str) -> None:
    if not can(user, item, action):
        raise DomainError(
            f"您无权对该事项执行「{RULES[action].label}」 (you may not {action} this item)"
        )


def _check_version(item: LedgerItem, version: Optional[int]) -> None:
    if version is not None and int(version) != item.version:
        raise DomainError("该事项已被他人修改，请刷新后重试 (the item was changed meanwhile; reload and try again)")


def allowed_actions(user: User, item: LedgerItem) -> list[str]:
    """The actions this user may take on this item now (for the item page)."""
    out = []
    for action in USER_ACTIONS:
        if item.status in RULES[action].sources and can(user, item, action):
            if action == "escalate" and item.org_unit.parent_id is None:
                continue
            if action == "request_extension" and (pending_extension(item) is not None or item.deadline is None):
                continue
            if action == "decide_extension" and pending_extension(item) is None:
                continue
            out.append(action)
    return out


# --- recording ----------------------------------------------------------------------

_ITEM_FIELDS = ("status", "org_unit_id", "level", "triage", "deadline", "responsible_unit", "result",
                "escalation_reason", "common_need", "widespread", "pain_point", "legacy",
                "key_project_id", "merged_into_id", "closed_at", "code", "outcome", "outcome_reason")


def _record(
    session: Session,
    item: LedgerItem,
    action: str,
    actor: Optional[User],
    reason: str,
    before: dict,
    from_status: Optional[str],
    from_unit_id: Optional[int],
    extra: Optional[dict] = None,
) -> LedgerTransition:
    tr = LedgerTransition(
        item=item,
        action=action,
        from_status=from_status,
        to_status=item.status,
        from_unit_id=from_unit_id,
        to_unit_id=item.org_unit_id,
        actor_id=actor.id if actor is not None else None,
        reason=reason or "",
        at=utcnow(),
    )
    session.add(tr)
    if from_status is not None:
        # Every transition, even one that changes no column, bumps the version: two users
        # acting on the same item at once cannot both succeed.
        flag_modified(item, "result")
    after = audit.snapshot(item, _ITEM_FIELDS)
    b, a = audit.diff(before, after)
    if extra:
        a = {**a, **extra}
    if reason:
        a = {**a, "reason": reason}
    audit.record(session, f"ledger.{action}", item, actor=actor, before=b, after=a)
    return tr


def _begin(item: LedgerItem, action: str, actor: Optional[User], version: Optional[int], *,
           check_actor: bool = True) -> tuple[dict, str, int]:
    if item.status == "merged" and action != "open":
        raise DomainError(f"事项已合并到其他事项，不能「{RULES[action].label}」 (the item was merged into another)")
    _refuse_illegal(item, action)
    if check_actor:
        _require(actor, item, action)
    _check_version(item, version)
    return audit.snapshot(item, _ITEM_FIELDS), item.status, item.org_unit_id


def _text(value: Optional[str], what: str, *, required: bool = True, limit: int = 4000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{what} ({what} is required)")
    if len(value) > limit:
        raise DomainError(f"{what}过长（最多 {limit} 字） ({what} is too long)")
    return value


CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no look-alikes (0/O, 1/I/L)
EVAL_CODE_LENGTH = 10  # 31^10 ≈ 8·10^14: not guessed, even before the per-client rate limit


def new_code(session: Session) -> str:
    """The item's number: 8 characters, its public reference for life."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if session.scalars(select(LedgerItem.id).where(LedgerItem.code == code)).first() is None:
            return code


def _draw_eval_code(session: Session, item: LedgerItem) -> None:
    """The villager's secret code for this result: new at each closing, never the number."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(EVAL_CODE_LENGTH))
        if session.scalars(select(LedgerItem.id).where(LedgerItem.eval_code == code)).first() is None:
            item.eval_code = code
            return


# --- opening and linking ------------------------------------------------------------


def _from_villager(item: LedgerItem) -> bool:
    return bool(item.reporter.strip()) or any(e.interviewee.strip() for e in item.entries)


def ledger_unit_for(entry: DiaryEntry, actor: Optional[User] = None) -> OrgUnit:
    """Whose ledger a confirmed entry's problem goes into: the village (or township) its
    confirmed place names, in the same county; else the unit of the cadre who wrote it. With
    `actor` (who goes on to act on the item at once: solve it on the spot, set its deadline,
    escalate it), only a place within the actor's reach; the item stays where they can act."""
    place, own = entry.place_unit, entry.org_unit
    if place is None or place.id == own.id or place.level not in ("village", "township"):
        return own
    if actor is not None and not place.is_within(actor.org_unit):
        return own
    same_county = place.path.split("/")[1:2] == own.path.split("/")[1:2]
    return place if same_county else own


def open_item_from_entry(session: Session, entry: DiaryEntry, actor: User, *,
                         problem: Optional[str] = None, category: Optional[str] = None,
                         acting: bool = False) -> LedgerItem:
    """A confirmed entry's problem becomes an item in the ledger of the cadre's unit."""
    if entry.status != "confirmed":
        raise DomainError("只有已确认的日记才能进入台账 (only confirmed entries enter the ledger)")
    if any(i.status != "merged" for i in entry.ledger_items):
        raise DomainError("该日记已在台账中 (this entry is already in the ledger)")
    if actor.role == "cadre":
        if entry.cadre_id != actor.id:
            raise DomainError("只能为本人的日记立项 (a cadre opens items from their own entries only)")
    elif actor.role not in ("supervisor", "admin") or not entry.org_unit.is_within(actor.org_unit):
        raise DomainError("您无权为该日记立项 (you may not open an item from this entry)")
    unit = ledger_unit_for(entry, actor if acting else None)
    text = _text(problem if problem is not None else entry.problem, "反映问题")
    cat = category or entry.category or "其他"
    if cat not in CATEGORIES:
        raise DomainError(f"未知的类别 {cat} (unknown category)")
    item = LedgerItem(
        code=new_code(session),
        org_unit=unit,
        level=unit.level,
        place_unit_id=entry.place_unit_id or (unit.id if unit.level == "village" else None),
        place=entry.place or "",
        reporter=entry.interviewee or "",
        problem=text,
        category=cat,
        status="open",
        pii=list(entry.pii or []),
        opened_at=utcnow(),
    )
    item.entries.append(entry)
    problem_words.fill(session, item)
    session.add(item)
    session.flush()
    before = {f: None for f in _ITEM_FIELDS}
    routed = f"，按确认的地点进入{unit.name}台账" if unit.id != entry.org_unit_id else ""
    _record(session, item, "open", actor, f"来自日记 #{entry.id}{routed}", before, None, None,
            extra={"entry_id": entry.id})
    return item


def link_entry(session: Session, item: LedgerItem, entry: DiaryEntry, actor: User, *,
               version: Optional[int] = None) -> LedgerItem:
    """The same problem reported again: the entry joins the item. Two or more entries make it
    a 共性需求."""
    before, status, unit_id = _begin(item, "link", actor, version)
    if entry.status != "confirmed":
        raise DomainError("只有已确认的日记才能进入台账 (only confirmed entries enter the ledger)")
    if entry in item.entries:
        raise DomainError("该日记已关联此事项 (the entry is already linked to this item)")
    if any(i.status != "merged" for i in entry.ledger_items):
        raise DomainError("该日记已在台账中 (this entry is already in the ledger)")
    if actor.role == "cadre" and entry.cadre_id != actor.id:
        raise DomainError("只能关联本人的日记 (a cadre links their own entries only)")
    item.entries.append(entry)
    item.pii = sorted(set(item.pii or []) | set(entry.pii or []) | ({entry.interviewee} if entry.interviewee else set()))
    if len(item.entries) >= 2:
        item.common_need = True
    _record(session, item, "link", actor, f"关联日记 #{entry.id}", before, status, unit_id,
            extra={"entry_id": entry.id})
    return item


@dataclass
class Suggestion:
    item: LedgerItem
    score: float
    same_place: bool
    same_category: bool
    text_similarity: float


# A duplicate shares the category and the township's tree, and its words, not only its place.
DUPLICATE_TEXT_BAR = 0.4


def _subject(subject: LedgerItem | DiaryEntry) -> tuple:
    return subject.org_unit, subject.place_unit_id, subject.place, subject.category, subject.problem


def _place_names(session: Session, unit: OrgUnit, *places: str) -> list[str]:
    area = unit.parent if unit.parent is not None and unit.level == "village" else unit
    names = [u.name for u in session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(area.path)))]
    names += [u.name for u in area.ancestors()]
    # 南荒沟村 is also said 南荒沟
    names += [n[:-1] for n in names if len(n) > 2 and n[-1] in "村乡镇县"]
    return names + [p for p in places if p]


def similarity_of(a: LedgerItem | DiaryEntry, b: LedgerItem) -> Suggestion:
    """How alike two problems are (for the merge confirmation and the suggestion lists)."""
    from sqlalchemy.orm import object_session

    unit, place_unit_id, place, category, text = _subject(a)
    session = object_session(b)
    names = _place_names(session, unit, place, b.place) if session is not None else [place, b.place]
    same_place = bool(place_unit_id and b.place_unit_id == place_unit_id) or bool(
        place and b.place and (place in b.place or b.place in place))
    same_cat = bool(category) and b.category == category
    sim = text_similarity(text, b.problem, names)
    return Suggestion(b, sim, same_place, same_cat, sim)


def suggest_duplicates(session: Session, subject: LedgerItem | DiaryEntry, *, limit: int = 5,
                       threshold: float = DUPLICATE_TEXT_BAR) -> list[Suggestion]:
    """Likely duplicates of an item or entry among live items of the same category in the same
    township (the subject's unit's parent subtree) whose problem text, without place words, is
    alike (ledger.similarity); the same place ranks first among equals."""
    unit, place_unit_id, place, category, text = _subject(subject)
    exclude = {subject.id} if isinstance(subject, LedgerItem) else {i.id for i in subject.ledger_items}
    area = unit.parent if unit.parent is not None and unit.level == "village" else unit
    q = (select(LedgerItem)
         .join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id)
         .where(LedgerItem.status.in_(("open", "in_progress", "escalated", "done", "reopened")),
                LedgerItem.category == (category or "其他"))
         .where(OrgUnit.path.startswith(area.path) | OrgUnit.id.in_([u.id for u in area.ancestors()])))
    out = []
    for cand in session.scalars(q):
        if cand.id in exclude:
            continue
        sug = similarity_of(subject, cand)
        if sug.text_similarity >= threshold:
            out.append(sug)
    out.sort(key=lambda s: (-s.text_similarity, not s.same_place, s.item.id))
    return out[:limit]


def merge(session: Session, duplicate: LedgerItem, target: LedgerItem, actor: User, *,
          reason: str = "", version: Optional[int] = None) -> LedgerItem:
    """A supervisor merges `duplicate` into `target`: its entries move over, it ends 已合并."""
    if duplicate.id == target.id:
        raise DomainError("不能将事项合并到自身 (cannot merge an item into itself)")
    if target.status == "merged":
        raise DomainError("目标事项已合并到其他事项 (the target was itself merged)")
    if target.status not in RULES["merge_in"].sources:
        raise DomainError(
            f"目标事项状态为「{STATUS_LABELS[target.status]}」，不能并入 (cannot merge into a {target.status} item)")
    _require(actor, target, "merge_in")
    before, status, unit_id = _begin(duplicate, "merge", actor, version)
    why = _text(reason, "合并理由", required=False) or f"与 #{target.id} 为同一问题"
    t_before, t_status, t_unit = audit.snapshot(target, _ITEM_FIELDS), target.status, target.org_unit_id
    moved = [e for e in duplicate.entries if e not in target.entries]
    for entry in moved:
        target.entries.append(entry)
    duplicate.entries.clear()
    target.pii = sorted(set(target.pii or []) | set(duplicate.pii or []) |
                        ({duplicate.reporter} if duplicate.reporter else set()))
    for flag in FLAGS:
        if getattr(duplicate, flag):
            setattr(target, flag, True)
    if len(target.entries) >= 2:
        target.common_need = True
    duplicate.status = "merged"
    duplicate.merged_into_id = target.id
    _record(session, duplicate, "merge", actor, why, before, status, unit_id, extra={"into": target.id})
    _record(session, target, "merge_in", actor, f"并入 #{duplicate.id}", t_before, t_status, t_unit,
            extra={"from": duplicate.id, "entries": [e.id for e in moved]})
    return target


# --- triage -------------------------------------------------------------------------


def _outcome(outcome: Optional[str], reason: str) -> tuple[str, str]:
    """已解决, or 部分解决 / 未能解决 with the reason why not (fully)."""
    outcome = (outcome or "已解决").strip()
    if outcome not in OUTCOMES:
        raise DomainError(f"未知的办理结果 {outcome} (unknown outcome)")
    why = _text(reason, "未能完全解决的原因", required=outcome != "已解决", limit=2000)
    return outcome, why if outcome != "已解决" else ""


def solve_now(session: Session, item: LedgerItem, actor: User, result: str, *,
              outcome: Optional[str] = None, outcome_reason: str = "",
              version: Optional[int] = None) -> LedgerItem:
    """快办快结: closed at once with a result (and the villager told of it)."""
    before, status, unit_id = _begin(item, "solve_now", actor, version)
    text = _text(result, "办理结果")
    item.outcome, item.outcome_reason = _outcome(outcome, outcome_reason)
    _require_feedback(item)
    item.result = text
    item.triage = "now"
    item.status = "closed"
    item.closed_at = utcnow()
    _draw_eval_code(session, item)
    _record(session, item, "solve_now", actor, f"{item.outcome}：{item.result}"
            + (f"（{item.outcome_reason}）" if item.outcome_reason else ""), before, status, unit_id)
    return item


def set_deadline(session: Session, item: LedgerItem, actor: User, deadline: dt.date,
                 responsible_unit: str, *, reason: str = "", today: Optional[dt.date] = None,
                 version: Optional[int] = None) -> LedgerItem:
    """限期: a due date and a responsible unit. Moving an existing deadline needs a reason."""
    before, status, unit_id = _begin(item, "set_deadline", actor, version)
    if not isinstance(deadline, dt.date):
        raise DomainError("请填写办理时限 (a deadline is required)")

    if deadline < (today or local_today()):
        raise DomainError("办理时限不能早于今天 (the deadline cannot be in the past)")
    responsible = _text(responsible_unit, "责任单位", limit=128)
    why = _text(reason, "调整时限的理由", required=status == "in_progress")
    item.triage = "deadline"
    item.deadline = deadline
    item.responsible_unit = responsible
    item.status = "in_progress"
    _record(session, item, "set_deadline", actor, why or f"限 {deadline.isoformat()} 前办结，责任单位：{responsible}",
            before, status, unit_id)
    return item


def pending_extension(item: LedgerItem) -> Optional[DeadlineExtension]:
    return next((x for x in item.extensions if x.status == "pending"), None)


def request_extension(session: Session, item: LedgerItem, actor: User, new_deadline: dt.date, reason: str, *,
                      today: Optional[dt.date] = None, version: Optional[int] = None) -> DeadlineExtension:
    """延期: the holder asks for a later deadline, before the deadline passes, with a reason."""
    before, status, unit_id = _begin(item, "request_extension", actor, version)

    today = today or local_today()
    if item.deadline is None:
        raise DomainError("该事项没有办理时限，无需延期 (the item has no deadline)")
    if today > item.deadline:
        raise DomainError("已过办理时限，不能再申请延期 (the deadline has passed; too late to ask for more time)")
    if pending_extension(item) is not None:
        raise DomainError("已有待审批的延期申请 (an extension is already waiting for a decision)")
    if not isinstance(new_deadline, dt.date) or new_deadline <= item.deadline:
        raise DomainError("延期后的时限须晚于原时限 (the new deadline must be later than the current one)")
    why = _text(reason, "延期理由", limit=2000)
    ext = DeadlineExtension(item=item, old_deadline=item.deadline, new_deadline=new_deadline, reason=why,
                            status="pending", requested_by_id=actor.id, requested_at=utcnow())
    session.add(ext)
    _record(session, item, "request_extension", actor, f"申请延期至 {new_deadline.isoformat()}：{why}",
            before, status, unit_id, extra={"new_deadline": new_deadline.isoformat()})
    return ext


def _other_deciders(session: Session, item: LedgerItem, actor: User) -> bool:
    """Anyone else who may decide this item's extension (an active supervisor or admin of the
    deciding unit, or above it)."""
    others = session.scalars(select(User).where(User.active.is_(True), User.id != actor.id,
                                                User.role.in_(("supervisor", "admin")))
                             .join(OrgUnit, OrgUnit.id == User.org_unit_id)
                             .where(OrgUnit.id.in_([u.id for u in [actor.org_unit, *actor.org_unit.ancestors()]])))
    return any(can_decide_extension(u, item) for u in others)


def decide_extension(session: Session, item: LedgerItem, actor: User, approve: bool, note: str = "", *,
                     version: Optional[int] = None) -> DeadlineExtension:
    """The level above approves (the deadline moves; the villager is told the new date) or
    refuses (with a reason) the pending extension."""
    before, status, unit_id = _begin(item, "decide_extension", actor, version)
    ext = pending_extension(item)
    if ext is None:
        raise DomainError("没有待审批的延期申请 (no extension waiting for a decision)")
    why = _text(note, "不同意延期的理由", required=not approve, limit=2000)
    self_decided = ext.requested_by_id == actor.id
    if self_decided and _other_deciders(session, item, actor):
        raise DomainError("延期须由申请人以外的人审批 (another supervisor or admin decides an extension you asked for)")
    if self_decided:  # the county's only decider: allowed, and said so wherever it is read
        why = f"本人审批（无其他审批人）{'：' + why if why else ''}"
    ext.status = "approved" if approve else "refused"
    ext.decided_by_id = actor.id
    ext.decided_at = utcnow()
    ext.decision_note = why
    if approve:
        item.deadline = ext.new_deadline
    text = (f"同意延期至 {ext.new_deadline.isoformat()}" if approve else "不同意延期") + (f"：{why}" if why else "")
    _record(session, item, "decide_extension", actor, text, before, status, unit_id,
            extra={"extension": ext.status, "self_approved": self_decided})
    if approve:
        from ledger import notifications

        notifications.tell_villager_new_deadline(session, item, ext)
    return ext


def escalate(session: Session, item: LedgerItem, actor: User, reason: str, *,
             version: Optional[int] = None) -> LedgerItem:
    """本级解决不了的向上级报告: the item moves to the parent unit's ledger with the reason."""
    before, status, unit_id = _begin(item, "escalate", actor, version)
    parent = item.org_unit.parent
    if parent is None:
        raise DomainError("县级为最高层级，无法再向上报告 (the county is the top level; nowhere to escalate)")
    item.escalation_reason = _text(reason, "上报理由")
    item.triage = "escalate"
    item.org_unit = parent
    item.org_unit_id = parent.id
    item.level = parent.level
    item.status = "escalated"
    _record(session, item, "escalate", actor, item.escalation_reason, before, status, unit_id)
    return item


def accept_escalation(session: Session, item: LedgerItem, actor: User, *, note: str = "",
                      version: Optional[int] = None) -> LedgerItem:
    """The parent takes the escalated item into its own ledger (then triages it)."""
    before, status, unit_id = _begin(item, "accept", actor, version)
    why = _text(note, "受理意见", required=False) or "受理"
    item.status = "open"
    item.triage = None
    _record(session, item, "accept", actor, why, before, status, unit_id)
    return item


def escalation_origin(item: LedgerItem) -> Optional[LedgerTransition]:
    """The escalate transition that brought the item to where it is (escalations not yet
    sent back form a stack)."""
    stack: list[LedgerTransition] = []
    for tr in item.transitions:
        if tr.action == "escalate":
            stack.append(tr)
        elif tr.action == "send_back" and stack:
            stack.pop()
    return stack[-1] if stack else None


def send_back(session: Session, item: LedgerItem, actor: User, guidance: str, *,
              version: Optional[int] = None) -> LedgerItem:
    """Send the escalated item back down to the unit it came from, with guidance; it returns to
    the status it had there."""
    before, status, unit_id = _begin(item, "send_back", actor, version)
    origin = escalation_origin(item)
    if origin is None or origin.to_unit_id != item.org_unit_id:
        raise DomainError("找不到上报来源，无法退回 (no escalation to send back)")
    why = _text(guidance, "指导意见")
    lower = session.get(OrgUnit, origin.from_unit_id)
    item.org_unit = lower
    item.org_unit_id = lower.id
    item.level = lower.level
    item.status = origin.from_status
    item.triage = "escalate" if item.status == "escalated" else ("deadline" if item.status == "in_progress" else None)
    _record(session, item, "send_back", actor, why, before, status, unit_id)
    return item


# --- completion and feedback -----------------------------------------------------------


def _last_index(item: LedgerItem, actions: Iterable[str]) -> int:
    actions = set(actions)
    last = -1
    for i, tr in enumerate(item.transitions):
        if tr.action in actions:
            last = i
    return last


def has_current_feedback(item: LedgerItem) -> bool:
    """A feedback recorded since the item was last reopened."""
    return _last_index(item, ("feedback",)) > _last_index(item, ("reopen",))


def needs_feedback_first(item: LedgerItem) -> bool:
    """A villager's problem whose result cannot be recorded before they were told (shown on
    the item page before the click, not only after a refusal)."""
    return _from_villager(item) and not has_current_feedback(item)


def _require_feedback(item: LedgerItem) -> None:
    if _from_villager(item) and not has_current_feedback(item):
        raise DomainError("该问题由群众反映，办结前须登记反馈情况（如何、何时告知群众）"
                          " (the problem came from a villager: record how and when they were told first)")


def complete(session: Session, item: LedgerItem, actor: User, result: str, *,
             outcome: Optional[str] = None, outcome_reason: str = "",
             version: Optional[int] = None) -> LedgerItem:
    """办结: the result text and outcome (已解决 / 部分解决 / 未能解决 with the reason), and where a
    villager reported it, the feedback to them."""
    before, status, unit_id = _begin(item, "complete", actor, version)
    text = _text(result, "办理结果")
    item.outcome, item.outcome_reason = _outcome(outcome, outcome_reason)
    _require_feedback(item)
    item.result = text
    item.status = "done"
    _record(session, item, "complete", actor, f"{item.outcome}：{item.result}"
            + (f"（{item.outcome_reason}）" if item.outcome_reason else ""), before, status, unit_id)
    return item


FEEDBACK_METHODS = ("当面告知", "电话告知", "村务公开栏", "微信告知", "书面告知")


def record_feedback(session: Session, item: LedgerItem, actor: User, method: str,
                    told_at: dt.datetime, note: str = "", *, version: Optional[int] = None) -> Feedback:
    """反馈: how and when the result was told to the villager."""
    before, status, unit_id = _begin(item, "feedback", actor, version)
    method = _text(method, "反馈方式", limit=32)
    if not isinstance(told_at, dt.datetime):
        if isinstance(told_at, dt.date):
            told_at = dt.datetime.combine(told_at, dt.time(12, 0))
        else:
            raise DomainError("请填写反馈时间 (when the villager was told is required)")
    if told_at > utcnow() + dt.timedelta(days=1):
        raise DomainError("反馈时间不能晚于今天 (the feedback time cannot be in the future)")
    fb = Feedback(item=item, method=method, told_at=told_at, note=_text(note, "反馈说明", required=False),
                  recorded_by_id=actor.id if actor else None)
    session.add(fb)
    _record(session, item, "feedback", actor, f"{method} {told_at:%Y-%m-%d}" + (f"：{fb.note}" if fb.note else ""),
            before, status, unit_id)
    return fb


def close(session: Session, item: LedgerItem, actor: User, note: str = "", *,
          version: Optional[int] = None) -> LedgerItem:
    """销号: a supervisor accepts the result; the item goes public and can be evaluated."""
    before, status, unit_id = _begin(item, "close", actor, version)
    if not item.result.strip():
        raise DomainError("没有办理结果，不能销号 (no result; cannot close)")
    _require_feedback(item)
    why = _text(note, "销号意见", required=False) or "销号"
    item.status = "closed"
    item.closed_at = utcnow()
    _draw_eval_code(session, item)
    _record(session, item, "close", actor, why, before, status, unit_id)
    return item


def reopen(session: Session, item: LedgerItem, actor: Optional[User], reason: str, *,
           version: Optional[int] = None, system: bool = False) -> LedgerItem:
    """Back to work: a supervisor rejects a result, or a villager was dissatisfied (system=True,
    called by ledger.ratings). The item keeps its number; the villager's evaluation code of the
    old result now answers "already used" (or "being worked on"), and closing again draws a new
    one for the new result, void for the old slip."""
    before, status, unit_id = _begin(item, "reopen", actor, version, check_actor=not system)
    why = _text(reason, "重新办理的理由")
    item.status = "reopened"
    item.closed_at = None
    item.triage = None
    item.outcome, item.outcome_reason = "", ""
    _record(session, item, "reopen", actor, why, before, status, unit_id)
    return item


# --- flags, key projects, evaluation history --------------------------------------------


def set_flags(session: Session, item: LedgerItem, actor: User, *, reason: str = "",
              version: Optional[int] = None, **flags: Optional[bool]) -> LedgerItem:
    """共性需求 / 普遍性问题 / 痛点难点 / 历史遗留."""
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise DomainError(f"未知的标记 {sorted(unknown)} (unknown flag)")
    before, status, unit_id = _begin(item, "flag", actor, version)
    changed = []
    for name, value in flags.items():
        if value is not None and bool(value) != getattr(item, name):
            setattr(item, name, bool(value))
            changed.append(("+" if value else "-") + FLAGS[name])
    if not changed:
        raise DomainError("标记没有变化 (no flag changed)")
    _record(session, item, "flag", actor, " ".join(changed) + (f"：{reason.strip()}" if reason.strip() else ""),
            before, status, unit_id)
    return item


def create_key_project(session: Session, name: str, unit: OrgUnit, actor: User) -> KeyProject:
    """重点项目, e.g. 农村饮水管网改造, held by a unit; groups items at or under it."""
    if actor.role not in ("supervisor", "admin") or not unit.is_within(actor.org_unit):
        raise DomainError("您无权在该单位创建重点项目 (you may not create a key project for this unit)")
    project = KeyProject(name=_text(name, "项目名称", limit=128), org_unit=unit)
    session.add(project)
    audit.record(session, "key_project.create", project, actor=actor, after={"name": project.name, "unit": unit.name})
    return project


def assign_key_project(session: Session, item: LedgerItem, project: Optional[KeyProject], actor: User, *,
                       version: Optional[int] = None) -> LedgerItem:
    before, status, unit_id = _begin(item, "key_project", actor, version)
    if project is not None and project.id is None:
        session.flush()
    if project is not None and not item.org_unit.is_within(project.org_unit) and not (
            item.place_unit is not None and item.place_unit.is_within(project.org_unit)):
        raise DomainError("该事项不在重点项目所属单位范围内 (the item lies outside the project's unit)")
    if (project.id if project else None) == item.key_project_id:
        raise DomainError("重点项目没有变化 (the key project is unchanged)")
    item.key_project = project
    item.key_project_id = project.id if project else None
    _record(session, item, "key_project", actor, f"纳入重点项目：{project.name}" if project else "移出重点项目",
            before, status, unit_id)
    return item


def record_evaluation_history(session: Session, item: LedgerItem, actor: Optional[User], rating: str,
                              source: str) -> None:
    """Called by ledger.ratings once an Evaluation row is added (actor None: the public page)."""
    before, status, unit_id = _begin(item, "evaluate", actor, None, check_actor=actor is not None)
    _record(session, item, "evaluate", actor, f"{rating}（{'现场' if source == 'in_person' else '扫码'}评议）",
            before, status, unit_id, extra={"rating": rating, "source": source})


# --- consistency (used by tests and `minxin` checks) ---------------------------------------


def history_problems(item: LedgerItem) -> list[str]:
    """Ways in which the item's history does not explain its current state (empty: consistent)."""
    problems = []
    trs = list(item.transitions)
    if not trs or trs[0].action != "open" or trs[0].from_status is not None:
        problems.append("history does not start with open")
    for prev, tr in zip(trs, trs[1:]):
        if tr.from_status != prev.to_status:
            problems.append(f"transition {tr.id}: from {tr.from_status} but previous ended {prev.to_status}")
        if tr.from_unit_id != prev.to_unit_id:
            problems.append(f"transition {tr.id}: unit jump")
        expected = target_status(tr.action, tr.from_status)
        if expected is None:
            problems.append(f"transition {tr.id}: {tr.action} is illegal from {tr.from_status}")
        elif tr.action != "send_back" and expected != tr.to_status:
            problems.append(f"transition {tr.id}: {tr.action} led to {tr.to_status}, table says {expected}")
    if trs and trs[-1].to_status != item.status:
        problems.append("last transition does not end in the current status")
    if trs and trs[-1].to_unit_id != item.org_unit_id:
        problems.append("last transition does not end in the current unit")
    if item.status not in STATUSES:
        problems.append(f"unknown status {item.status}")
    if item.level != item.org_unit.level:
        problems.append("level differs from the holding unit's level")
    if (item.status == "closed") != (item.closed_at is not None):
        problems.append("closed_at does not match the status")
    if (item.status == "merged") != (item.merged_into_id is not None):
        problems.append("merged_into does not match the status")
    if item.status == "in_progress" and item.deadline is None:
        problems.append("in progress without a deadline")
    if item.status in ("done", "closed") and not item.result.strip():
        problems.append("done or closed without a result")
    origin = escalation_origin(item)
    if item.status == "escalated" and (origin is None or origin.to_unit_id != item.org_unit_id):
        problems.append("escalated without a matching escalation")
    return problems


# --- queries for the ledger screens --------------------------------------------------------


PAGE_SIZE = 50


@dataclass(frozen=True)
class ItemPage:
    """One page of the ledger list; `next_after` is the cursor of the page after it (None: last)."""

    items: list[LedgerItem]
    next_after: Optional[str]


def _cursor(item: LedgerItem) -> str:
    return f"{item.opened_at.isoformat()}_{item.id}"


def parse_cursor(value: str) -> Optional[tuple[dt.datetime, int]]:
    """(opened_at, id) from a cursor; None for anything else (a bad cursor is page one)."""
    return params.cursor(value)  # bounded: a 20-digit id or year 1 is page one, not a 500


def _filtered(q, *, status: str = "", category: str = "", flag: str = "", overdue_on: Optional[dt.date] = None,
              text: str = "", key_project_id: Optional[int] = None, include_merged: bool = False):
    if status:
        q = q.where(LedgerItem.status == status)
    elif not include_merged:
        q = q.where(LedgerItem.status != "merged")
    if category:
        q = q.where(LedgerItem.category == category)
    if flag in FLAGS:
        q = q.where(getattr(LedgerItem, flag).is_(True))
    if overdue_on is not None:
        q = q.where(LedgerItem.status.in_(ACTIVE), LedgerItem.deadline < overdue_on)
    if text.strip():
        like = f"%{text.strip()}%"
        q = q.where(LedgerItem.problem.like(like) | LedgerItem.place.like(like) | LedgerItem.code.like(like))
    if key_project_id:
        q = q.where(LedgerItem.key_project_id == key_project_id)
    return q


def _held_and_sent_up(session: Optional[Session], unit: OrgUnit, overdue_on: Optional[dt.date]):
    """(items held at or under `unit`, items it sent up that are held above now): read-only
    there, so an escalated item does not vanish from the ledger it came from. Overdue is what
    the unit itself must act on (the dashboard's 逾期 counts the same), so it has no second part."""
    ids = scope_ids(session, unit)
    held = select(LedgerItem).where(LedgerItem.org_unit_id.in_(ids))
    if overdue_on is not None:
        return held, None
    sent_up = select(LedgerTransition.item_id).where(
        LedgerTransition.action == "escalate", LedgerTransition.from_unit_id.in_(ids))
    above = select(LedgerItem).where(LedgerItem.id.in_(sent_up), LedgerItem.org_unit_id.not_in(ids))
    return held, above


def _items_query(unit: OrgUnit, session: Optional[Session] = None, **filters):
    """Items held at or under `unit`, and items it sent up that are held above now."""
    held, above = _held_and_sent_up(session, unit, filters.get("overdue_on"))
    where = held.whereclause if above is None else held.whereclause | above.whereclause
    return _filtered(select(LedgerItem).where(where), **filters)


def find_items_page(session: Session, unit: OrgUnit, *, after: str = "", per_page: int = PAGE_SIZE,
                    **filters) -> ItemPage:
    """A page of items held at or under `unit` (and sent up from it), newest first, continuing
    after the cursor `after` (keyset pagination: no OFFSET, so page 2,000 costs what page 1
    does). The two parts are read apart, each along its own index, and merged: an OR of the
    two would leave the planner no index for the order."""
    cursor = parse_cursor(after)
    rows: list[LedgerItem] = []
    for part in _held_and_sent_up(session, unit, filters.get("overdue_on")):
        if part is None:
            continue
        q = _filtered(part, **filters)
        if cursor is not None:
            when, ident = cursor
            # a range on opened_at (an index can serve it), the tie broken by id
            q = q.where(LedgerItem.opened_at <= when, ~((LedgerItem.opened_at == when) & (LedgerItem.id >= ident)))
        newest_first = (LedgerItem.opened_at.desc(), LedgerItem.id.desc())
        if filters.get("overdue_on") is not None:
            # The page's ids first, from the (unit, status, deadline, opened_at, id) index alone:
            # a county's overdue items are a few thousand of a million, which a walk of every
            # item newest first would filter one by one.
            q = select(LedgerItem).where(LedgerItem.id.in_(
                q.with_only_columns(LedgerItem.id).order_by(*newest_first).limit(per_page + 1).scalar_subquery()))
        rows += session.scalars(q.options(selectinload(LedgerItem.org_unit), selectinload(LedgerItem.entries))
                                .order_by(*newest_first).limit(per_page + 1))
    rows.sort(key=lambda r: (r.opened_at, r.id), reverse=True)
    more = len(rows) > per_page
    rows = rows[:per_page]
    return ItemPage(rows, _cursor(rows[-1]) if more and rows else None)


def find_items(session: Session, unit: OrgUnit, *, limit: int = 500, **filters) -> list[LedgerItem]:
    """Items held at or under `unit`, filtered; newest first."""
    q = _items_query(unit, session, **filters)
    return list(session.scalars(q.order_by(LedgerItem.opened_at.desc(), LedgerItem.id.desc()).limit(limit)))


def count_items(session: Session, unit: OrgUnit, **filters) -> int:
    return session.scalar(select(func.count()).select_from(_items_query(unit, session, **filters).subquery())) or 0


def _unlinked(session: Session, user: User, what) -> Select:
    # Per entry, through the link table's index on the entry: not a walk of every link.
    linked = (select(ledger_item_entries.c.diary_entry_id)
              .join(LedgerItem, LedgerItem.id == ledger_item_entries.c.ledger_item_id)
              .where(ledger_item_entries.c.diary_entry_id == DiaryEntry.id, LedgerItem.status != "merged")
              .exists())
    return scope_entries(select(what), user, session).where(DiaryEntry.status == "confirmed", ~linked)


def unlinked_entries(session: Session, user: User, limit: int = 200) -> list[DiaryEntry]:
    """Confirmed entries the user may see that are not in the ledger yet."""
    q = _unlinked(session, user, DiaryEntry)
    return list(session.scalars(q.order_by(DiaryEntry.visit_date.desc(), DiaryEntry.id.desc()).limit(limit)))


def count_unlinked_entries(session: Session, user: User, cap: int = 200) -> int:
    """How many unlinked_entries there are, counted up to `cap` (the list shows no more)."""
    return session.scalar(select(func.count()).select_from(_unlinked(session, user, DiaryEntry.id).limit(cap)
                                                           .subquery())) or 0
