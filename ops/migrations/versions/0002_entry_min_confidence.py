"""diary entries keep their lowest field confidence, for the review queue's "least confident first"

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# As in ledger.models.ENTRY_FIELDS when this revision was written (a migration must not
# follow later edits of the models).
_FIELDS = ("visit_date", "visit_time", "place", "interviewee", "visit_method",
           "problem", "solution", "reflections", "category")


def _lowest(confidence) -> float:
    if isinstance(confidence, str):
        confidence = json.loads(confidence or "{}")
    values = [float(v) for k, v in (confidence or {}).items() if k in _FIELDS and v is not None]
    return min(values) if values else 1.0


def upgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_confidence", sa.Float(), server_default="1", nullable=False))
        batch_op.create_index(batch_op.f("ix_diary_entries_min_confidence"), ["min_confidence"], unique=False)
    if op.get_context().as_sql:
        return  # offline SQL renders the DDL only; the backfill needs to read the rows
    conn = op.get_bind()
    entries = sa.table("diary_entries", sa.column("id", sa.Integer), sa.column("confidence", sa.JSON),
                       sa.column("min_confidence", sa.Float))
    for row in conn.execute(sa.select(entries.c.id, entries.c.confidence)).all():
        low = _lowest(row.confidence)
        if low != 1.0:
            conn.execute(entries.update().where(entries.c.id == row.id).values(min_confidence=low))


def downgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_entries_min_confidence"))
        batch_op.drop_column("min_confidence")
