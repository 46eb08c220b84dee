"""The org tree and who may see what: pages, originals and the API all follow ledger.scope."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from capture.models import Capture
from jobs import operations as jobs
from org.models import OrgUnit
from org.scope import can_see_capture, scope_captures, unit_ids_under


def test_org_tree_paths_and_containment(session, org):
    county, gulouzi, village = org["宽甸县"], org["古楼子乡"], org["南荒沟村"]
    assert county.path == f"/{county.id}/" and village.path == f"/{county.id}/{gulouzi.id}/{village.id}/"
    assert village.is_within(gulouzi) and village.is_within(county) and village.is_within(village)
    assert not village.is_within(org["步达远镇"]) and not gulouzi.is_within(village)
    assert village.full_name == "宽甸县古楼子乡南荒沟村"
    assert [u.name for u in village.ancestors()] == ["古楼子乡", "宽甸县"]
    assert org["石柱子村"].parent.name == "步达远镇"
    under = set(session.scalars(select(OrgUnit.name).where(OrgUnit.id.in_(unit_ids_under(gulouzi)))))
    assert under == {"古楼子乡", "南荒沟村", "大古岭村"}


def test_adding_a_unit_twice_returns_the_same_unit(session, org):
    from core.errors import DomainError
    from org.users import add_org_unit

    assert add_org_unit(session, "南荒沟村", "village", org["古楼子乡"]).id == org["南荒沟村"].id
    with pytest.raises(DomainError):
        add_org_unit(session, "某某组", "group", org["南荒沟村"])


@pytest.fixture
def captures(session, users, make_capture):
    """One capture by each cadre: 南荒沟村 (古楼子乡), 大古岭村 (古楼子乡), 步达远村 (步达远镇)."""
    made = {login: make_capture(users[login]) for login in ("cadre_a", "cadre_b", "cadre_c")}
    for c in made.values():
        jobs.enqueue_recognition(session, c)
        jobs.run_job(c.jobs[0].id, "w1")
    session.expire_all()
    return made


VISIBLE = {
    "cadre_a": {"cadre_a"},
    "cadre_b": {"cadre_b"},
    "cadre_c": {"cadre_c"},
    "sup_gulouzi": {"cadre_a", "cadre_b"},
    "sup_budayuan": {"cadre_c"},
    "admin": {"cadre_a", "cadre_b", "cadre_c"},
}


@pytest.mark.parametrize("viewer", sorted(VISIBLE))
def test_scope_rules_match_for_queries_and_checks(session, users, captures, viewer):
    user = users[viewer]
    listed = set(session.scalars(scope_captures(select(Capture.id), user)))
    expected = {captures[o].id for o in VISIBLE[viewer]}
    assert listed == expected
    for owner, capture in captures.items():
        assert can_see_capture(user, capture) == (owner in VISIBLE[viewer])


@pytest.mark.parametrize("viewer", sorted(VISIBLE))
def test_pages_api_and_originals_are_scoped(client, login, users, captures, viewer):
    login(users[viewer])
    for owner, capture in captures.items():
        allowed = owner in VISIBLE[viewer]
        expected = 200 if allowed else 404
        assert client.get(f"/capture/{capture.id}").status_code == expected, (viewer, owner)
        assert client.get(f"/api/captures/{capture.id}").status_code == expected, (viewer, owner)
        assert client.get(f"/capture/{capture.id}/files/0").status_code == expected, (viewer, owner)
    listed = {c["id"] for c in client.get("/api/captures").get_json()["captures"]}
    assert listed == {captures[o].id for o in VISIBLE[viewer]}


def test_cadre_list_page_shows_only_own(client, login, users, captures):
    login(users["cadre_b"])
    page = client.get("/capture/").get_data(as_text=True)
    assert f'/capture/{captures["cadre_b"].id}"' in page
    assert f'/capture/{captures["cadre_a"].id}"' not in page


def test_review_queue_is_scoped_to_the_township(client, login, users, captures):
    login(users["sup_budayuan"])
    page = client.get("/review/").get_data(as_text=True)
    assert f'/review/{captures["cadre_c"].id}"' in page
    assert f'/review/{captures["cadre_a"].id}"' not in page
    login(users["cadre_a"])
    assert client.get("/review/").status_code == 403


def test_original_download_returns_the_stored_bytes(client, login, users, session, make_capture, media):
    data = media.wav(0.3, tone=7)
    capture = make_capture(users["cadre_a"], [("memo.wav", data)])
    login(users["cadre_a"])
    resp = client.get(f"/capture/{capture.id}/files/0")
    assert resp.status_code == 200 and resp.data == data and resp.mimetype == "audio/wav"
    assert client.get(f"/capture/{capture.id}/files/5").status_code == 404
