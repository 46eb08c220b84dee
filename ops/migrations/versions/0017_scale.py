"""many writers: the audit chain's position and seal (events chained after commit, no global
lock in the write path); transcript corrections in their own table by county (filled from the
``transcript.correct`` audit events so far); the recurring-problem clusters' last result per unit,
worked out in the background; a settled month's dashboard counts per unit; and each ledger item's content words (filled when it opens)

Revision ID: 0017_scale
Revises: 0015_extract
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017_scale"
down_revision: Union[str, Sequence[str], None] = "0015_extract"
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


    op.create_table(
        "transcript_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("piece", sa.Integer(), nullable=False),
        sa.Column("char_start", sa.Integer(), nullable=False),
        sa.Column("before_text", sa.Text(), nullable=False),
        sa.Column("after_text", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["county_id"], ["org_units.id"]),
        sa.ForeignKeyConstraint(["capture_id"], ["captures.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_transcript_corrections_county", "transcript_corrections", ["county_id", "id"])
    _backfill_corrections()
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problem_words", sa.JSON(), nullable=True))
    op.create_table(
        "month_counts",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"]),
        sa.PrimaryKeyConstraint("unit_id", "year", "month"),
    )
    op.create_table(
        "recurring_results",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("clusters", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"]),
        sa.PrimaryKeyConstraint("unit_id"),
    )


def _backfill_corrections() -> None:
    if op.get_context().as_sql:
        return  # offline SQL renders the DDL only; the backfill needs to read the rows
    events = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                      sa.column("actor_id", sa.Integer), sa.column("action", sa.String),
                      sa.column("after", sa.JSON))
    target = sa.table("transcript_corrections", *(sa.column(n) for n in (
        "county_id", "capture_id", "piece", "char_start", "before_text", "after_text", "actor_id", "at")))
    conn = op.get_bind()
    rows = []
    for event in conn.execute(sa.select(events.c.at, events.c.actor_id, events.c.after)
                              .where(events.c.action == "transcript.correct").order_by(events.c.id)):
        after = event.after if isinstance(event.after, dict) else {}
        if not after.get("county_id") or not after.get("before") or not after.get("text"):
            continue
        rows.append({"county_id": after["county_id"], "capture_id": after.get("capture_id"),
                     "piece": after.get("piece") or 0, "char_start": after.get("char_start") or 0,
                     "before_text": after["before"], "after_text": after["text"],
                     "actor_id": event.actor_id, "at": event.at})
    if rows:
        conn.execute(target.insert(), rows)


def downgrade() -> None:
    op.drop_table("recurring_results")
    op.drop_table("month_counts")
    with op.batch_alter_table("ledger_items", schema=None) as batch_op:
        batch_op.drop_column("problem_words")
    op.drop_index("ix_transcript_corrections_county", table_name="transcript_corrections")
    op.drop_table("transcript_corrections")
    op.drop_index("ix_audit_events_unchained", table_name="audit_events")
    op.drop_index("ix_audit_events_seq", table_name="audit_events")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("seal")
        batch_op.drop_column("seq")
