"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import io

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ledger import models
from ledger.db import Base, make_engine
from ledger.migrate import alembic_config, current_revision, head_revision, upgrade


def test_upgrade_on_a_fresh_sqlite_file_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables and "alembic_version" in tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_postgresql_sql_renders_offline(tmp_path):
    """The same revision emits PostgreSQL DDL (no server needed to render it)."""
    cfg = alembic_config("postgresql+psycopg://u:p@localhost/minxin")
    out = io.StringIO()
    cfg.output_buffer = out
    command.upgrade(cfg, "head", sql=True)
    sql = out.getvalue()
    for table in models.Base.metadata.tables:
        assert f"CREATE TABLE {table} " in sql
    assert "CREATE INDEX ix_jobs_status_queue ON jobs (status, queue)" in sql
    assert "CONSTRAINT uq_captures_fingerprint UNIQUE (fingerprint)" in sql
