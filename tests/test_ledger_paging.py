"""The ledger list pages by keyset (no OFFSET), and scope follows the org tree's materialised
path when a village moves to another township. Run on SQLite here and on PostgreSQL in the
scale group (tests/test_scale_lists.py imports these tests)."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from capture.models import Capture
from core.models import AuditEvent
from ledger.models import LedgerItem


def _items(session, org, n=130):
    base = dt.datetime(2026, 3, 1, 8, 0)
    rows = []
    for i in range(n):
        village = org["南荒沟村"] if i % 2 else org["大古岭村"]
        # three items share each timestamp: the cursor must break ties by id
        rows.append(LedgerItem(code=f"K{i:05d}", org_unit=village, level="village", place_unit=village,
                               problem=f"第{i}件：路灯坏了", status="closed" if i % 5 == 0 else "open",
                               opened_at=base + dt.timedelta(minutes=i // 3), pii=[]))
    session.add_all(rows)
    session.commit()
    return rows


def test_keyset_pages_list_every_item_once_newest_first(session, org):
    from ledger.workflow import find_items_page

    rows = _items(session, org)
    seen, after, pages = [], "", 0
    while True:
        page = find_items_page(session, org["古楼子乡"], after=after, per_page=20)
        seen += page.items
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    expected = sorted(rows, key=lambda r: (r.opened_at, r.id), reverse=True)
    assert [r.id for r in seen] == [r.id for r in expected]
    assert pages == 7
    # a filter pages the same way
    open_ids, after = [], ""
    while True:
        page = find_items_page(session, org["古楼子乡"], after=after, per_page=15, status="open")
        open_ids += [r.id for r in page.items]
        if not page.next_after:
            break
        after = page.next_after
    assert open_ids == [r.id for r in expected if r.status == "open"]
    # a cursor that is not one starts at page one instead of failing
    assert find_items_page(session, org["古楼子乡"], after="garbage", per_page=5).items == expected[:5]


def test_the_overdue_list_pages_the_same_way(session, org):
    from ledger.workflow import find_items_page

    rows = _items(session, org)
    # every third item late (a deadline passed), some of them closed since: not overdue then
    for i, row in enumerate(rows):
        if i % 3 == 0:
            row.deadline = dt.date(2026, 3, 1) + dt.timedelta(days=i % 7)
            row.status = "in_progress" if row.status == "open" else row.status
    session.commit()
    on = dt.date(2026, 3, 5)
    expected = [r.id for r in sorted(rows, key=lambda r: (r.opened_at, r.id), reverse=True)
                if r.status == "in_progress" and r.deadline < on]
    seen, after = [], ""
    while True:
        page = find_items_page(session, org["古楼子乡"], after=after, per_page=7, overdue_on=on)
        seen += [r.id for r in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == expected and len(expected) > 14


def test_ledger_page_links_walk_the_whole_list(session, org, users, login):
    _items(session, org, n=120)
    client = login(users["sup_gulouzi"])
    url, codes, pages = "/ledger/", [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        codes += re.findall(r">(K\d{5})</a>", html)
        nxt = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(codes) == len(set(codes)) == 120
    assert pages == 3  # 50 a page


def test_moving_a_village_moves_everyones_scope(session, org, users, login):
    from ledger.workflow import find_items_page
    from org.scope import scope_captures
    from org.users import move_unit

    village = org["大古岭村"]
    item = LedgerItem(code="MOVE0001", org_unit=village, level="village", place_unit=village,
                      problem="桥栏杆坏了", status="open", pii=[])
    capture = Capture(kind="pages", status="ready_for_review", uploader=users["cadre_b"], org_unit=village,
                      fingerprint="f" * 64)
    session.add_all([item, capture])
    session.commit()

    def sees(user):
        ids = [i.id for i in find_items_page(session, user.org_unit, per_page=500).items]
        caps = session.scalars(scope_captures(select(Capture.id), user)).all()
        return item.id in ids, capture.id in caps

    assert sees(users["sup_gulouzi"]) == (True, True)
    assert sees(users["sup_budayuan"]) == (False, False)

    move_unit(session, village, org["步达远镇"], actor=users["admin"])
    session.commit()
    session.expire_all()
    assert village.path == f"{org['步达远镇'].path}{village.id}/"
    assert sees(users["sup_gulouzi"]) == (False, False)
    assert sees(users["sup_budayuan"]) == (True, True)
    assert sees(users["admin"]) == (True, True)
    assert item.org_unit.is_within(org["步达远镇"]) and not item.org_unit.is_within(org["古楼子乡"])
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "org_unit.move")).one()
    assert event.object_id == village.id
    # and through the app: the old township's supervisor gets 404, the new one the page
    assert login(users["sup_gulouzi"]).get(f"/ledger/item/{item.id}").status_code == 404
    assert login(users["sup_budayuan"]).get(f"/ledger/item/{item.id}").status_code == 200


def test_a_village_cannot_move_under_a_village(session, org):
    import pytest

    from core.errors import DomainError
    from org.users import move_unit

    with pytest.raises(DomainError):
        move_unit(session, org["大古岭村"], org["南荒沟村"])
