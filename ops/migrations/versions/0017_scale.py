"""many writers: the audit chain's position and seal (events chained after commit, no global
lock in the write path)

Revision ID: 0017_scale
Revises: 0011
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017_scale"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
    # Events so far were chained in order of id (ids were drawn under the chain lock).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE audit_events SET seq = r.n FROM "
                   "(SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events) AS r "
                   "WHERE audit_events.id = r.id")
    else:
        op.execute("UPDATE audit_events SET seq = (SELECT count(*) FROM audit_events AS a "
                   "WHERE a.id <= audit_events.id)")
    op.create_index("ix_audit_events_seq", "audit_events", ["seq"], unique=True)
    op.create_index("ix_audit_events_unchained", "audit_events", ["id"],
                    postgresql_where=sa.text("seq IS NULL"), sqlite_where=sa.text("seq IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_audit_events_unchained", table_name="audit_events")
    op.drop_index("ix_audit_events_seq", table_name="audit_events")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("seal")
        batch_op.drop_column("seq")
