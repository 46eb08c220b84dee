"""Helpers shared by the ledger tests: a fast in-memory database with the demo county, and
confirmed diary entries. (No tests here; the other test_ledger_* modules import from it.)"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from ledger.db import Base
from ledger.models import DiaryEntry, OrgUnit, User
from ledger.demo_county import load as load_demo_county

TODAY = dt.date(2024, 3, 10)

UNITS = load_demo_county().units
PEOPLE = {
    "cadre_a": ("李春生", "cadre", "南荒沟村"),
    "cadre_b": ("王秀英", "cadre", "大古岭村"),
    "cadre_c": ("赵立新", "cadre", "步达远村"),
    "sup_gulouzi": ("孙建国", "supervisor", "古楼子乡"),
    "sup_budayuan": ("周海燕", "supervisor", "步达远镇"),
    "admin": ("刘志强", "admin", "宽甸县"),
}


def build_county(session: Session) -> SimpleNamespace:
    """The demo county with users whose password hash is a placeholder (no scrypt: fast)."""
    units: dict[str, OrgUnit] = {}
    for name, level, parent in UNITS:
        unit = OrgUnit(name=name, level=level, parent=units.get(parent))
        session.add(unit)
        session.flush()
        unit.path = f"{units[parent].path if parent else '/'}{unit.id}/"
        units[name] = unit
    users = {}
    for login, (name, role, unit) in PEOPLE.items():
        users[login] = User(login=login, password_hash="!", display_name=name, role=role, org_unit=units[unit])
        session.add(users[login])
    session.flush()
    return SimpleNamespace(session=session, units=units, users=users)


_TEMPLATE = None  # an in-memory database with the schema and the county, copied for each test


def _engine_from(conn):
    return create_engine("sqlite://", poolclass=StaticPool, creator=lambda: conn)


def memory_session() -> Session:
    """A fresh in-memory database with the schema and the demo county (copied from a template
    built once per process: create_all for every test costs more than the test)."""
    import sqlite3

    global _TEMPLATE
    if _TEMPLATE is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        engine = _engine_from(conn)
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            build_county(s)
            s.commit()
        _TEMPLATE = conn
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    _TEMPLATE.backup(conn)
    conn.execute("PRAGMA foreign_keys=ON")
    return Session(_engine_from(conn), expire_on_commit=False)


def load_county(session: Session) -> SimpleNamespace:
    from sqlalchemy import select

    units = {u.name: u for u in session.scalars(select(OrgUnit))}
    users = {u.login: u for u in session.scalars(select(User))}
    return SimpleNamespace(session=session, units=units, users=users)


@pytest.fixture
def county():
    session = memory_session()
    yield load_county(session)
    session.close()
    session.get_bind().dispose()


def make_entry(session: Session, cadre: User, problem: str, *, place_unit: OrgUnit | None = None,
               place: str = "", interviewee: str = "", category: str = "道路桥梁",
               visit_date: dt.date = TODAY, pii: list[str] | None = None, status: str = "confirmed",
               **extra) -> DiaryEntry:
    entry = DiaryEntry(
        cadre=cadre, org_unit=cadre.org_unit, status=status, visit_date=visit_date,
        place=place, place_unit=place_unit or (cadre.org_unit if cadre.org_unit.level == "village" else None),
        interviewee=interviewee, visit_method="入户走访", problem=problem, category=category,
        pii=pii or [], **extra)
    session.add(entry)
    session.flush()
    return entry
