"""The findings of the outside attack (issue 18), one test each, counted like the other hostile
suites: every test adds its checks to one tally and prints "attack findings: N checks tried,
M handled". Each check here failed on the code before its fix."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from tests.hostile.counts import report
from tests.hostile.support import PASSWORD, close_app, csrf_from, login_client
from tests.ledger_helpers import make_entry

TALLY = {"tried": 0, "passed": 0}


def tally(request, checks: dict[str, bool]) -> None:
    """Count the named checks, print the running tally, fail naming the checks that failed."""
    TALLY["tried"] += len(checks)
    TALLY["passed"] += sum(bool(v) for v in checks.values())
    report("bad inputs: attack findings", TALLY["tried"], TALLY["passed"], what="checks", config=request.config)
    failed = [name for name, ok in checks.items() if not ok]
    assert not failed, failed


def _login_form(client, login, password=PASSWORD, **kw):
    token = csrf_from(client.get("/login", **kw).get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token}, **kw)


# --- sessions and login ------------------------------------------------------------------------


def _cookie(client):
    return client.get_cookie("session").value


def test_a_cookie_copied_before_logout_is_dead_after_it(app, users, request):
    client, token = login_client(app, "cadre_a")
    stolen = _cookie(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    tally(request, {
        "logout: replayed cookie opens /capture/": replay.get("/capture/").status_code == 302,
        "logout: replayed cookie opens /api/captures": replay.get("/api/captures").status_code == 401,
    })


def test_password_change_and_deactivation_end_sessions_server_side(app, session, users, request):
    from org.models import User, UserSession
    from org.users import set_active, set_password

    a, _ = login_client(app, "cadre_a")
    b, _ = login_client(app, "cadre_b")
    stolen_a, stolen_b = _cookie(a), _cookie(b)
    set_password(session, session.get(User, users["cadre_a"].id), "a-new-long-passphrase-7")
    set_active(session, session.get(User, users["cadre_b"].id), False)
    session.commit()
    ra, rb = app.test_client(), app.test_client()
    ra.set_cookie("session", stolen_a)
    rb.set_cookie("session", stolen_b)
    rows = session.scalars(select(UserSession).where(UserSession.user_id.in_(
        [users["cadre_a"].id, users["cadre_b"].id]))).all()
    tally(request, {
        "password change ends the session": ra.get("/api/captures").status_code == 401,
        "deactivation ends the session": rb.get("/api/captures").status_code == 401,
        "their session rows are gone": rows == [],
    })


def test_an_idle_session_ends_after_the_configured_timeout(app, session, users, request):
    import datetime as dt

    from core.clock import utcnow
    from org.models import UserSession

    app.config["SESSION_IDLE_MINUTES"] = 30
    client, _ = login_client(app, "cadre_a")
    fresh = client.get("/api/captures").status_code
    session.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
    session.commit()
    tally(request, {
        "a fresh session works": fresh == 200,
        "an idle session is refused": client.get("/api/captures").status_code == 401,
    })


def test_login_rotates_the_session_and_the_csrf_token(app, users, request):
    client = app.test_client()
    before = csrf_from(client.get("/login").get_data(as_text=True))
    cookie_before = _cookie(client)
    resp = client.post("/login", data={"login": "cadre_a", "password": PASSWORD, "csrf_token": before})
    after = csrf_from(client.get("/login").get_data(as_text=True))
    stale = client.post("/logout", data={"csrf_token": before})
    tally(request, {
        "login succeeds": resp.status_code == 302,
        "the CSRF token changes at login": after != before,
        "the token from before login is refused": stale.status_code == 400,
        "the session cookie changes at login": _cookie(client) != cookie_before,
    })


def test_one_client_cannot_lock_the_county_out_behind_the_proxy(app, users, request):
    app2 = make_app_with_proxy(app)
    attacker = app2.test_client()
    fails = [_login_form(attacker, f"nobody{i}", "x" * 10, headers={"X-Forwarded-For": "203.0.113.9"}).status_code
             for i in range(35)]
    villager = app2.test_client()
    ok = _login_form(villager, "cadre_b", headers={"X-Forwarded-For": "198.51.100.7"}).status_code
    tally(request, {
        "the attacking client is slowed down (429)": fails[-1] == 429 and fails[:30] == [401] * 30,
        "another client behind the same proxy still logs in": ok == 302,
    })


def make_app_with_proxy(app):
    """The same database and folders, built by the factory with one trusted proxy."""
    from webapp import create_app

    return create_app({k: app.config[k] for k in ("TESTING", "DATABASE_URL", "DATA_DIR", "RECOGNIZER",
                                                  "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")}
                      | {"TRUSTED_PROXIES": 1})


def test_failed_logins_wait_longer_and_longer(app, users, request):
    app.config["LOGIN_LIMIT_ACCOUNT_CLIENT"] = "2 per 1 second;3 per minute"
    client = app.test_client()
    first = [_login_form(client, "cadre_a", "wrong-guess").status_code for _ in range(3)]
    short = client.post("/login")  # (no form: still counted against the client only)
    time.sleep(1.2)
    third = _login_form(client, "cadre_a", "wrong-guess")
    fourth = _login_form(client, "cadre_a", "wrong-guess")
    retry = int(fourth.headers.get("Retry-After", "0"))
    tally(request, {
        "after 2 failures a short wait": first == [401, 401, 429],
        "after the short wait, one more try": third.status_code == 401,
        "then a longer wait (the minute tier)": fourth.status_code == 429 and retry > 5,
        "the page says how long to wait": any(f"登录失败次数过多，请 {n} 秒后再试" in fourth.get_data(as_text=True)
                                              for n in range(retry - 1, retry + 2)),
        "a request without a form is not a 500": short.status_code < 500,
    })


def test_unknown_logins_cost_a_password_check_like_known_ones(app, users, monkeypatch, request):
    import org.users as users_mod

    calls = []
    real = users_mod.check_password_hash
    monkeypatch.setattr(users_mod, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    client = app.test_client()
    _login_form(client, "no_such_login", "some-password")
    unknown = len(calls)
    _login_form(client, "cadre_a", "some-password")
    tally(request, {"an unknown login is checked against a dummy hash": unknown == 1 and len(calls) == 2})


@pytest.mark.parametrize("role,login,password", [
    ("admin", "admin_x", "12345678"),
    ("admin", "admin_x", "password123456"),
    ("supervisor", "sup_x", "sup_x2024sup_x"),
    ("supervisor", "sup_x", "Kd7#pw2q"),        # fine for a cadre, too short for a supervisor
    ("cadre", "cadre_x", "cadre_x123"),
    ("cadre", "cadre_x", "qwertyuiop"),
])
def test_weak_passwords_are_refused(session, org, role, login, password, request):
    from core.errors import DomainError
    from org.users import create_user

    refused = False
    try:
        create_user(session, login, password, "测试", role, org["宽甸县"])
    except DomainError:
        refused = True
    tally(request, {f"{role} {password!r} refused": refused})


def test_strong_passwords_are_accepted(session, org, request):
    from org.users import create_user

    create_user(session, "cadre_y", "Kd7#pw2q", "测试", "cadre", org["南荒沟村"])
    create_user(session, "admin_y", "tractor-river-pine-41", "测试", "admin", org["宽甸县"])
    tally(request, {"strong passwords pass": True})


def test_every_page_forbids_framing_and_foreign_scripts(app, users, request):
    client, _ = login_client(app, "sup_gulouzi")
    checks = {}
    for path in ("/login", "/public/", "/review/", "/dashboard/", "/ledger/"):
        resp = client.get(path)
        csp = resp.headers.get("Content-Security-Policy", "")
        checks[f"{path}: CSP script-src 'self'"] = "script-src 'self'" in csp and "unsafe-inline" not in \
            csp.split("script-src", 1)[-1].split(";", 1)[0]
        checks[f"{path}: frame-ancestors 'none'"] = "frame-ancestors 'none'" in csp
        checks[f"{path}: X-Frame-Options"] = resp.headers.get("X-Frame-Options") == "DENY"
        html = resp.get_data(as_text=True)
        import re

        inline = [m for m in re.findall(r"<script([^>]*)>", html) if "src=" not in m and "json" not in m]
        checks[f"{path}: no inline script"] = not inline
    tally(request, checks)


# --- bad input that gave a 500 -------------------------------------------------------------------

HUGE = "99999999999999999999"


def test_twenty_digit_ids_answer_404_on_every_route(app, users, request):
    import re

    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    checks = {}
    for login in ("admin", "cadre_a", None):
        client, token = login_client(app, login) if login else (app.test_client(), "")
        for rule in rules:
            url = re.sub(r"<int:[^>]+>", HUGE, rule.rule)
            url = re.sub(r"<[^>]+>", "x", url)
            for method in sorted(rule.methods & {"GET", "POST"}):
                resp = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                checks[f"{method} {url} as {login}"] = resp.status_code < 500
                if login == "admin" and method == "GET":
                    checks[f"{method} {url} is not found"] = resp.status_code == 404
        for url in (f"/dashboard/?unit={HUGE}", f"/ledger/?unit={HUGE}", f"/ledger/diary?cadre={HUGE}",
                    f"/ledger/?project={HUGE}"):
            checks[f"GET {url} as {login}"] = client.get(url).status_code < 500
    assert len(rules) >= 15
    tally(request, checks)


def test_months_outside_the_calendar_answer_400_or_the_current_month(app, users, request):
    client, _ = login_client(app, "sup_gulouzi")
    checks = {}
    for month in ("0000-01", "9999-12", "0001-01", "9999-13", "2024-00"):
        dash = client.get(f"/dashboard/?month={month}")
        diary = client.get(f"/ledger/diary?month={month}")
        checks[f"dashboard month={month}"] = dash.status_code == 200
        checks[f"diary month={month}"] = diary.status_code == 400
    checks["a real month still works"] = client.get("/ledger/diary?month=2024-03").status_code == 200
    tally(request, checks)


def test_a_next_with_cr_lf_is_ignored(app, users, request):
    checks = {}
    for target in ("/capture/%0D%0ASet-Cookie:%20pwned=1", "/%0Aevil", "/\\\\evil.example", "%0D%0A"):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post(f"/login?next={target}", data={"login": "cadre_a", "password": PASSWORD,
                                                          "csrf_token": token})
        loc = resp.headers.get("Location", "")
        checks[f"login next={target}"] = resp.status_code == 302 and loc.endswith("/capture/")
        token = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post("/locale/en", data={"csrf_token": token, "next": target.replace("%0D", "\r")
                                               .replace("%0A", "\n")})
        checks[f"locale next={target}"] = resp.status_code == 302 and "\n" not in resp.headers.get("Location", "")
    tally(request, checks)


# --- uploads refused at the door, names made safe ------------------------------------------------


def _upload(client, token, name, data):
    import io

    return client.post("/api/captures", data={"file": (io.BytesIO(data), name)},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")


def _png_with_garbage_pixels(width=64, height=48, seed=7) -> bytes:
    import random
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rng = random.Random(seed)
    garbage = bytes(rng.randrange(256) for _ in range(2000))  # not a zlib stream
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", garbage) + chunk(b"IEND", b""))


def _long_wav(seconds: int, rate: int = 1000) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(b"\x80" * (seconds * rate))
    return buf.getvalue()


def test_control_characters_in_file_names_are_removed_at_intake(app, users, session, request):
    from capture.models import Capture
    from tests.hostile.support import Media

    client, token = login_client(app, "cadre_a")
    checks = {}
    for n, name in enumerate(("memo\x00.wav", "a\x1b[31mred.wav", "evil\u202egnp.wav", "two\tlines\x7f.wav",
                              "line\u2028sep.wav", "../../etc/passwd.wav", "\x00\x01")):
        resp = _upload(client, token, name, Media.wav(900 + n))
        if resp.status_code != 201:
            checks[f"{name!r} accepted"] = False
            continue
        cid = resp.get_json()["id"]
        stored = session.get(Capture, cid).files[0].original_name
        checks[f"{name!r} stored without control characters"] = stored and all(
            ch.isprintable() and ch not in "\u202e/\\" for ch in stored)
        download = client.get(f"/capture/{cid}/files/0")
        disposition = download.headers.get("Content-Disposition", "")
        checks[f"{name!r} downloads"] = download.status_code == 200 and all(
            ch.isprintable() for ch in disposition)
    tally(request, checks)


def test_an_image_that_does_not_decode_is_refused_at_intake(app, users, request):
    from tests.hostile.support import row_counts

    client, token = login_client(app, "cadre_a")
    engine = app.extensions["minxin.engine"]
    before = row_counts(engine)
    resp = _upload(client, token, "page.png", _png_with_garbage_pixels())
    body = resp.get_json() or {}
    tally(request, {
        "garbage pixels refused with 4xx": 400 <= resp.status_code < 500,
        "the reason says corrupt": body.get("code") == "corrupt" and "图片" in body.get("error", ""),
        "nothing stored": row_counts(engine) == before,
    })


def test_a_recording_longer_than_the_limit_is_refused_at_intake(app, users, request):
    from tests.hostile.support import row_counts

    client, token = login_client(app, "cadre_a")
    engine = app.extensions["minxin.engine"]
    before = row_counts(engine)
    resp = _upload(client, token, "two-hours.wav", _long_wav(2 * 3600))
    body = resp.get_json() or {}
    nothing_stored = row_counts(engine) == before
    ok_short = _upload(client, token, "short.wav", _long_wav(5)).status_code
    tally(request, {
        "a 2-hour WAV is refused": resp.status_code == 413 and body.get("code") == "too_long",
        "the reason names the length": "录音过长" in body.get("error", ""),
        "nothing stored": nothing_stored,
        "a 5-second recording at the same rate is accepted": ok_short == 201,
    })


# --- public links, the evaluation page, files on disk --------------------------------------------


def _closed_item(session, users):
    from ledger import workflow as wf
    from ledger.deadlines import local_today

    entry = make_entry(session, users["cadre_a"], "南荒沟村3组道路冲毁", visit_date=local_today())
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    wf.solve_now(session, item, users["cadre_a"], "已修复")
    session.commit()
    return item


def test_qr_codes_and_links_use_the_configured_base_url_not_host(app, session, users, request):
    from ledger import ratings

    app.config["PUBLIC_BASE_URL"] = "https://minxin.example.gov.cn"
    item = _closed_item(session, users)
    client = app.test_client()
    png = client.get(f"/public/qr/{item.eval_code}.png", headers={"Host": "evil.example"})
    expected = ratings.qr_png(f"https://minxin.example.gov.cn/public/e/{item.eval_code}")
    sup, _ = login_client(app, "sup_gulouzi")
    page = sup.get(f"/ledger/item/{item.id}/slip").get_data(as_text=True)
    tally(request, {
        "the QR image encodes the configured URL": png.status_code == 200 and png.data == expected,
        "the feedback slip shows the configured URL": f"https://minxin.example.gov.cn/public/e/{item.eval_code}" in page,
        "the request's host appears nowhere": "http://localhost" not in page,
    })


def test_production_refuses_to_start_without_a_public_base_url(make_app, request):
    from ops.compose import ConfigError

    refused = False
    try:
        make_app(ENV="production", PUBLIC_BASE_URL="")
    except ConfigError as exc:
        refused = "MINXIN_PUBLIC_BASE_URL" in str(exc)
    make_app(ENV="production", PUBLIC_BASE_URL="https://minxin.example.gov.cn")
    tally(request, {"production without MINXIN_PUBLIC_BASE_URL is refused": refused})


def test_the_evaluation_page_is_rate_limited_per_client(app, session, users, request):
    app.config["PUBLIC_EVAL_LIMIT"] = "10 per minute"
    item = _closed_item(session, users)
    client = app.test_client()
    codes = [client.get(f"/public/e/{c}", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code
             for c in [f"ZZZZ{i:04d}" for i in range(10)]]
    guessed = client.get(f"/public/e/{item.eval_code}", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    qr = client.get(f"/public/qr/{item.eval_code}.png", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    other = client.get(f"/public/e/{item.eval_code}", environ_base={"REMOTE_ADDR": "192.0.2.2"})
    tally(request, {
        "guessing codes answers 404 at first": set(codes) == {404},
        "then the client waits (429), on the QR image too": guessed.status_code == 429 and qr.status_code == 429,
        "another client is unaffected": other.status_code == 200,
    })


def test_the_instance_folder_and_database_are_private(tmp_path, monkeypatch, request):
    import os
    import stat

    from sqlalchemy import text

    from core import db

    instance = tmp_path / "fresh-instance"
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("MINXIN_DATABASE_URL", raising=False)
    old_umask = os.umask(0o022)
    try:
        from webapp import create_app

        app = create_app({"TESTING": True, "RECOGNIZER": "fake", "DATA_DIR": str(tmp_path / "data")})
        with app.extensions["minxin.engine"].begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        db_file = instance / "minxin.sqlite"
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (instance, db_file)}
        close_app(app)
        # A database an earlier version left world-readable is tightened at start.
        os.chmod(db_file, 0o644)
        app = create_app({"TESTING": True, "RECOGNIZER": "fake", "DATA_DIR": str(tmp_path / "data")})
        tightened = stat.S_IMODE(db_file.stat().st_mode)
        close_app(app)
    finally:
        os.umask(old_umask)
        db.db_session.remove()
    tally(request, {
        "instance folder 0700": modes[instance.name] == 0o700,
        "database file 0600": modes["minxin.sqlite"] == 0o600,
        "an old 0644 database is made 0600": tightened == 0o600,
    })


# --- the audit chain's key, and backups with their anchors ----------------------------------------


def _cli_env(monkeypatch, app, tmp_path):
    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MINXIN_DATA_DIR", app.config["DATA_DIR"])
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("MINXIN_RECOGNIZER", "fake")


def test_an_insider_who_recomputes_the_chain_is_caught(app, session, users, tmp_path, monkeypatch, request):
    import stat

    from click.testing import CliRunner
    from sqlalchemy import text

    from core.audit import event_digest
    from core.models import AuditEvent
    from webapp.cli import cli

    _cli_env(monkeypatch, app, tmp_path)
    runner = CliRunner()
    clean = runner.invoke(cli, ["audit-verify"])
    anchors = tmp_path / "data" / "audit-anchors.tsv"
    # The insider edits event 2 and recomputes every later hash (the code is public, the
    # database is theirs), then rewrites the anchor file to match.
    session.execute(text("UPDATE audit_events SET actor_label='nobody' WHERE id=2"))
    session.commit()
    prev = ""
    forged_with = {"no key": b"", "a guessed key": b"secret"}
    results = {}
    for label, key in forged_with.items():
        prev = ""
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            session.expire(event)
            event = session.get(AuditEvent, event.id)
            event.prev_hash = prev
            event.hash = event_digest(event, key)
            prev = event.hash
        session.commit()
        head = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        anchors.write_text(f"2026-01-01T00:00:00\t{head.id}\t{head.hash}\n", encoding="utf-8")
        results[label] = runner.invoke(cli, ["audit-verify", "--no-record"]).exit_code
    key_file = tmp_path / "instance" / "audit_key"
    tally(request, {
        "the untouched chain verifies": clean.exit_code == 0,
        "recomputed without the key: caught": results["no key"] != 0,
        "recomputed with a guessed key: caught": results["a guessed key"] != 0,
        "the key lives outside the database, owner-only": key_file.exists()
        and stat.S_IMODE(key_file.stat().st_mode) == 0o600
        and key_file.read_text().strip() not in str(session.execute(text("SELECT * FROM audit_events")).all()),
    })


def test_an_unkeyed_chain_from_an_earlier_version_is_signed_once(app, session, users, tmp_path, monkeypatch,
                                                                 request):
    from click.testing import CliRunner

    from core import audit
    from core.models import AuditEvent
    from webapp.cli import cli

    _cli_env(monkeypatch, app, tmp_path)
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    key = audit._KEY
    audit.rekey_chain(session, key, b"")  # as an earlier version wrote it
    session.commit()
    runner = CliRunner()
    before = runner.invoke(cli, ["audit-verify", "--no-record"]).exit_code
    signed = runner.invoke(cli, ["audit-verify", "--sign-unkeyed"])
    after = runner.invoke(cli, ["audit-verify", "--no-record"]).exit_code
    tally(request, {
        "an unkeyed chain does not pass as keyed": before != 0 and len(events) > 0,
        "signed once": signed.exit_code == 0 and f"{len(events)}" in signed.output,
        "then verifies": after == 0,
    })


def test_backups_carry_the_audit_anchors_and_not_the_key(app, session, users, tmp_path, monkeypatch, request):
    import shutil

    from click.testing import CliRunner

    from webapp.cli import cli

    _cli_env(monkeypatch, app, tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["audit-verify"]).exit_code == 0
    anchors = tmp_path / "data" / "audit-anchors.tsv"
    out = tmp_path / "bk"
    backed = runner.invoke(cli, ["backup", str(out)])
    in_backup = out / "audit-anchors.tsv"
    key = (tmp_path / "instance" / "audit_key").read_text().strip()
    leaked = any(key in p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file())
    target = tmp_path / "restored"
    target.mkdir()
    shutil.copyfile(tmp_path / "instance" / "audit_key", target / "audit_key")  # carried apart
    monkeypatch.setenv("MINXIN_DATABASE_URL", f"sqlite:///{target / 'minxin.sqlite'}")
    monkeypatch.setenv("MINXIN_DATA_DIR", str(target / "data"))
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(target))
    restored = runner.invoke(cli, ["restore", str(out)])
    tally(request, {
        "backup written": backed.exit_code == 0,
        "the anchors are in the backup": in_backup.exists() and in_backup.read_bytes() == anchors.read_bytes(),
        "the audit key is not in the backup": not leaked,
        "restore puts the anchors back and checks them": restored.exit_code == 0
        and (target / "data" / "audit-anchors.tsv").read_bytes() == anchors.read_bytes(),
    })


# --- ratings: one per result, the responsible cadre's apart ---------------------------------------


def test_a_cadre_cannot_rate_their_own_item_again_and_again(app, session, users, request):
    from ledger.models import Evaluation, LedgerItem

    item = _closed_item(session, users)
    cadre, token = login_client(app, "cadre_a")
    page = f"/ledger/item/{item.id}"
    statuses = []
    for _ in range(4):
        session.expire_all()
        version = session.get(LedgerItem, item.id).version
        resp = cadre.post(f"{page}/evaluate", data={"csrf_token": token, "rating": "满意", "version": version})
        statuses.append(resp.status_code)
    session.expire_all()
    evs = session.scalars(select(Evaluation).where(Evaluation.item_id == item.id)).all()
    refused_page = cadre.get(page).get_data(as_text=True)
    public = app.test_client()
    code_page = public.get(f"/public/e/{item.eval_code}").get_data(as_text=True)
    sup, _t = login_client(app, "sup_gulouzi")
    dash = sup.get("/dashboard/").get_data(as_text=True)
    units_table = dash[dash.index('id="table-units"'):dash.index("</table>", dash.index('id="table-units"'))]
    nhg_row = next(r for r in units_table.split("<tr") if "南荒沟村" in r)
    tally(request, {
        "four tries make one evaluation": len(evs) == 1,
        "the later tries are refused with the reason": "已评议过一次" in refused_page,
        "recorded with who took it": evs and evs[0].recorded_by_id == users["cadre_a"].id
        and "记录人 李春生" in refused_page,
        "marked as taken by the responsible cadre": evs and evs[0].by_responsible,
        "the code cannot add a second evaluation": "此评议码已使用" in code_page,
        "the dashboard shows it apart, not in the rate": "<td>0</td><td>0</td><td>0</td><td>0</td><td>—</td>"
        in nhg_row.replace("\n", "") and "1（满意率 100%）" in nhg_row,
    })


def test_an_in_person_rating_by_someone_else_counts_in_the_rate(app, session, users, request):
    from ledger import ratings

    item = _closed_item(session, users)
    ev = ratings.record_in_person(session, item, users["sup_gulouzi"], "基本满意")
    session.commit()
    tally(request, {"a supervisor's in-person rating is not the responsible cadre's": not ev.by_responsible})


# --- the confirmed place decides the linked unit ------------------------------------------------


def test_the_place_corrected_at_confirm_moves_the_entry_and_its_item(app, session, users, org, request):
    from capture.models import Capture
    from core.models import AuditEvent
    from diary import review as svc
    from ledger import publication
    from tests.test_security import _capture_with_text

    capture = _capture_with_text(app, session, users["cadre_a"],
                                 ["今天到南荒沟村走访张大爷", "反映村口的桥被水冲坏了"], 41)
    draft_unit = capture.entry.place_unit_id
    sup = session.get(type(users["sup_gulouzi"]), users["sup_gulouzi"].id)
    item = svc.confirm_entry(session, capture, sup, capture_version=capture.version,
                             entry_version=capture.entry.version, edits={"place": "步达远村三组"},
                             triage="now", result="已修复")
    publication.approve_as_drafted(session, item, sup)  # public pages show approved text only
    session.commit()
    session.expire_all()
    entry = session.get(Capture, capture.id).entry
    public = app.test_client()
    right = public.get(f"/public/{org['步达远镇'].id}").get_data(as_text=True)
    wrong = public.get(f"/public/{org['古楼子乡'].id}").get_data(as_text=True)
    moved = session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.place_unit")).first()
    tally(request, {
        "the draft was linked to 南荒沟村": draft_unit == org["南荒沟村"].id,
        "the entry follows the confirmed place": entry.place_unit_id == org["步达远村"].id,
        "the ledger item follows it": item.place_unit_id == org["步达远村"].id and item.place == "步达远村三组",
        "the right township's public page shows it": item.code in right or "桥被水冲坏" in right,
        "the old township's public page does not": "桥被水冲坏" not in wrong,
        "the move is audited": moved is not None and moved.after["place_unit_id"] == org["步达远村"].id,
    })


def test_an_item_already_linked_follows_a_later_place_correction(app, session, users, org, request):
    from core.models import AuditEvent
    from diary.entries import follow_place
    from ledger import workflow as wf

    entry = make_entry(session, users["cadre_a"], "水井干了", place="南荒沟村", place_unit=org["南荒沟村"])
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    entry.place = "大古岭村"
    follow_place(session, entry, users["sup_gulouzi"])
    session.commit()
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger_item.place")).first()
    tally(request, {"a linked item moves with its entry (audited)":
                    item.place_unit_id == org["大古岭村"].id and ev is not None})


def test_sessions_left_idle_are_dropped_at_the_next_login(app, session, users, request):
    import datetime as dt

    from core.clock import utcnow
    from org.models import UserSession

    for _ in range(3):
        login_client(app, "cadre_a")
    session.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(days=3)))
    session.commit()
    login_client(app, "cadre_a")
    session.expire_all()
    left = session.scalars(select(UserSession).where(UserSession.user_id == users["cadre_a"].id)).all()
    tally(request, {"old idle sessions are removed, the new one kept": len(left) == 1})


def test_production_with_several_machines_needs_one_audit_key(make_app, monkeypatch, request):
    from ops.compose import ConfigError

    monkeypatch.delenv("MINXIN_AUDIT_KEY", raising=False)
    refused = False
    try:
        make_app(ENV="production", QUEUE="celery",
                 PUBLIC_BASE_URL="https://minxin.example.gov.cn")
    except ConfigError as exc:
        refused = "MINXIN_AUDIT_KEY" in str(exc)
    tally(request, {"Celery in production without MINXIN_AUDIT_KEY is refused": refused})
