"""item_publications: the supervisor-approved public text of a ledger item

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "item_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("masks", sa.JSON(), nullable=False),
        sa.Column("source_digest", sa.String(length=64), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["ledger_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item_publications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_publications_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_publications_item_id"))
    op.drop_table("item_publications")
