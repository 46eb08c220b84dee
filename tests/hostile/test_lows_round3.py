"""The lows of issue #30: a live formula in the 三率 CSV, and what a shared computer keeps in its
cache after logout. Each check failed on the code before the fix."""
from __future__ import annotations

import csv
import io

from sqlalchemy import update

from tests.hostile.support import login_client


def test_rates_csv_neutralises_a_unit_named_like_a_formula(app, session, users, org):
    from org.models import OrgUnit

    village = users["cadre_a"].org_unit
    session.execute(update(OrgUnit).where(OrgUnit.id == village.id).values(name='=HYPERLINK("http://x","点")'))
    session.commit()
    admin, _ = login_client(app, "admin")
    resp = admin.get("/dashboard/rates.csv")
    assert resp.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))) for c in row]
    assert any("HYPERLINK" in c for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells if "HYPERLINK" in c), cells
    assert "'=HYPERLINK(" in resp.get_data(as_text=True)


def test_signed_in_pages_exports_and_originals_are_not_cached(app, users, make_capture):
    capture = make_capture(users["cadre_a"])
    cadre, _ = login_client(app, "cadre_a")
    sup, _ = login_client(app, "sup_gulouzi")
    admin, _ = login_client(app, "admin")
    answers = {
        "capture page": cadre.get("/capture/"),
        "capture detail": cadre.get(f"/capture/{capture.id}"),
        "original (cadre)": cadre.get(f"/capture/{capture.id}/files/0"),
        "original (review)": sup.get(f"/review/original/{capture.files[0].id}"),
        "review queue": sup.get("/review/"),
        "ledger": sup.get("/ledger/"),
        "ledger export": sup.get("/ledger/export"),
        "dashboard": admin.get("/dashboard/"),
        "rates.csv": admin.get("/dashboard/rates.csv"),
        "api captures": cadre.get("/api/captures"),
    }
    for name, resp in answers.items():
        assert resp.status_code == 200, (name, resp.status_code)
        assert "no-store" in resp.headers.get("Cache-Control", ""), (name, resp.headers.get("Cache-Control"))
        assert "max-age=3600" not in resp.headers.get("Cache-Control", ""), name
    # What is meant to be cached still is: static files and the public pages are nobody's own.
    anon = app.test_client()
    assert "no-store" not in anon.get("/public/").headers.get("Cache-Control", "")
