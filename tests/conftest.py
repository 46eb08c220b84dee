"""Fixtures that build a fresh app and database for each test."""
from __future__ import annotations

import shutil

import pytest

from ledger import db


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """scrypt with small work factors in tests (still scrypt); production keeps werkzeug's."""
    monkeypatch.setattr("ledger.users.PASSWORD_METHOD", "scrypt:1024:8:1")


@pytest.fixture(autouse=True)
def _no_gc_freeze(monkeypatch):
    """Apps made by CLI commands in tests do not freeze the collector (webapp/gcfreeze.py): each
    would stay in memory for the rest of the run."""
    monkeypatch.setenv("MINXIN_GC_FREEZE", "0")


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A SQLite file brought to the newest schema by the Alembic migrations, once per run;
    each test gets its own copy."""
    from ledger.migrate import upgrade

    path = tmp_path_factory.mktemp("schema") / "migrated.sqlite"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def app(tmp_path, monkeypatch, migrated_db):
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
    from webapp import create_app

    shutil.copyfile(migrated_db, tmp_path / "test.sqlite")

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite'}",
            "DATA_DIR": str(tmp_path / "data"),
            "RECOGNIZER": "fake",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    yield app
    db.db_session.remove()
    app.extensions["minxin.engine"].dispose()


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


PASSWORD = "correct-horse-42"


@pytest.fixture
def session(app):
    """A session of the test's own, apart from the one each request opens and removes."""
    s = db.SessionFactory()
    yield s
    s.close()


@pytest.fixture
def org(session):
    """The demo county: 宽甸县 → 古楼子乡 (南荒沟村, 大古岭村), 步达远镇 (步达远村, 石柱子村)."""
    from ledger.users import add_org_unit

    county = add_org_unit(session, "宽甸县", "county")
    gulouzi = add_org_unit(session, "古楼子乡", "township", county)
    budayuan = add_org_unit(session, "步达远镇", "township", county)
    units = {
        "宽甸县": county,
        "古楼子乡": gulouzi,
        "步达远镇": budayuan,
        "南荒沟村": add_org_unit(session, "南荒沟村", "village", gulouzi),
        "大古岭村": add_org_unit(session, "大古岭村", "village", gulouzi),
        "步达远村": add_org_unit(session, "步达远村", "village", budayuan),
        "石柱子村": add_org_unit(session, "石柱子村", "village", budayuan),
    }
    session.commit()
    return units


@pytest.fixture
def users(session, org):
    """cadre_a (南荒沟村), cadre_b (大古岭村), cadre_c (步达远村), two township supervisors, a county admin."""
    from ledger.users import create_user

    spec = {
        "cadre_a": ("李春生", "cadre", "南荒沟村"),
        "cadre_b": ("王秀英", "cadre", "大古岭村"),
        "cadre_c": ("赵立新", "cadre", "步达远村"),
        "sup_gulouzi": ("孙建国", "supervisor", "古楼子乡"),
        "sup_budayuan": ("周海燕", "supervisor", "步达远镇"),
        "admin": ("刘志强", "admin", "宽甸县"),
    }
    made = {
        login: create_user(session, login, PASSWORD, name, role, org[unit])
        for login, (name, role, unit) in spec.items()
    }
    session.commit()
    return made


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
