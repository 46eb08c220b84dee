"""The states of a ledger item and the labels of its levels, triage and flags. The transitions
between the states are ledger/workflow.py's RULES; deadlines, notifications and exports read
the states from here without importing the workflow."""
from __future__ import annotations

STATUSES = ("open", "in_progress", "escalated", "done", "closed", "reopened", "merged")
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
ACTIVE = ("open", "in_progress", "escalated", "reopened")  # somebody still has to act
ALL_LIVE = ("open", "in_progress", "escalated", "done", "closed", "reopened")
