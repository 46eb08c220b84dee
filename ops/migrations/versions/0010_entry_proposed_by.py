"""diary entries record which extractor (the rules or the county's learned model) proposed each field

Revision ID: 0010
Revises: 0007
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_by", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.drop_column("proposed_by")
