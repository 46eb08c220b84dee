"""Deadlines across month ends, the due/overdue report per unit, the daily job, and an email
delivered to a real SMTP conversation with a server thread on 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import email
import socketserver
import threading
from email.policy import default as default_policy

import pytest

from core.models import AuditEvent
from ledger import deadlines
from ledger import workflow as wf
from ledger.models import LedgerItem
from tests.ledger_helpers import make_entry


def _item(status="in_progress", deadline=None):
    return LedgerItem(status=status, deadline=deadline, problem="x", code="X")


@pytest.mark.parametrize("deadline,today,overdue,left", [
    (dt.date(2024, 1, 31), dt.date(2024, 1, 31), 0, 0),    # due today: not overdue yet
    (dt.date(2024, 1, 31), dt.date(2024, 2, 1), 1, -1),    # across the month end
    (dt.date(2024, 1, 31), dt.date(2024, 3, 1), 30, -30),  # 2024 is a leap year: Feb has 29 days
    (dt.date(2023, 1, 31), dt.date(2023, 3, 1), 29, -29),
    (dt.date(2024, 2, 28), dt.date(2024, 2, 29), 1, -1),   # Feb 29 exists in 2024
    (dt.date(2024, 2, 29), dt.date(2024, 3, 1), 1, -1),
    (dt.date(2023, 2, 28), dt.date(2023, 3, 1), 1, -1),    # ... and not in 2023
    (dt.date(2023, 12, 31), dt.date(2024, 1, 1), 1, -1),   # across the year end
    (dt.date(2024, 3, 1), dt.date(2024, 2, 27), 0, 3),     # due in 3 days across Feb 29
    (dt.date(2023, 3, 1), dt.date(2023, 2, 26), 0, 3),
])
def test_overdue_across_month_ends(deadline, today, overdue, left):
    item = _item(deadline=deadline)
    assert deadlines.days_overdue(item, today) == overdue
    assert deadlines.is_overdue(item, today) == (overdue > 0)
    assert deadlines.days_left(item, today) == left
    assert deadlines.is_due_soon(item, today) == (0 <= left <= 3)


def test_due_soon_window_edges():
    today = dt.date(2024, 2, 26)
    assert not deadlines.is_due_soon(_item(deadline=dt.date(2024, 3, 1)), today)  # 4 days: 26→27→28→29→1
    assert deadlines.is_due_soon(_item(deadline=dt.date(2024, 2, 29)), today)


def test_only_items_someone_still_works_on_are_overdue():
    late = dt.date(2024, 1, 1)
    for status in ("done", "closed", "merged"):
        assert not deadlines.is_overdue(_item(status, late), dt.date(2024, 2, 1))
    for status in ("open", "in_progress", "escalated", "reopened"):
        assert deadlines.is_overdue(_item(status, late), dt.date(2024, 2, 1))
    assert not deadlines.is_overdue(_item("in_progress", None), dt.date(2024, 2, 1))


def test_local_today_is_china_time():
    assert deadlines.local_today(dt.datetime(2024, 1, 31, 16, 30, tzinfo=dt.timezone.utc)) == dt.date(2024, 2, 1)
    assert deadlines.local_today(dt.datetime(2024, 1, 31, 15, 59)) == dt.date(2024, 1, 31)


def _deadline_items(c):
    s = c.session
    made = {}
    for name, cadre, deadline in (("jan31", "cadre_a", dt.date(2024, 1, 31)), ("feb02", "cadre_a", dt.date(2024, 2, 2)),
                                  ("feb04", "cadre_c", dt.date(2024, 2, 4)), ("feb05", "cadre_c", dt.date(2024, 2, 5)),
                                  ("mar01", "cadre_b", dt.date(2024, 3, 1))):
        item = wf.open_item_from_entry(s, make_entry(s, c.users[cadre], f"问题{name}"), c.users[cadre])
        wf.set_deadline(s, item, c.users[cadre], deadline, "村委会", today=dt.date(2024, 1, 20))
        made[name] = item
    s.flush()
    return made


def test_due_report_per_unit(county):
    c = county
    made = _deadline_items(c)
    report = deadlines.due_report(c.session, dt.date(2024, 2, 1))
    by_unit = {u.unit.name: ([i.id for i in u.overdue], [i.id for i in u.due_soon]) for u in report}
    assert by_unit == {
        "南荒沟村": ([made["jan31"].id], [made["feb02"].id]),
        "步达远村": ([], [made["feb04"].id]),
    }
    within = deadlines.due_report(c.session, dt.date(2024, 2, 1), within=c.units["步达远镇"])
    assert [u.unit.name for u in within] == ["步达远村"]
    # Closing one removes it; on Feb 27 only the Mar 1 item (3 days across Feb 29) is due soon.
    report = deadlines.due_report(c.session, dt.date(2024, 2, 27))
    assert {u.unit.name: len(u.due_soon) for u in report}["大古岭村"] == 1


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def handle(self):
        def reply(line):
            self.wfile.write((line + "\r\n").encode())

        reply("220 test ESMTP")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                reply("250-test")
                reply("250 8BITMIME")
            elif verb == "HELO":
                reply("250 test")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].split()[0].strip("<>"), []
                reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
                reply("250 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    raw = self.rfile.readline()
                    if raw in (b".\r\n", b".\n", b""):
                        break
                    data.append(raw[1:] if raw.startswith(b"..") else raw)
                self.server.messages.append((sender, rcpts, b"".join(data)))
                reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                reply("250 OK")
            elif verb == "QUIT":
                reply("221 Bye")
                return
            else:
                reply("502 not implemented")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_daily_job_emails_each_unit_through_smtp(county, smtp_server):
    c = county
    made = _deadline_items(c)
    channel = deadlines.channel_from_config({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.server_address[1],
                                             "SMTP_FROM": "minxin@kuandian.example"})
    recipients = deadlines.recipients_from_config(
        {"NOTIFY_RECIPIENTS": "南荒沟村=nhg@kuandian.example;步达远镇=bdy@kuandian.example,boss@kuandian.example"})
    result = deadlines.run_daily(c.session, today=dt.date(2024, 2, 1), channel=channel, recipients=recipients)
    assert result.failed == [] and result.unaddressed == []
    assert sorted(result.sent) == [("南荒沟村", ["nhg@kuandian.example"]),
                                   ("步达远村", ["bdy@kuandian.example", "boss@kuandian.example"])]  # via the township
    assert len(smtp_server.messages) == 2
    by_rcpt = {tuple(r): (s, email.message_from_bytes(d, policy=default_policy)) for s, r, d in smtp_server.messages}
    sender, msg = by_rcpt[("nhg@kuandian.example",)]
    assert sender == "minxin@kuandian.example"
    assert msg["Subject"] == "【民心日记】南荒沟村台账提醒（2024-02-01）：逾期1件，3日内到期1件"
    body = msg.get_content()
    assert f"[{made['jan31'].code}]" in body and "逾期 1 天" in body
    assert f"[{made['feb02'].code}]" in body and "剩余 1 天" in body
    sender, msg = by_rcpt[("bdy@kuandian.example", "boss@kuandian.example")]
    assert f"[{made['feb04'].code}]" in msg.get_content() and made["feb05"].code not in msg.get_content()
    c.session.flush()
    ev = c.session.query(AuditEvent).filter_by(action="ledger.daily").one()
    assert ev.after["overdue"] == 1 and ev.after["due_soon"] == 2 and sorted(ev.after["sent"]) == ["南荒沟村", "步达远村"]


def test_daily_job_reports_unreachable_server_and_missing_recipients(county):
    c = county
    _deadline_items(c)
    dead = deadlines.SMTPChannel("127.0.0.1", port=1, timeout=2)
    result = deadlines.run_daily(c.session, today=dt.date(2024, 2, 1), channel=dead,
                                 recipients={"宽甸县": ["all@kuandian.example"], "步达远村": []})
    assert [name for name, _ in result.failed] == ["南荒沟村", "步达远村"]
    assert result.sent == []
    memory = deadlines.MemoryChannel()
    result = deadlines.run_daily(c.session, today=dt.date(2024, 2, 1), channel=memory,
                                 recipients={"南荒沟村": ["a@x.example"]})
    assert result.unaddressed == ["步达远村"] and len(memory.sent) == 1
    assert deadlines.channel_from_config({"SMTP_HOST": ""}) is None
    assert deadlines.channel_from_config({"SMTP_HOST": "mail.example"}) == deadlines.SMTPChannel("mail.example", 25)
    # MINXIN_SMTP_* reach the channel through the settings' config (core.settings)
    from core.settings import Settings

    config = Settings.from_env({"MINXIN_SMTP_HOST": "mail.example", "MINXIN_SMTP_PORT": "2525"}).as_config()
    assert deadlines.channel_from_config(config) == deadlines.SMTPChannel("mail.example", 2525)
