"""privacy_words: the names and the not-names a county's supervisors taught the redactor

Revision ID: 0014_privacy
Revises: 0013_uploads
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_privacy"
down_revision: Union[str, Sequence[str], None] = "0013_uploads"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "privacy_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["org_units.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["ledger_items.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_words", schema=None) as batch_op:
        batch_op.create_index("ix_privacy_words_county_word", ["county_id", "word"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("privacy_words", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_words_county_word")
    op.drop_table("privacy_words")
