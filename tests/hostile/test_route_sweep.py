"""Property (issue #30): hostile values sent to every route and form, signed in as each role and
as nobody, on SQLite and on PostgreSQL, are never answered with a 500.

The routes come from `app.url_map`; the parameter names from the code and the templates (every
`args/form.get("…")` and every form field `name="…"`), so a new route or field is swept without
editing this file. First a walk: every rule and method, as every role, with each hostile value in
the path and in every parameter at once; then Hypothesis draws routes, roles and values
(integers past 64 bits, '²', 1e999, NaN, dates of year 1 and 9999, JSON of the wrong shape,
NUL, bidi controls, long text) and mixes them. Prints "route sweep (<db>): N requests, M
answered 500"."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import got_request_exception
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scale_services import pg_url  # noqa: F401 - fixture (PostgreSQL, a database of its own)
from tests.hostile.support import login_client

ROOT = Path(__file__).resolve().parents[2]
HUGE = "99999999999999999999"
HOSTILE = [HUGE, "-" + HUGE, "²", "1e999", "NaN", "-1", "0", "", "\x00", "a\u202eb", "0001-01-01T00:00",
           "9999-12-31T23:59-12:00", "2024-13-45", "0000-00", "2024-01-01T00:00:00_" + HUGE, "[1,2]",
           '{"problem":[[0,1e999]]}', '[{"a":1}]', "' OR 1=1 --", "<script>x</script>", "=1+1", "x" * 3000]
JSON_BODIES = [[1, 2], "abc", 5, None, {"piece": HUGE, "char_start": 1e300, "char_end": -1, "text": "\x00"},
               {"uploads": [HUGE], "visit_date": "0001-01-01"}, {"name": "a", "size": 2**70, "sha256": "x"},
               {"masks": {"problem": [[0, 1e300]]}}, {"a": {"b": [None, True, 1.5]}}]
SKIP = {"auth.logout", "static"}  # signing out and static files change nothing worth sweeping
# An admin's actions on a user that end that user's sessions (the sweep's own users are small ids).
ENDS_SESSIONS = {"auth.deactivate_user", "auth.reset_password", "auth.edit_user"}
ROLES = (None, "cadre_a", "sup_gulouzi", "admin")


def _names() -> list[str]:
    found = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        found |= set(re.findall(r'(?:args|form|values|data|\bf|body)\.get(?:list)?\("([a-z_0-9]+)"', path.read_text()))
    for path in (ROOT / "webapp" / "templates").rglob("*.html"):
        found |= set(re.findall(r'name="([a-z_0-9]+)"', path.read_text()))
    return sorted(found - {"csrf_token", "login", "password"}) + ["township", "village", "year", "fmt"]


NAMES = _names()


@pytest.fixture(params=["sqlite", "postgresql"])
def app_settings(request):
    settings_ = {"RATELIMIT_ENABLED": False}
    if request.param == "postgresql":
        from ops.migrate import upgrade

        url = request.getfixturevalue("pg_url")
        upgrade(url)
        settings_["DATABASE_URL"] = url
    return settings_


class Sweep:
    def __init__(self, app, users, ids):
        self.app = app
        app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is answered 500, and counted
        self.clients = {None: (app.test_client(), "")}
        for role in ROLES[1:]:
            self.clients[role] = login_client(app, role)
        self.ids = ids
        self.requests = 0
        self.crashes: list[str] = []
        self.rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP]
        got_request_exception.connect(self._crashed, app)

    def _crashed(self, sender, exception, **_kw):
        self.crashes.append(f"{type(exception).__name__}: {exception}"[:300])

    def url(self, rule, value) -> str:
        values = {}
        for arg in rule._converters:
            values[arg] = value if value != "" else "x"
        path = rule.rule
        for arg, v in values.items():
            path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{arg}>", str(v).replace("/", "%2F").replace("?", "%3F")
                          .replace("#", "%23") or "x", path)
        return path

    def send(self, role, rule, method, path, query: dict, form: dict, body=None) -> int:
        if rule.endpoint in ENDS_SESSIONS and method == "POST" and re.search(r"/admin/users/[0-9]{1,4}(/|$)", path):
            return 0  # deactivating, resetting or re-roling the sweep's own users would end its sessions
        client, token = self.clients[role]
        before = len(self.crashes)
        kw = {"query_string": query, "headers": {"X-CSRFToken": token}}
        if method in ("POST", "PATCH", "PUT"):
            if body is not None:
                kw["data"], kw["content_type"] = json.dumps(body), "application/json"
            else:
                kw["data"] = {**form, "csrf_token": token}
        resp = client.open(path, method=method, **kw)
        self.requests += 1
        if resp.status_code >= 500 or len(self.crashes) > before:
            self.crashes.append(f"{resp.status_code} {role} {method} {path} {query} {form or body}"[:400])
        return resp.status_code


@pytest.fixture
def sweep(app, session, users, make_capture):
    from ledger import workflow as wf
    from tests.ledger_helpers import make_entry

    capture = make_capture(users["cadre_a"])
    entry = make_entry(session, users["cadre_a"], "南荒沟村的桥坏了")
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    session.commit()
    return Sweep(app, users, [capture.id, item.id, entry.id, users["cadre_a"].org_unit_id])


def _methods(rule) -> list[str]:
    """What the rule answers; HEAD and OPTIONS only where it answers nothing else (tus)."""
    return sorted(rule.methods - {"HEAD", "OPTIONS"}) or sorted(rule.methods)


def _report(request, sweep, db):
    from tests.hostile.counts import report

    report(f"route sweep ({db})", sweep.requests, sweep.requests - len(sweep.crashes), what="requests",
           config=request.config)
    print(f"route sweep ({db}): {sweep.requests} requests, {len(sweep.crashes)} answered 500")


def test_every_route_and_form_with_hostile_values_as_every_role(sweep, request, app_settings):
    db = "postgresql" if "DATABASE_URL" in app_settings else "sqlite"
    for rule in sweep.rules:
        for method in _methods(rule):
            for role in ROLES:
                for value in [sweep.ids[0], sweep.ids[1], HUGE, "²"]:
                    path = sweep.url(rule, value)
                    for hostile in (HUGE, "²", "0001-01-01T00:00", "a\x00\u202eb"):
                        params = {name: hostile for name in NAMES}
                        sweep.send(role, rule, method, path, params if method == "GET" else {}, params)
                    if method != "GET":
                        for body in JSON_BODIES[:2]:
                            sweep.send(role, rule, method, path, {}, {}, body)
                    if not rule._converters:
                        break  # no path values to vary
    _report(request, sweep, db)
    assert sweep.crashes == [], sweep.crashes[:10]

    values = st.one_of(st.sampled_from(HOSTILE), st.integers(min_value=-2**80, max_value=2**80).map(str),
                       st.sampled_from([str(i) for i in sweep.ids]), st.text(max_size=20))
    json_bodies = st.one_of(st.sampled_from(JSON_BODIES), st.dictionaries(
        st.sampled_from(NAMES), st.one_of(values, st.integers(), st.floats(), st.none(), st.lists(st.integers()))))

    @settings(max_examples=300 if db == "sqlite" else 200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def mixed(data):
        rule = data.draw(st.sampled_from(sweep.rules))
        method = data.draw(st.sampled_from(_methods(rule)))
        role = data.draw(st.sampled_from(ROLES))
        path = sweep.url(rule, data.draw(st.one_of(st.sampled_from(sweep.ids), st.integers(0, 2**40), values)))
        params = data.draw(st.dictionaries(st.sampled_from(NAMES), values, max_size=6))
        body = data.draw(st.one_of(st.none(), json_bodies)) if method != "GET" else None
        sweep.send(role, rule, method, path, params if method == "GET" else {}, params, body)

    mixed()
    _report(request, sweep, db)
    assert sweep.crashes == [], sweep.crashes[:10]
    # Each role was signed in to the end: the requests were sent as it.
    for role in ROLES[1:]:
        assert sweep.clients[role][0].get("/api/session").status_code == 200, role
