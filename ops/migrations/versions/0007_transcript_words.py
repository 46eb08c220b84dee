"""transcript pieces keep their words (timing, probability, flag, corrections)

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable: transcripts stored before words were kept (and page lines) have none.
    with op.batch_alter_table("transcript_pieces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("words", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transcript_pieces", schema=None) as batch_op:
        batch_op.drop_column("words")
