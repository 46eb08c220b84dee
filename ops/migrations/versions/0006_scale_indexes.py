"""indexes for province scale: the ledger list, the review queue, deadlines, public pages, the
org-tree prefix on PostgreSQL

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_INDEXES = (
    ("ix_captures_unit_status_received", "captures", ["org_unit_id", "status", "received_at", "id"]),
    ("ix_captures_uploader_received", "captures", ["uploader_id", "received_at"]),
    ("ix_diary_entries_unit_status", "diary_entries", ["org_unit_id", "status"]),
    ("ix_ledger_items_unit_opened", "ledger_items", ["org_unit_id", "opened_at", "id"]),
    ("ix_ledger_items_status_deadline", "ledger_items", ["status", "deadline"]),
    ("ix_ledger_items_place_status", "ledger_items", ["place_unit_id", "status", "closed_at"]),
    ("ix_ledger_transitions_at_action", "ledger_transitions", ["at", "action"]),
    ("ix_ledger_transitions_from_unit_action", "ledger_transitions", ["from_unit_id", "action"]),
)


def upgrade() -> None:
    with op.batch_alter_table("org_units") as batch_op:
        batch_op.drop_index("ix_org_units_path")
    op.create_index("ix_org_units_path_prefix", "org_units", ["path"],
                    postgresql_ops={"path": "varchar_pattern_ops"})
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_org_units_path_prefix", table_name="org_units")
    op.create_index("ix_org_units_path", "org_units", ["path"])
