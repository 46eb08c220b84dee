"""diary entries keep the fields the extractor asks a person to check (review) and their count

Revision ID: 0015_extract
Revises: 0014_privacy
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015_extract"
down_revision: Union[str, Sequence[str], None] = "0014_privacy"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # review NULL: a draft from before calibrated confidence (the old low-confidence rule applies)
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("review_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_diary_entries_review_count"), ["review_count"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("diary_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_entries_review_count"))
        batch_op.drop_column("review_count")
        batch_op.drop_column("review")
