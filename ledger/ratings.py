"""群众评议: villagers rate a closed item's result through its secret evaluation code (printed with
a QR code on the feedback slip handed to them; no account), once per code; a cadre can record an
evaluation taken in person. 不满意 reopens the item for the supervisor. The item's number is its
public reference and opens nothing; each closing draws a new evaluation code
(`LedgerItem.eval_code`), good for one evaluation, and a used code says so (and thanks the
villager)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import DomainError
from ledger import workflow
from ledger.models import EVALUATION_RATINGS, Evaluation, LedgerItem
from org.models import User

SATISFIED = ("满意", "基本满意")
DISSATISFIED = "不满意"
CODE_ALPHABET = workflow.CODE_ALPHABET


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:16]


def item_by_eval_code(session: Session, code: str) -> Optional[LedgerItem]:
    """The item whose current evaluation code this is (never by the item's number)."""
    code = normalise_code(code)
    if len(code) < 8 or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return session.scalars(select(LedgerItem).where(LedgerItem.eval_code == code)).first()


def item_by_number(session: Session, number: str) -> Optional[LedgerItem]:
    """The item of a public reference number (for reading how it stands, never for rating)."""
    number = normalise_code(number)
    if not number or any(ch not in CODE_ALPHABET for ch in number):
        return None
    return session.scalars(select(LedgerItem).where(LedgerItem.code == number)).first()


def _last_closing(item: LedgerItem):
    closings = [t.at for t in item.transitions if t.action in ("close", "solve_now")]
    return closings[-1] if closings else None


def public_evaluation_used(item: LedgerItem) -> bool:
    """Whether the code has been used on the current result: an evaluation since the item was
    last closed, through the code or recorded in person (one evaluation per result, however it
    is taken; a reopened item's code stays used until it is closed again)."""
    closed = _last_closing(item)
    if closed is None:
        return False
    return any(e.at >= closed for e in item.evaluations)


def taken_by_responsible(item: LedgerItem, actor: User) -> bool:
    """A cadre of the unit answering for the item (or who wrote its entry) rating its result:
    counted apart from the villagers' own ratings."""
    if actor.role != "cadre":
        return False
    return actor.org_unit_id in (item.org_unit_id, item.place_unit_id) or any(
        e.cadre_id == actor.id for e in item.entries)


def can_evaluate_publicly(item: Optional[LedgerItem]) -> bool:
    return item is not None and item.status == "closed" and not public_evaluation_used(item)


def _check(rating: str, comment: str) -> tuple[str, str]:
    if rating not in EVALUATION_RATINGS:
        raise DomainError("请选择：满意、基本满意或不满意 (choose satisfied, fairly satisfied or dissatisfied)")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise DomainError("意见最多 500 字 (a comment has at most 500 characters)")
    return rating, comment


def _add(session: Session, item: LedgerItem, rating: str, comment: str, source: str,
         actor: Optional[User]) -> Evaluation:
    ev = Evaluation(item=item, rating=rating, comment=comment, source=source,
                    recorded_by_id=actor.id if actor else None, at=utcnow(),
                    by_responsible=actor is not None and taken_by_responsible(item, actor))
    session.add(ev)
    workflow.record_evaluation_history(session, item, actor, rating, source)
    if rating == DISSATISFIED:
        workflow.reopen(session, item, actor, f"群众评议不满意：{comment}" if comment else "群众评议不满意",
                        system=True)
    return ev


def submit_public_evaluation(session: Session, code: str, rating: str, comment: str = "") -> Evaluation:
    """From the public page: one evaluation per code, only for a closed item. The item's
    version column makes a second evaluation racing this one fail at commit."""
    item = item_by_eval_code(session, code)
    if item is None:
        raise DomainError("评议码无效 (unknown evaluation code)")
    if public_evaluation_used(item):
        raise DomainError("此评议码已使用，感谢您的评价 (this code has already been used; thank you)")
    rating, comment = _check(rating, comment)
    if item.status != "closed":
        raise DomainError("该事项尚未办结，暂不能评议 (the item is not closed; it cannot be evaluated yet)")
    return _add(session, item, rating, comment, "public", None)


def record_in_person(session: Session, item: LedgerItem, actor: User, rating: str, comment: str = "", *,
                     version: Optional[int] = None) -> Evaluation:
    """A cadre records an evaluation taken face to face (入户回访): one per result, like the code."""
    rating, comment = _check(rating, comment)
    workflow._begin(item, "evaluate", actor, version)  # legality, rights and version
    if public_evaluation_used(item):
        raise DomainError("该办理结果已评议过一次，不能重复评议 (this result has already been evaluated once)")
    return _add(session, item, rating, comment, "in_person", actor)


def evaluation_url(code: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/public/e/{code}"


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    """The QR code for `data` (the evaluation URL) as PNG bytes."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Satisfaction:
    total: int
    counts: dict[str, int]

    @property
    def rate(self) -> Optional[float]:
        """满意率: (满意 + 基本满意) / all, None when nobody evaluated."""
        if not self.total:
            return None
        return sum(self.counts[r] for r in SATISFIED) / self.total


def satisfaction(evaluations: Iterable[Evaluation | str]) -> Satisfaction:
    """Counts per rating of evaluations (or bare rating strings)."""
    counts = {r: 0 for r in EVALUATION_RATINGS}
    for ev in evaluations:
        rating = ev if isinstance(ev, str) else ev.rating
        counts[rating] = counts.get(rating, 0) + 1
    return Satisfaction(sum(counts.values()), counts)


def latest_rating(item: LedgerItem) -> str:
    return item.evaluations[-1].rating if item.evaluations else ""
