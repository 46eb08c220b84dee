"""The catalogue of enum labels: every stored enum value (capture and item statuses, levels,
triage, flags, categories, 走访方式, feedback methods, ratings, ledger actions) mapped to the
Chinese label it is shown with, translated through Flask-Babel at the moment it is shown.

The tables themselves stay where the domain defines them (`capture.states`, each area's `models`,
`ledger.workflow`); this module only gathers them so that templates ask one place:
`{{ value|label('category') }}`.
Messages of the domain (`DomainError`) follow the project's convention `中文 (English)`;
`message` shows the part in the user's language.
"""
from __future__ import annotations

import re
from typing import Mapping

from flask import Flask
from flask_babel import get_locale, gettext

from capture.states import IN_RECOGNITION, CaptureStatus
from ledger import workflow
from ledger.models import EVALUATION_RATINGS
from recognize.extract.vocab import CATEGORIES, VISIT_METHODS

CAPTURE_STATUS_LABELS = {
    CaptureStatus.RECEIVED: "已接收",
    CaptureStatus.RECOGNIZING: "识别中",
    CaptureStatus.READY_FOR_REVIEW: "待审核",
    CaptureStatus.CONFIRMED: "已确认",
    CaptureStatus.RETURNED: "已退回",
    CaptureStatus.REJECTED: "已驳回",
    CaptureStatus.FAILED: "失败",
}
CAPTURE_KIND_LABELS = {"audio": "录音", "pages": "笔记照片"}
ENTRY_STATUS_LABELS = {"draft": "草稿", "confirmed": "已确认"}
ROLE_LABELS = {"cadre": "干部", "supervisor": "审核人", "admin": "管理员"}


def _same(values) -> dict:
    """Enums whose stored value is already the Chinese label."""
    return {v: v for v in values}


def tables() -> Mapping[str, Mapping[str, str]]:
    """kind -> {stored value: Chinese label (the msgid)}; read each time so a table a module
    extends (a new status, a new feedback method) shows up without touching this file."""
    return {
        "capture_status": CAPTURE_STATUS_LABELS,
        "capture_kind": CAPTURE_KIND_LABELS,
        "entry_status": ENTRY_STATUS_LABELS,
        "role": ROLE_LABELS,
        "item_status": workflow.STATUS_LABELS,
        "level": workflow.LEVEL_LABELS,
        "triage": workflow.TRIAGE_LABELS,
        "flag": workflow.FLAGS,
        "action": {a: r.label for a, r in workflow.RULES.items()},
        "category": _same(CATEGORIES),
        "visit_method": _same(VISIT_METHODS),
        "feedback_method": _same(workflow.FEEDBACK_METHODS),
        "rating": _same(EVALUATION_RATINGS),
    }


def label(value, kind: str) -> str:
    """The label of `value` in the user's language; an unknown value is shown as stored."""
    if value is None or value == "":
        return ""
    msgid = tables().get(kind, {}).get(value)
    return gettext(msgid) if msgid else str(value)


def choices(kind: str) -> list[tuple[str, str]]:
    """(value, label) pairs of one enum, for <select>s."""
    return [(value, gettext(msgid)) for value, msgid in tables()[kind].items()]


# The English of a domain message: the last parenthesis, ASCII inside, at the end.
_ENGLISH_TAIL = re.compile(r"^(?P<zh>.*?)\s*[(（](?P<en>[\x20-\x7e]+)[)）]\s*$", re.S)


def message(text) -> str:
    """A message written `中文 (English)`: the English part in English mode, the Chinese part in
    Chinese (no English tail on a Chinese page); a message without the convention as it is."""
    text = "" if text is None else str(text)
    m = _ENGLISH_TAIL.match(text)
    if not m:
        return text
    if str(get_locale() or "zh")[:2] == "zh":
        return m.group("zh").strip() or text
    en = m.group("en").strip()
    return en[:1].upper() + en[1:]


def init_app(app: Flask) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(message, "message")
    app.add_template_global(choices, "label_choices")
    # Templates compare a capture's status with the states' own names, never a spelled string.
    app.add_template_global(CaptureStatus, "CaptureStatus")
    app.add_template_global(IN_RECOGNITION, "IN_RECOGNITION")
