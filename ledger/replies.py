"""Reply templates per outcome (已解决 / 部分解决 / 未能解决): the county's wording of what the
villager is told, prefilled into the feedback form and editable by the county admin.

The shipped wording lives in ledger/reply_templates.json; an edited one is a ReplyTemplate row
(audited). Placeholders: {problem} {result} {reason} {unit} {code} ({code} is the item's number,
the public reference; the villager's evaluation code is printed only on the feedback slip).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.clock import utcnow
from core.errors import DomainError
from ledger.models import OUTCOMES, LedgerItem, ReplyTemplate
from org.models import User

_DEFAULTS = Path(__file__).with_name("reply_templates.json")
GAP = "……"


def defaults() -> dict[str, str]:
    return json.loads(_DEFAULTS.read_text(encoding="utf-8"))


def templates(session: Session) -> dict[str, str]:
    out = defaults()
    for row in session.scalars(select(ReplyTemplate)):
        out[row.outcome] = row.text
    return out


def save_template(session: Session, outcome: str, text: str, actor: User) -> ReplyTemplate:
    """The county edits the wording for one outcome."""
    if actor.role != "admin" or actor.org_unit.parent_id is not None:
        raise DomainError("只有县级管理员可以修改答复模板 (only the county admin edits reply templates)")
    if outcome not in OUTCOMES:
        raise DomainError(f"未知的办理结果 {outcome} (unknown outcome)")
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise DomainError("请填写答复模板（最多 2000 字） (a template of at most 2000 characters is required)")
    row = session.scalars(select(ReplyTemplate).where(ReplyTemplate.outcome == outcome)).first()
    before = {"text": row.text if row else defaults().get(outcome, "")}
    if row is None:
        row = ReplyTemplate(outcome=outcome, text=text)
        session.add(row)
    row.text, row.updated_by_id, row.updated_at = text, actor.id, utcnow()
    audit.record(session, "reply_template.save", row, actor=actor, before=before, after={"outcome": outcome, "text": text})
    return row


def render(session: Session, item: LedgerItem, outcome: Optional[str] = None) -> str:
    """The reply for the item's outcome, filled in."""
    outcome = outcome or item.outcome or "已解决"
    text = templates(session).get(outcome, "")
    # Feedback is often recorded before the result is written: a gap shows where to fill in.
    values = {"problem": item.problem, "result": item.result or GAP, "reason": item.outcome_reason or GAP,
              "unit": item.org_unit.name, "code": item.code}
    try:
        return _fill(text, values)
    except (KeyError, IndexError, ValueError):
        return text  # a county's template with a stray brace is shown as written


_STOPS = "。．.！!？?；;，,、"
_PLACEHOLDER = re.compile(r"\{(\w+)\}(?=([%s]?))" % re.escape(_STOPS))


def _fill(text: str, values: dict[str, str]) -> str:
    """str.format, except that a value ending in a stop right before the template's own stop
    drops its own ("完工。" in "{result}。" gives "完工。", not "完工。。")."""
    formatted = text.format(**values)  # a stray brace or an unknown name raises as before
    if "{{" in text or "}}" in text:
        return formatted  # escaped braces: leave str.format's answer alone

    def one(m: re.Match) -> str:
        value = str(values[m.group(1)])
        return value.rstrip(_STOPS) if m.group(2) else value
    return _PLACEHOLDER.sub(one, text)
