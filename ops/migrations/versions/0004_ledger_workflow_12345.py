"""the 12345 workflow: outcomes, deadline extensions (延期), the notification log (催办/督办),
reply templates per outcome

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("outcome_reason", sa.Text(), server_default="", nullable=False))

    op.create_table(
        "deadline_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("old_deadline", sa.Date(), nullable=False),
        sa.Column("new_deadline", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ledger_items.id"], name=op.f("fk_deadline_extensions_item_id_ledger_items")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_deadline_extensions_requested_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_deadline_extensions_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_extensions")),
    )
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_extensions_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deadline_extensions_status"), ["status"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["ledger_items.id"], name=op.f("fk_notifications_item_id_ledger_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_at"), ["at"], unique=False)

    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_reply_templates_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
        sa.UniqueConstraint("outcome", name=op.f("uq_reply_templates_outcome")),
    )


def downgrade() -> None:
    op.drop_table("reply_templates")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_key"))
        batch_op.drop_index(batch_op.f("ix_notifications_item_id"))
    op.drop_table("notifications")
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_status"))
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_item_id"))
    op.drop_table("deadline_extensions")
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.drop_column("outcome_reason")
        batch_op.drop_column("outcome")
