"""The ledger's whole journey in headless Chromium, with a clock the test moves and a test mail
server that captures the 催办 and 督办 (tests/browser/ledger_flow.js does the clicking).

confirm → escalate to the county → the township still sees it → the county sends it back →
延期 asked and approved → the deadline passes → 催办 sent → 督办 listed → completed 部分解决 →
the villager rates 不满意 with the code, once → reopened under the same number; the dashboard's
三率 and 逾期 checked against the ledger. The recognizer is the fake one: this is about the
ledger, not the models. Screenshots: test-output/screenshots/ (and docs/screenshots/ with
MINXIN_UPDATE_SCREENSHOTS=1).
"""
from __future__ import annotations

import email
import json
import os
import shutil
import socketserver
import subprocess
import sys
import threading
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from test_browser import CHROMIUM, OUT, PASSWORD, ROOT, _need, _node, _serving

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]
SHOTS = ("ledger-escalated-township.png", "ledger-item-phone.png", "ledger-phone.png", "ledger-extension.png",
         "dashboard-supervision.png", "dashboard-recurring.png", "public-code-used.png", "ledger-reopened.png",
         "dashboard-rates.png")


class _SMTPSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to receive what smtplib sends; the messages are kept in `messages`."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[tuple[list[str], email.message.Message]] = []


class _SMTPHandler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self._say("220 sink ESMTP")
        rcpt: list[str] = []
        while True:
            line = self.rfile.readline().decode("utf-8", "replace").strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250-sink")
                self._say("250 8BITMIME")
            elif verb == "MAIL":
                rcpt = []
                self._say("250 ok")
            elif verb == "RCPT":
                rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go on")
                data = []
                while True:
                    raw = self.rfile.readline()
                    if raw in (b".\r\n", b".\n", b""):
                        break
                    data.append(raw[1:] if raw.startswith(b"..") else raw)
                self.server.messages.append((rcpt, email.message_from_bytes(b"".join(data))))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


def _subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def _seed(instance: Path) -> None:
    import datetime as dt

    from sqlalchemy import select

    from core import db
    from diary.models import DiaryEntry
    from ledger import workflow as wf
    from ops.migrate import upgrade
    from org.models import User
    from org.users import add_org_unit, create_user

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    upgrade(engine)
    with db.SessionFactory(bind=engine) as s:
        county = add_org_unit(s, "宽甸县", "county")
        town = add_org_unit(s, "古楼子乡", "township", county)
        village = add_org_unit(s, "南荒沟村", "village", town)
        create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
        create_user(s, "sup_gulouzi", PASSWORD, "孙建国", "supervisor", town)
        create_user(s, "admin_kd", PASSWORD, "刘志强", "admin", county)
        # The same problem reported in two villages, already in their ledgers: a recurring problem.
        other = add_org_unit(s, "大古岭村", "village", town)
        cadre_b = create_user(s, "cadre_b", PASSWORD, "王秀英", "cadre", other)
        cadre_a = s.scalars(select(User).where(User.login == "cadre_a")).one()
        for cadre, text in ((cadre_a, "南荒沟村二组自来水管冻裂停水"), (cadre_b, "大古岭村自来水管冻裂，全屯停水三天")):
            entry = DiaryEntry(cadre=cadre, org_unit=cadre.org_unit, status="confirmed", visit_date=dt.date(2026, 5, 28),
                               place=cadre.org_unit.name, place_unit=cadre.org_unit, interviewee="", visit_method="入户走访",
                               problem=text, category="饮水", pii=[])
            s.add(entry)
            s.flush()
            wf.open_item_from_entry(s, entry, cadre)
        s.commit()
    engine.dispose()


def test_ledger_journey_with_deadlines_reminders_and_rates_in_chromium(tmp_path, monkeypatch):
    _need((CHROMIUM, "apt-get install -y chromium chromium-driver"),
          (ROOT / "node_modules" / "playwright-core", "npm ci"))
    photo = sorted((ROOT / "samples" / "pages").glob("*.jpg"))[0]
    instance = tmp_path / "instance"
    instance.mkdir()
    _seed(instance)
    clock = tmp_path / "today"
    clock.write_text("2026-06-01")  # a Monday
    sink = _SMTPSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    settings = {
        "MINXIN_CLOCK_FILE": str(clock),
        "MINXIN_SMTP_HOST": "127.0.0.1",
        "MINXIN_SMTP_PORT": str(sink.server_address[1]),
        "MINXIN_NOTIFY_RECIPIENTS": "古楼子乡=glz@kuandian.example;宽甸县=kd@kuandian.example",
        "MINXIN_SUPERVISE_AFTER_WORKING_DAYS": "1",
    }
    for k, v in settings.items():
        monkeypatch.setenv(k, v)
    env = {**os.environ, "MINXIN_INSTANCE_PATH": str(instance)}

    def daily(day: str) -> str:
        clock.write_text(day)
        run = subprocess.run([sys.executable, "-m", "webapp.cli", "ledger-daily"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    users = dict(CADRE="cadre_a", SUPERVISOR="sup_gulouzi", ADMIN="admin_kd", PHOTO=str(photo))
    try:
        with _serving(instance, "fake", "browser-ledger-server.log") as base:
            run = _node("ledger_flow.js", base, PHASE="before", **users)
            (OUT / "browser-ledger-before.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
            assert run.returncode == 0 and "ALL CHECKS PASSED" in run.stdout, run.stdout[-4000:] + run.stderr[-3000:]
            state = json.loads((OUT / "ledger-flow.json").read_text())
            code = state["code"]

            # The extended deadline (Fri 5 June) passes: 催办 on Saturday, to the township holding it.
            out = daily("2026-06-06")
            assert f"催办 {code}" in out and "督办" not in out, out
            urges = [(to, m) for to, m in sink.messages if "催办" in _subject(m)]
            assert len(urges) == 1 and urges[0][0] == ["glz@kuandian.example"], [(t, _subject(m)) for t, m in sink.messages]
            body = urges[0][1].get_payload(decode=True).decode("utf-8")
            assert code in _subject(urges[0][1]) and "2026-06-05" in body
            # Sunday and Monday: one working day overdue (not more than 1): no 督办 yet, no second 催办.
            out = daily("2026-06-08")
            assert "督办" not in out and "催办" not in out, out
            # Tuesday: two working days overdue: 督办 to the county, once.
            out = daily("2026-06-09")
            assert f"督办 {code}" in out, out
            sup = [(to, m) for to, m in sink.messages if "督办" in _subject(m)]
            assert len(sup) == 1 and sup[0][0] == ["kd@kuandian.example"]
            # The dashboard's background job (celery beat, the served app's timer, or cron) has run.
            refresh = subprocess.run([sys.executable, "-m", "webapp.cli", "recurring-refresh"], cwd=ROOT, env=env,
                                     capture_output=True, text=True, timeout=300)
            assert refresh.returncode == 0, refresh.stdout + refresh.stderr

            run = _node("ledger_flow.js", base, PHASE="after", **users)
            (OUT / "browser-ledger-after.log").write_text(run.stdout + "\n--- stderr ---\n" + run.stderr)
            print(run.stdout[-5000:])
            assert run.returncode == 0 and "ALL CHECKS PASSED" in run.stdout, run.stdout[-4000:] + run.stderr[-3000:]
    finally:
        sink.shutdown()
        sink.server_close()

    # What the pages said, against the ledger itself.
    from sqlalchemy import select

    from core import clock as ledger_clock
    from core import db
    from ledger import rates
    from ledger import workflow as wf
    from ledger.deadlines import local_today
    from ledger.models import LedgerItem
    from org.models import OrgUnit

    # The drill's date in this process too, as the composition root hands it to the servers.
    monkeypatch.setattr(ledger_clock, "_clock_file", None)
    ledger_clock.use_file(str(clock))

    engine = db.make_engine(f"sqlite:///{instance / 'minxin.sqlite'}")
    try:
        with db.SessionFactory(bind=engine) as s:
            item = s.get(LedgerItem, state["itemId"])
            assert (item.code, item.status) == (code, "reopened") and wf.history_problems(item) == []
            assert [x.status for x in item.extensions] == ["approved"]
            county = s.scalars(select(OrgUnit).where(OrgUnit.level == "county")).one()
            town = s.scalars(select(OrgUnit).where(OrgUnit.level == "township")).one()
            today = local_today()
            shown = json.loads((OUT / "ledger-flow-rates.json").read_text())
            expected = [[str(v) for v in rates.table_row(r)]
                        for r in rates.three_rates(s, town, today.year, today.month, today=today)]
            assert shown["rates"] == expected  # the township's dashboard showed what the ledger holds
            overdue = wf.find_items(s, county, overdue_on=today)
            assert [i.code for i in overdue] == [code] and shown["listed"] == 1
            water = s.scalars(select(LedgerItem).where(LedgerItem.category == "饮水")).all()
            assert len(water) == 2 and all(i.key_project and i.key_project.name == "冬季饮水管网防冻" for i in water)
    finally:
        engine.dispose()
    shots = OUT / "screenshots"
    for name in SHOTS:
        assert (shots / name).stat().st_size > 10_000, name
    if os.environ.get("MINXIN_UPDATE_SCREENSHOTS") == "1":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        for name in SHOTS:
            shutil.copyfile(shots / name, docs / name)
