"""resumable uploads in the database: the row every app server shares (offset, running chain
hash, chunks, the one writer's lease), the bytes in the shared store (S3 or a shared folder)

Revision ID: 0013_uploads
Revises: 0012_office
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013_uploads"
down_revision: Union[str, Sequence[str], None] = "0012_office"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "resumable_uploads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("writer", sa.String(64), nullable=True),
        sa.Column("writer_since", sa.DateTime(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_resumable_uploads_user_id", "resumable_uploads", ["user_id"])
    op.create_index("ix_resumable_uploads_updated_at", "resumable_uploads", ["updated_at"])
    op.create_index("ix_resumable_uploads_user_sha", "resumable_uploads", ["user_id", "sha256", "size"])


def downgrade() -> None:
    op.drop_table("resumable_uploads")
