"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import io

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core import db as models
from core.db import Base, make_engine
from ops.migrate import alembic_config, current_revision, head_revision, upgrade


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


def test_0002_fills_the_lowest_confidence_of_existing_entries(tmp_path):
    """Entries written before 0002 get their lowest field confidence, so the review queue's
    "least confident first" ranks old drafts too."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    command.upgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO org_units (id, name, level, path) VALUES (1, '宽甸县', 'county', '/1/')")
            conn.exec_driver_sql(
                "INSERT INTO users (id, login, password_hash, display_name, role, org_unit_id, active, session_version,"
                " created_at) VALUES (1, 'c', 'x', 'c', 'cadre', 1, 1, 1, '2026-01-01')")
            for i, conf in enumerate(('{"place": 0.4, "problem": 0.9, "pii": 0.1}', '{}', '{"category": 0.75}'), 1):
                conn.exec_driver_sql(
                    "INSERT INTO diary_entries (id, cadre_id, org_unit_id, status, place, interviewee, visit_method,"
                    " problem, solution, reflections, category, pii, confidence, evidence, created_at, updated_at,"
                    f" version) VALUES ({i}, 1, 1, 'draft', '', '', '', '', '', '', '', '[]', '{conf}', '{{}}',"
                    " '2026-01-01', '2026-01-01', 1)")
    finally:
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, min_confidence FROM diary_entries ORDER BY id").all()
        assert rows == [(1, 0.4), (2, 1.0), (3, 0.75)]
    finally:
        engine.dispose()
