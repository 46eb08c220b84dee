"""indexes for the county dashboard and the ledger list at province scale: a unit's live items by
status and deadline (逾期, 到期提醒, 督办, the overdue list), its items' versions (the recurring
problems' fingerprint), a unit's history by action and time (the month's counts and 三率), and
the links of a diary entry (entries not in the ledger yet)

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Each holds every column its queries read, so PostgreSQL answers from the index alone.
_INDEXES = (
    ("ix_ledger_items_unit_status_deadline", "ledger_items", ["org_unit_id", "status", "deadline", "opened_at", "id"]),
    ("ix_ledger_items_unit_version", "ledger_items", ["org_unit_id", "version", "id"]),
    ("ix_ledger_transitions_to_unit_action_at", "ledger_transitions", ["to_unit_id", "action", "at"]),
    ("ix_ledger_item_entries_diary_entry_id", "ledger_item_entries", ["diary_entry_id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
