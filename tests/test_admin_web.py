"""People and units on the web (issue 29): the county admin creates a user with a one-time password,
the user must choose their own; reset, deactivate (after a confirmation), re-enable, role and unit;
the org tree; every change audited; another county's admin reaches nothing here."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.models import AuditEvent
from org import users as ops
from org.models import OrgUnit, User
from tests.conftest import PASSWORD


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(client, path, data, page="/admin/users"):
    return client.post(path, data={**data, "csrf_token": _token(client, page)})


def _sign_in(client, login, password):
    client.post("/logout", data={"csrf_token": _token(client, "/login")})
    return client.post("/login", data={"login": login, "password": password, "csrf_token": _token(client, "/login")})


def _actions(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_creates_a_cadre_who_must_change_the_one_time_password(client, session, users, org, login):
    login(users["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "干部" in page and "审核人" in page and ">cadre<" not in page  # roles in Chinese
    assert 'href="/admin/users"' in page  # in the navigation
    resp = _post(client, "/admin/users", {"login": "li_si", "display_name": "李四", "role": "cadre",
                                         "unit": org["南荒沟村"].id})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', resp.get_data(as_text=True)).group(1)
    session.expire_all()
    user = session.scalars(select(User).where(User.login == "li_si")).one()
    assert user.must_change_password and user.role == "cadre" and user.org_unit_id == org["南荒沟村"].id
    assert _actions(session, "user.create")[-1].actor_id == users["admin"].id
    assert password not in client.get("/admin/users").get_data(as_text=True)  # shown once
    # The cadre signs in with it and is held on the password page until they choose their own.
    assert _sign_in(client, "li_si", password).headers["Location"].endswith("/account/password")
    assert client.get("/capture/").headers["Location"].endswith("/account/password")
    resp = _post(client, "/account/password", {"current": password, "new": "x", "repeat": "x"}, "/account/password")
    assert resp.status_code == 400 and "密码至少" in resp.get_data(as_text=True)
    resp = _post(client, "/account/password", {"current": password, "new": PASSWORD, "repeat": PASSWORD},
                 "/account/password")
    assert resp.status_code == 302
    assert client.get("/capture/").status_code == 200  # free to work, still signed in
    session.expire_all()
    assert not session.get(User, user.id).must_change_password
    assert _sign_in(client, "li_si", password).status_code == 401  # the one-time password is spent
    assert _sign_in(client, "li_si", PASSWORD).status_code == 302


def test_a_bad_new_user_keeps_what_was_typed(client, session, users, org, login):
    login(users["admin"])
    resp = _post(client, "/admin/users", {"login": "cadre_a", "display_name": "重名的人", "role": "cadre",
                                         "unit": org["南荒沟村"].id})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "已存在" in html and "重名的人" in html


def test_reset_deactivate_with_confirmation_and_reenable(client, session, users, login):
    victim = users["cadre_b"]
    other = client.application.test_client()
    assert _sign_in(other, "cadre_b", PASSWORD).status_code == 302
    login(users["admin"])
    resp = _post(client, f"/admin/users/{victim.id}/reset", {}, f"/admin/users/{victim.id}")
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', resp.get_data(as_text=True)).group(1)
    assert other.get("/capture/").status_code == 302  # their sessions ended
    session.expire_all()
    assert session.get(User, victim.id).must_change_password
    assert _actions(session, "user.password_reset")
    # Deactivation asks first: the link shows a confirmation, a POST without it deactivates nothing.
    confirm = client.get(f"/admin/users/{victim.id}/deactivate").get_data(as_text=True)
    assert "确认停用" in confirm
    _post(client, f"/admin/users/{victim.id}/deactivate", {}, "/admin/users")
    session.expire_all()
    assert session.get(User, victim.id).active
    _post(client, f"/admin/users/{victim.id}/deactivate", {"confirmed": "1"}, "/admin/users")
    session.expire_all()
    assert not session.get(User, victim.id).active
    assert _sign_in(other, "cadre_b", password).status_code == 401
    login(users["admin"])
    assert "重新启用" in client.get("/admin/users").get_data(as_text=True)
    _post(client, f"/admin/users/{victim.id}/activate", {}, "/admin/users")
    session.expire_all()
    assert session.get(User, victim.id).active
    assert _actions(session, "user.deactivate") and _actions(session, "user.activate")
    assert _sign_in(other, "cadre_b", password).status_code == 302


def test_role_and_unit_change_is_audited_and_ends_sessions(client, session, users, org, login):
    login(users["admin"])
    cadre = users["cadre_c"]
    _post(client, f"/admin/users/{cadre.id}", {"display_name": cadre.display_name, "role": "supervisor",
                                              "unit": org["步达远镇"].id}, f"/admin/users/{cadre.id}")
    session.expire_all()
    u = session.get(User, cadre.id)
    assert (u.role, u.org_unit.name) == ("supervisor", "步达远镇")
    ev = _actions(session, "user.update")[-1]
    assert ev.before["role"] == "cadre" and ev.after["role"] == "supervisor" and "步达远镇" in ev.after["org_unit"]


def test_the_org_tree(client, session, users, org, login):
    login(users["admin"])
    _post(client, "/admin/units", {"parent": org["古楼子乡"].id, "name": "新建村"}, "/admin/units")
    new = session.scalars(select(OrgUnit).where(OrgUnit.name == "新建村")).one()
    assert new.level == "village" and new.parent_id == org["古楼子乡"].id
    _post(client, f"/admin/units/{new.id}/rename", {"name": "新农村"}, "/admin/units")
    _post(client, f"/admin/units/{new.id}/move", {"parent": org["步达远镇"].id}, "/admin/units")
    session.expire_all()
    new = session.get(OrgUnit, new.id)
    assert new.name == "新农村" and new.parent_id == org["步达远镇"].id
    assert new.path.startswith(org["步达远镇"].path)
    # A unit with people cannot vanish; an empty one can.
    resp = _post(client, f"/admin/units/{org['南荒沟村'].id}/remove", {}, "/admin/units")
    assert "还有" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert session.get(OrgUnit, org["南荒沟村"].id) is not None
    new_id = new.id
    _post(client, f"/admin/units/{new_id}/remove", {}, "/admin/units")
    session.expire_all()
    assert session.scalars(select(OrgUnit.id).where(OrgUnit.id == new_id)).first() is None
    assert {e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("org_unit.%")))} >= {
        "org_unit.create", "org_unit.rename", "org_unit.move", "org_unit.remove"}


def test_a_unit_with_live_items_cannot_vanish(session, users, org):
    from ledger import workflow as wf
    from ledger.deadlines import local_today
    from tests.ledger_helpers import make_entry

    village = ops.create_unit(session, users["admin"], "空村", org["古楼子乡"])
    cadre = ops.create_user(session, "kong", PASSWORD, "孔", "cadre", village)
    entry = make_entry(session, cadre, "空村道路冲毁", visit_date=local_today())
    wf.open_item_from_entry(session, entry, cadre)
    with pytest.raises(ops.DomainError, match="在办事项"):
        ops.remove_unit(session, users["admin"], village)


def test_only_the_admin_of_the_county_acts_on_it(client, session, users, org, login):
    other_county = ops.add_org_unit(session, "桓仁县", "county")
    outsider = ops.create_user(session, "hr_admin", PASSWORD, "桓仁管理员", "admin", other_county)
    session.commit()
    login(outsider)
    for path in (f"/admin/users/{users['cadre_a'].id}", f"/admin/users/{users['cadre_a'].id}/deactivate"):
        assert client.get(path).status_code == 404
    for path, data in ((f"/admin/users/{users['cadre_a'].id}/reset", {}),
                       (f"/admin/users/{users['cadre_a'].id}/deactivate", {"confirmed": "1"}),
                       (f"/admin/units/{org['南荒沟村'].id}/rename", {"name": "夺来的村"}),
                       ("/admin/users", {"login": "spy", "display_name": "间谍", "role": "admin",
                                         "unit": org["宽甸县"].id})):
        assert _post(client, path, data).status_code == 404, path
    session.expire_all()
    assert session.get(User, users["cadre_a"].id).active and session.get(OrgUnit, org["南荒沟村"].id).name == "南荒沟村"
    assert session.scalars(select(User).where(User.login == "spy")).first() is None
    login(users["sup_gulouzi"])
    assert client.get("/admin/users").status_code == 403 and client.get("/admin/units").status_code == 403
    # Without the CSRF token nothing happens.
    login(users["admin"])
    assert client.post(f"/admin/users/{users['cadre_a'].id}/reset").status_code == 400


def test_admin_pages_in_english(client, users, login):
    """Bug 10: /admin/users stayed Chinese in English."""
    login(users["admin"])
    client.post("/locale/en", data={"csrf_token": _token(client, "/admin/users")})
    html = client.get("/admin/users").get_data(as_text=True)
    assert "New user" in html and "Create with a one-time password" in html and "用户管理" not in html
    assert "Supervisor" in html or "supervisor" in html.lower()
