"""Fixtures that build a fresh app and database for each test, the Flask-tutorial way.

The schema is the one the Alembic migrations build (as in production), made once per run into
a template SQLite file that each test copies. The demo county, its places and people, comes
from ops/demo_county.toml: `org` and `users` create it through the real functions in a
test's app, `county` is a copy of a template that already holds it (for the ledger's service
tests, which need no app).
"""
from __future__ import annotations

import itertools
import shutil
import sqlite3
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from core import db
from ops.demo_county import load as load_demo_county
from org.models import OrgUnit, User

PASSWORD = "correct-horse-42"

# The tests' cast: six of the demo county's people (name, role, unit from the data file) under
# the short logins the tests were written with; 石柱子村's cadre is left out.
CAST = {
    "cadre_a": "cadre_nhg",
    "cadre_b": "cadre_dgl",
    "cadre_c": "cadre_bdy",
    "sup_gulouzi": "sup_glz",
    "sup_budayuan": "sup_bdy",
    "admin": "admin_kd",
}


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """scrypt with small work factors in tests (still scrypt); production keeps werkzeug's."""
    monkeypatch.setattr("org.users.PASSWORD_METHOD", "scrypt:1024:8:1")


@pytest.fixture(autouse=True)
def _no_gc_freeze(monkeypatch):
    """Apps made by CLI commands in tests do not freeze the collector (webapp/gcfreeze.py): each
    would stay in memory for the rest of the run."""
    monkeypatch.setenv("MINXIN_GC_FREEZE", "0")


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A SQLite file brought to the newest schema by the Alembic migrations, once per run;
    each test gets its own copy."""
    from ops.migrate import upgrade

    path = tmp_path_factory.mktemp("schema") / "migrated.sqlite"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, monkeypatch, migrated_db):
    """make_app(**settings): an app on a fresh copy of the migrated database in the test's
    folder, with the test settings plus `settings`; closed after the test."""
    from webapp import create_app

    made = []
    names = (f"test-{n}.sqlite" if n else "test.sqlite" for n in itertools.count())

    def _make(**settings):
        monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
        path = tmp_path / next(names)
        shutil.copyfile(migrated_db, path)
        config = {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "DATA_DIR": str(tmp_path / "data"),
            "RECOGNIZER": "fake",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
        app = create_app(config | settings)
        made.append(app)
        return app

    yield _make
    db.db_session.remove()
    for app in made:
        app.extensions["minxin.engine"].dispose()


@pytest.fixture
def app_settings():
    """Settings the test app adds to the test settings; a module overrides this fixture."""
    return {}


@pytest.fixture
def app(make_app, app_settings):
    return make_app(**app_settings)


def pytest_terminal_summary(terminalreporter):
    """The counts the hostile suites report (tests/hostile/counts.py): bad inputs, faults,
    permission cells."""
    from tests.hostile.counts import summary_lines

    lines = summary_lines()
    if lines:
        terminalreporter.section("hostile inputs, faults and permissions")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """A session of the test's own, apart from the one each request opens and removes."""
    s = db.SessionFactory()
    yield s
    s.close()


@pytest.fixture
def org(session):
    """The demo county's units by name: 宽甸县 → 古楼子乡 (南荒沟村, 大古岭村), 步达远镇 (步达远村,
    石柱子村), created through add_org_unit."""
    from ops.demo import add_demo_units

    units = add_demo_units(session)
    session.commit()
    return units


@pytest.fixture
def users(session, org):
    """The cast by test login: cadre_a (南荒沟村), cadre_b (大古岭村), cadre_c (步达远村), two
    township supervisors, a county admin; created through create_user, password PASSWORD."""
    from org.users import create_user

    county = load_demo_county()
    made = {}
    for login, demo_login in CAST.items():
        person = county.person(demo_login)
        made[login] = create_user(session, login, PASSWORD, person.name, person.role, org[person.unit])
    session.commit()
    return made


def _write_county(session: Session) -> None:
    """The demo county and the cast straight into the tables: no audit events, and a password
    hash no password matches (no scrypt), as the ledger's service tests need nothing more."""
    county = load_demo_county()
    units: dict = {}
    for unit in county.units:
        row = OrgUnit(name=unit.name, level=unit.level, parent=units.get(unit.parent))
        session.add(row)
        session.flush()
        row.path = f"{units[unit.parent].path if unit.parent else '/'}{row.id}/"
        units[unit.name] = row
    for login, demo_login in CAST.items():
        person = county.person(demo_login)
        session.add(User(login=login, password_hash="!", display_name=person.name, role=person.role,
                         org_unit=units[person.unit]))
    session.flush()


@pytest.fixture(scope="session")
def county_db(migrated_db, tmp_path_factory):
    """The migrated template with the demo county and the cast in it, once per run."""
    path = tmp_path_factory.mktemp("county") / "county.sqlite"
    shutil.copyfile(migrated_db, path)
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as s:
            _write_county(s)
            s.commit()
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="session")
def new_county(county_db):
    """new_county() -> a namespace (session, units by name, users by test login) on a fresh
    copy of the county template; the caller closes its session and engine (the `county` fixture
    does). Session-scoped so a Hypothesis test can take one per example.

    The copy is in memory (SQLite's backup API): one session and no app need no file, and a file
    per test made these tests slower than the create_all database they replaced."""
    template = sqlite3.connect(str(county_db), check_same_thread=False)

    def _new():
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        template.backup(conn)
        engine = db.make_engine("sqlite://", poolclass=StaticPool, creator=lambda: conn)
        session = Session(engine, expire_on_commit=False)
        units = {u.name: u for u in session.scalars(select(OrgUnit))}
        users = {u.login: u for u in session.scalars(select(User))}
        return SimpleNamespace(session=session, units=units, users=users)

    yield _new
    template.close()


@pytest.fixture
def county(new_county):
    """The demo county in a database of the test's own, with no app: county.session,
    county.units (by name), county.users (by test login)."""
    c = new_county()
    yield c
    c.session.close()
    c.session.get_bind().dispose()


@pytest.fixture
def login(client):
    """login(user) signs the test client in through the real login form."""

    def _login(user):
        client.post("/logout")
        resp = client.get("/login")
        token = _csrf_from(resp.get_data(as_text=True))
        resp = client.post("/login", data={"login": user.login, "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client

    return _login


def _csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture
def csrf_token(client):
    """csrf_token(path) fetches a page and returns the CSRF token in it."""

    def _token(path="/login"):
        return _csrf_from(client.get(path).get_data(as_text=True))

    return _token


# --- media made on the fly (no binary fixtures in the repo) -----------------------------------


class Media:
    """Small valid (and deliberately broken) files of the kinds intake accepts."""

    @staticmethod
    def wav(seconds: float = 0.5, tone: int = 1) -> bytes:
        import io
        import math
        import struct
        import wave

        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            n = int(16000 * seconds)
            w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i * 0.05 * tone))) for i in range(n)))
        return buf.getvalue()

    @staticmethod
    def image(fmt: str = "PNG", size=(64, 48), color=(250, 250, 240), text: str = "", exif_time: str = "") -> bytes:
        import io

        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        img = Image.new("RGB", size, color)
        buf = io.BytesIO()
        kwargs = {}
        if text and fmt == "PNG":
            info = PngInfo()
            info.add_text("note", text)
            kwargs["pnginfo"] = info
        if exif_time:
            exif = Image.Exif()
            exif.get_ifd(0x8769)[36867] = exif_time
            kwargs["exif"] = exif
        img.save(buf, fmt, **kwargs)
        return buf.getvalue()


@pytest.fixture
def media():
    return Media


@pytest.fixture
def storage(app):
    from capture.storage import get_storage

    return get_storage(app.config)


@pytest.fixture
def make_capture(session, storage):
    """make_capture(user, files=None) -> a Capture ingested through the real intake."""
    from capture.intake import ingest

    counter = {"n": 0}

    def _make(user, files=None, **kwargs):
        counter["n"] += 1
        files = files or [(f"memo{counter['n']}.wav", Media.wav(0.2, tone=counter["n"]))]
        return ingest(session, storage, user, files, **kwargs)

    return _make
