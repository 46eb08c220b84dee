"""The states of a ledger item and the labels of its levels, triage and flags. The transitions
between the states are ledger/workflow.py's RULES; deadlines, notifications and exports read
the states from here without importing the workflow."""
from __future__ import annotations

import enum


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    DONE = "done"
    CLOSED = "closed"
    REOPENED = "reopened"
    MERGED = "merged"


S = ItemStatus
STATUSES = tuple(ItemStatus)
STATUS_LABELS = {
    "open": "待办理",
    "in_progress": "限期办理中",
    "escalated": "已上报待受理",
    "done": "已办结待销号",
    "closed": "已销号",
    "reopened": "重新办理",
    "merged": "已合并",
}
LEVEL_LABELS = {"village": "村级", "township": "乡级", "county": "县级"}
TRIAGE_LABELS = {"now": "快办快结", "deadline": "限期办结", "escalate": "向上级报告"}
FLAGS = {
    "common_need": "共性需求",
    "widespread": "普遍性问题",
    "pain_point": "痛点难点",
    "legacy": "历史遗留",
}
ACTIVE = (S.OPEN, S.IN_PROGRESS, S.ESCALATED, S.REOPENED)  # somebody still has to act
ALL_LIVE = (S.OPEN, S.IN_PROGRESS, S.ESCALATED, S.DONE, S.CLOSED, S.REOPENED)
