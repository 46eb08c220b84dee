"""Every ledger, dashboard and public page renders for the demo ledger, for each kind of user."""
from __future__ import annotations

from sqlalchemy import select

from ledger.models import LedgerItem
from org.scope import held_by


def test_every_page_renders_on_the_demo_ledger(client, session, org, users, login):
    from ops.demo import seed_ledger

    seed_ledger(session, org, users)
    session.commit()
    items = session.scalars(select(LedgerItem)).all()
    for who in ("admin", "sup_gulouzi", "cadre_a"):
        login(users[who])
        visible = 0
        for path in ("/ledger/", "/ledger/entries", "/ledger/projects", "/ledger/diary", "/ledger/?overdue=1",
                     *(f"/ledger/?unit={u.id}" for u in org.values() if u.is_within(users[who].org_unit))):
            assert client.get(path).status_code == 200, (who, path)
        for item in items:
            resp = client.get(f"/ledger/item/{item.id}")
            assert resp.status_code in (200, 404), (who, item.id)
            if resp.status_code == 200:
                visible += 1
                assert item.code in resp.get_data(as_text=True)
        # Held at or under the user's unit, or held there once (escalated items stay in view).
        expected = sum(1 for i in items if any(u.is_within(users[who].org_unit) for u in held_by(i)))
        assert visible == expected
        assert client.get("/dashboard/").status_code == (403 if who == "cadre_a" else 200)
    for unit in org.values():
        assert client.get(f"/public/{unit.id}").status_code == 200
    closed = [i for i in items if i.status == "closed"]
    assert closed and all(client.get(f"/public/e/{i.eval_code}").status_code == 200 for i in closed)
