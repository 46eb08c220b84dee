"""Engine and session handling shared by the web app, the embedded worker and Celery workers."""
from __future__ import annotations

import importlib
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, scoped_session, sessionmaker

# Named constraints, so later migrations can alter them on PostgreSQL and in SQLite batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Each area keeps its tables beside it; their relationships name each other by string, so every
# area's models must be loaded before the first query. Loading them by name keeps core/ below
# the areas in the import graph (Indico's import_all_models does the same).
MODEL_MODULES = ("org.models", "capture.models", "diary.models", "ledger.models", "jobs.models", "core.models",
                 "search.models",
                 "capture.states",  # the states module's guard listeners go with the tables they guard
                 "search.index")  # the listener that keeps the search index current on every flush


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)


@event.listens_for(Mapper, "before_configured")
def _load_every_area() -> None:
    # Whatever query or loader option configures the mappers first, every table is known then.
    import_all_models()


# One scoped session per thread; the web app removes it at the end of each request,
# worker threads at the end of each job.
SessionFactory = sessionmaker(expire_on_commit=False)
db_session = scoped_session(SessionFactory)


def make_engine(url: str, **kwargs) -> Engine:
    import_all_models()
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the review screen read while the worker writes; foreign keys
            # are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def bind(engine: Engine) -> None:
    db_session.remove()
    SessionFactory.configure(bind=engine)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A fresh session for background work: committed on success, rolled back on error."""
    session = SessionFactory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
