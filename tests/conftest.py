"""Fixtures that build a fresh app and database for each test."""
from __future__ import annotations

import pytest

from ledger import db
from ledger.models import Base


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
    from webapp import create_app

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
    Base.metadata.create_all(app.extensions["minxin.engine"])
    yield app
    db.db_session.remove()
    app.extensions["minxin.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()
