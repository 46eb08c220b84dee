"""the villager's secret evaluation code, apart from the item's number: a new random code for
each closing (closed items get one now, so their villagers can still rate); a user's
must-change-password mark (a one-time password from the admin); the search index (segmented
words per entry, item and transcript; a GIN full-text index on PostgreSQL; SQLite's FTS5 table is
made by search.index when first needed; fill it with `minxin search-reindex`)

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
    op.create_table(
        "search_docs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_docs_kind_ref_id")),
    )
    op.create_index("ix_search_docs_unit_at", "search_docs", ["org_unit_id", "at"])
    op.create_index(op.f("ix_search_docs_owner_id"), "search_docs", ["owner_id"])
    if context.get_context().dialect.name == "postgresql":
        # The full-text index: the words are already segmented, so the 'simple' configuration
        # (lower case, no stemming) is the right one for Chinese.
        op.execute("CREATE INDEX ix_search_docs_words ON search_docs USING gin (to_tsvector('simple', words))")
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
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_docs")
    with op.batch_alter_table("ledger_items") as batch:
        batch.drop_constraint("uq_ledger_items_eval_code", type_="unique")
        batch.drop_column("eval_code")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
