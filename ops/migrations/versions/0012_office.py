"""the villager's secret evaluation code, apart from the item's number: a new random code for
each closing (closed items get one now, so their villagers can still rate); a user's
must-change-password mark (a one-time password from the admin)

Revision ID: 0012_office
Revises: 0011
"""
from __future__ import annotations

import secrets
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

revision: str = "0012_office"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("ledger_items") as batch:
        batch.add_column(sa.Column("eval_code", sa.String(16), nullable=True))
        batch.create_unique_constraint("uq_ledger_items_eval_code", ["eval_code"])
    if context.is_offline_mode():
        return  # rendered SQL: no rows to read; closed items get their code from `minxin migrate`
    conn = op.get_bind()
    items = sa.table("ledger_items", sa.column("id", sa.Integer), sa.column("status", sa.String),
                     sa.column("eval_code", sa.String))
    for (item_id,) in conn.execute(sa.select(items.c.id).where(items.c.status == "closed")).all():
        code = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        conn.execute(items.update().where(items.c.id == item_id).values(eval_code=code))


def downgrade() -> None:
    with op.batch_alter_table("ledger_items") as batch:
        batch.drop_constraint("uq_ledger_items_eval_code", type_="unique")
        batch.drop_column("eval_code")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
