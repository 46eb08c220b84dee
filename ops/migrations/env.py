"""Alembic environment: the models' metadata, batch mode on SQLite (ALTER TABLE is limited there)."""
from __future__ import annotations

from alembic import context

from core.db import Base, import_all_models, make_engine
from core.settings import Settings

import_all_models()  # registers every area's tables on Base.metadata

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    # The URL `minxin init` gives, else the settings' (MINXIN_DATABASE_URL, or the SQLite file of
    # the instance folder, as the app would use).
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
