"""Hostile text and the audit log.

Text: transcripts and reviewer edits carrying HTML/JS are escaped on every page that shows
them; spreadsheet exports never hand a formula to Excel (= + - @ tab CR); public exports show
no phone numbers; over-long fields and invalid dates are refused with a reason and change
nothing. Counted like the upload corpus.

Audit: no code path writes AuditEvent except `core.audit.record`, no route edits it, and
`minxin audit-verify` reports a row edited or deleted with raw SQL (exit code non-zero).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.hostile.counts import report
from tests.hostile.support import Media, login_client

REPO = Path(__file__).resolve().parents[1]
XSS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)>",
    "</textarea><script>alert(2)</script>",
    "</script><script>alert(3)</script>",
    '<a href="javascript:alert(4)">x</a>',
    "<b onmouseover=alert(5)>粗</b>",
)
TEXT_FIELDS = ("place", "interviewee", "visit_time", "problem", "solution", "reflections")
FORMULAS = ("=HYPERLINK(\"http://evil\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1")


def _capture_with_text(app, session, cadre, pieces_text, n):
    """A capture whose transcript is `pieces_text`, with its draft entry, ready for review."""
    from capture import states
    from capture.intake import ingest
    from capture.storage import get_storage
    from diary import entries
    from recognize.transcript import Piece, RecognizedText

    capture = ingest(session, get_storage(app.config), cadre, [("memo.wav", Media.wav(7000 + n))])
    result = RecognizedText.join([Piece(text=t, confidence=0.9, start=i, end=i + 1) for i, t in enumerate(pieces_text)],
                             engine="fake", model="hostile")
    entry = entries.store_recognition(session, capture, result)
    states.move(session, capture, states.CaptureStatus.READY_FOR_REVIEW, after={"entry_id": entry.id})
    session.commit()
    return capture


def _escaped_everywhere(pages: dict[str, str], payload: str) -> list[str]:
    return [name for name, html in pages.items() if payload in html]


def _pages(sup, cadre, capture_id):
    return {
        "review screen": sup.get(f"/review/{capture_id}").get_data(as_text=True),
        "review queue": sup.get("/review/").get_data(as_text=True),
        "capture detail": cadre.get(f"/capture/{capture_id}").get_data(as_text=True),
        "correction form": cadre.get(f"/review/mine/{capture_id}").get_data(as_text=True),
        "capture list": cadre.get("/capture/").get_data(as_text=True),
    }


def test_hostile_text_is_escaped_or_refused_everywhere(app, session, users, request):
    from diary.models import DiaryEntry

    sup, sup_token = login_client(app, "sup_gulouzi")
    cadre, _ = login_client(app, "cadre_a")
    tried, wrong = 0, []

    # Transcripts carrying markup (speech or handwriting can produce any text).
    for n, payload in enumerate(XSS):
        capture = _capture_with_text(app, session, users["cadre_a"],
                                     ["今天到南荒沟村走访", f"张大爷反映{payload}", f"问题：{payload}"], n)
        tried += 1
        leaked = _escaped_everywhere(_pages(sup, cadre, capture.id), payload)
        if leaked:
            wrong.append(f"transcript {payload!r} unescaped on {leaked}")

    # Reviewer edits carrying markup, in every text field.
    target = _capture_with_text(app, session, users["cadre_a"], ["今天到南荒沟村走访张大爷"], 99)
    for payload in XSS:
        for field in TEXT_FIELDS:
            tried += 1
            session.expire_all()
            before = session.get(DiaryEntry, target.entry.id).version
            resp = sup.post(f"/review/{target.id}/save", data={"csrf_token": sup_token, field: payload})
            session.expire_all()
            entry = session.get(DiaryEntry, target.entry.id)
            if resp.status_code == 302:
                if getattr(entry, field) != payload:
                    wrong.append(f"{field} {payload!r}: saved as {getattr(entry, field)!r}")
            elif resp.status_code == 400:
                if entry.version != before or "太长" not in resp.get_data(as_text=True):
                    wrong.append(f"{field} {payload!r}: refused without reason or changed")
            else:
                wrong.append(f"{field} {payload!r}: status {resp.status_code}")
            leaked = _escaped_everywhere(_pages(sup, cadre, target.id), payload)
            if leaked:
                wrong.append(f"{field} {payload!r} unescaped on {leaked}")

    # Over-long fields, invalid dates and values outside the lists: 400 with a reason, nothing changed.
    refusals = [("place", "村" * 129), ("interviewee", "张" * 65), ("visit_time", "上午" * 17),
                ("problem", "问" * 4001), ("solution", "解" * 20000), ("reflections", "心" * 100000),
                ("visit_date", "2024-02-30"), ("visit_date", "2024-13-01"), ("visit_date", "昨天"),
                ("visit_date", "0000-00-00"), ("visit_date", "2024-01-01T00:00"), ("visit_date", "9" * 500),
                ("visit_method", "<script>"), ("visit_method", "上门"), ("category", "=1+1"), ("category", "其它类")]
    for field, value in refusals:
        tried += 1
        session.expire_all()
        before = session.get(DiaryEntry, target.entry.id).version
        resp = sup.post(f"/review/{target.id}/save", data={"csrf_token": sup_token, field: value})
        session.expire_all()
        after = session.get(DiaryEntry, target.entry.id).version
        body = resp.get_data(as_text=True)
        if resp.status_code != 400 or after != before or not re.search(r'class="[^"]*error', body):
            wrong.append(f"{field}={value[:20]!r}: status {resp.status_code}, version {before}->{after}")

    passed = tried - len(wrong)
    report("bad inputs: hostile text on pages", tried, passed, config=request.config)
    assert not wrong, "\n".join(wrong)


def _ledger_item(session, users, n, **fields):
    from diary.models import DiaryEntry
    from ledger import workflow as wf

    entry = DiaryEntry(cadre_id=users["cadre_a"].id, org_unit_id=users["cadre_a"].org_unit_id, status="confirmed",
                       problem=f"问题{n}", interviewee="张大爷", place="南荒沟村", category="饮水")
    session.add(entry)
    session.flush()
    item = wf.open_item_from_entry(session, entry, users["sup_gulouzi"])
    for k, v in fields.items():
        setattr(item, k, v)
    session.commit()
    return item


def test_exports_never_hand_a_formula_to_a_spreadsheet(session, org, users, request):
    from openpyxl import load_workbook

    from ledger.exports import export_csv, export_xlsx

    columns = ("problem", "result", "responsible_unit", "place", "reporter")
    n = 0
    for payload in FORMULAS:
        for column in columns:
            n += 1
            _ledger_item(session, users, n, **{column: payload})
    tried, wrong = 0, []
    for public in (False, True):
        data = export_csv(session, org["宽甸县"], public=public)
        for row in csv.reader(io.StringIO(data.lstrip("\ufeff"))):
            for cell in row:
                tried += 1
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    wrong.append(f"csv public={public}: {cell!r}")
        wb = load_workbook(io.BytesIO(export_xlsx(session, org["宽甸县"], public=public)))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    tried += 1
                    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r"):
                        wrong.append(f"xlsx public={public}: {cell.coordinate} {cell.value!r}")
    report("bad inputs: export cells (csv/xlsx)", tried, tried - len(wrong), what="cells", config=request.config)
    assert not wrong, wrong[:20]


def test_public_exports_show_no_phone_numbers_or_names(session, org, users):
    from ledger.exports import export_csv

    _ledger_item(session, users, 1, problem="张大爷（电话13912345678）家的水管冻裂，身份证210624196504123013",
                 reporter="张大爷")
    internal = export_csv(session, org["宽甸县"])
    public = export_csv(session, org["宽甸县"], public=True)
    assert "13912345678" in internal  # the ledger itself keeps what officials need
    for secret in ("13912345678", "210624196504123013", "张大爷"):
        assert secret not in public, secret


def test_printable_diary_escapes_markup(session, org, users):
    import datetime as dt

    from diary.models import DiaryEntry
    from ledger.exports import printable_diary

    for i, payload in enumerate(XSS):
        session.add(DiaryEntry(cadre_id=users["cadre_a"].id, org_unit_id=users["cadre_a"].org_unit_id,
                               status="confirmed", visit_date=dt.date(2025, 5, 1 + i), problem=payload,
                               place=payload[:128], interviewee=payload[:64], solution=payload, reflections=payload))
    session.commit()
    page = printable_diary(session, users["cadre_a"], 2025, 5)
    for payload in XSS:
        assert payload not in page


# --- the audit log --------------------------------------------------------------------------------


def test_only_audit_record_writes_audit_events():
    """Static: AuditEvent is constructed in core/audit.py only, and nothing updates or deletes it."""
    offenders = []
    for path in [*REPO.glob("ledger/**/*.py"), *REPO.glob("webapp/**/*.py"), *REPO.glob("capture/**/*.py")]:
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if path.name != "audit.py" or path.parent.name != "ledger":
            if re.search(r"(?<!class )\bAuditEvent\(", source):
                offenders.append(f"{path.relative_to(REPO)} builds AuditEvent")
        if re.search(r"(update|delete)\(\s*AuditEvent|audit_events\b.*\b(UPDATE|DELETE)|"
                     r"(UPDATE|DELETE FROM)\s+audit_events", source, re.I):
            offenders.append(f"{path.relative_to(REPO)} updates or deletes audit events")
    assert not offenders, offenders


def test_no_route_edits_the_audit_log(app, users, session):
    """No URL mentions audit; a full review round through the app keeps the chain intact."""
    from core.audit import verify_chain
    from core.models import AuditEvent

    assert not [r.rule for r in app.url_map.iter_rules() if "audit" in r.rule.lower()]
    capture = _capture_with_text(app, session, users["cadre_a"], ["今天到南荒沟村走访张大爷", "反映自来水停水"], 1)
    sup, token = login_client(app, "sup_gulouzi")
    assert sup.post(f"/review/{capture.id}/save", data={"csrf_token": token, "problem": "自来水冬天冻裂"}).status_code == 302
    assert sup.post(f"/review/{capture.id}/return", data={"csrf_token": token, "comment": "补充"}).status_code == 302
    session.expire_all()
    assert session.scalars(select(AuditEvent)).all() and verify_chain(session) == []


@pytest.mark.parametrize("tamper", ["edit after", "edit actor", "re-hash edited row", "delete middle row"])
def test_audit_verify_detects_raw_sql_tampering(app, session, users, monkeypatch, tamper):
    from webapp.cli import cli

    _capture_with_text(app, session, users["cadre_a"], ["走访南荒沟村"], 2)
    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MINXIN_DATA_DIR", app.config["DATA_DIR"])
    runner = CliRunner()
    clean = runner.invoke(cli, ["audit-verify"])
    assert clean.exit_code == 0, clean.output
    engine = app.extensions["minxin.engine"]
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars().all()
        victim = ids[len(ids) // 2]
        if tamper == "edit after":
            conn.execute(text("UPDATE audit_events SET after = :a WHERE id = :i"),
                         {"a": '{"login": "someone_else"}', "i": victim})
        elif tamper == "edit actor":
            conn.execute(text("UPDATE audit_events SET actor_label = 'admin' WHERE id = :i"), {"i": victim})
        elif tamper == "re-hash edited row":
            # The forger recomputes the edited row's own hash; the next row still points at the old one.
            from sqlalchemy.orm import Session

            from core.audit import event_digest
            from core.models import AuditEvent

            with Session(bind=conn) as s:
                event = s.get(AuditEvent, victim)
                event.actor_label = "admin"
                event.hash = event_digest(event)
                s.flush()
        else:
            conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": victim})
    result = runner.invoke(cli, ["audit-verify"])
    assert result.exit_code != 0
    assert "审计链有" in result.output and re.search(r"event \d+", result.output)
