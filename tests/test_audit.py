"""Every change leaves an audit event; the hash chain shows edits behind the application's back."""
from __future__ import annotations

from sqlalchemy import select, update

from capture.models import Capture
from core.audit import verify_chain
from core.models import AuditEvent
from diary.models import DiaryEntry, Transcript
from jobs import operations as jobs
from jobs.models import Job
from org.models import User
from org.users import set_active, set_password


def _events(session):
    session.expire_all()
    return session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_each_write_path_is_audited_with_before_and_after(session, users, make_capture):
    start = len(_events(session))
    admin, cadre = users["admin"], users["cadre_a"]
    set_password(session, cadre, "another-pass-1", actor=admin)
    set_active(session, users["cadre_b"], False, actor=admin)
    session.commit()
    capture = make_capture(cadre)
    job = jobs.enqueue_recognition(session, capture)
    assert jobs.run_job(job.id, "w1") == "done"

    new = _events(session)[start:]
    by_action = {}
    for e in new:
        by_action.setdefault(e.action, []).append(e)
    assert [e.action for e in new] == [
        "user.password", "user.deactivate", "capture.create", "job.enqueue", "job.claim",
        "capture.status", "transcript.create", "entry.create", "capture.status", "job.done",
    ]
    pw = by_action["user.password"][0]
    assert pw.actor_label == "admin" and pw.object_id == cadre.id and "scrypt" not in str(pw.after)
    deact = by_action["user.deactivate"][0]
    assert deact.before == {"active": True} and deact.after == {"active": False}
    created = by_action["capture.create"][0]
    assert created.actor_id == cadre.id and created.object_type == "Capture" and created.object_id == capture.id
    statuses = [(e.before["status"], e.after["status"]) for e in by_action["capture.status"]]
    assert statuses == [("received", "recognizing"), ("recognizing", "ready_for_review")]
    entry = session.scalars(select(DiaryEntry)).one()
    assert by_action["entry.create"][0].object_id == entry.id
    assert by_action["entry.create"][0].after["status"] == "draft"
    assert by_action["transcript.create"][0].object_id == session.scalars(select(Transcript.id)).one()
    assert by_action["job.done"][0].object_id == job.id and by_action["job.done"][0].actor_label == "system"
    assert verify_chain(session) == []


def test_rows_and_audit_agree(session, users, org):
    """Nothing created without its event: one create event per org unit and user."""
    creates = {(e.object_type, e.object_id) for e in _events(session) if e.action.endswith(".create")}
    for u in session.scalars(select(User)):
        assert ("User", u.id) in creates
    for unit in org.values():
        assert ("OrgUnit", unit.id) in creates


def test_editing_or_removing_an_event_breaks_the_chain(session, users):
    assert verify_chain(session) == []
    events = _events(session)
    session.execute(update(AuditEvent).where(AuditEvent.id == events[2].id)
                    .values(after={"login": "someone-else"}))
    session.commit()
    problems = verify_chain(session)
    assert problems == [f"event {events[2].id}: content does not match its hash"]
    session.execute(update(AuditEvent).where(AuditEvent.id == events[2].id).values(after=events[2].after))
    session.commit()
    session.delete(session.get(AuditEvent, events[4].id))
    session.commit()
    assert any(f"event {events[5].id}: chain broken" in p for p in verify_chain(session))


def test_failed_job_is_audited_on_job_and_capture(session, users, make_capture, media):
    capture = make_capture(users["cadre_a"], [("p.png", media.image(text="FAKE-UNRECOGNIZABLE"))])
    job = jobs.enqueue_recognition(session, capture)
    jobs.run_job(job.id, "w1")
    events = [e for e in _events(session) if e.action in ("job.fail", "capture.status")]
    assert [e.action for e in events] == ["capture.status", "job.fail", "capture.status"]
    assert events[-1].after["status"] == "failed" and events[-1].after["error"].startswith("无法识别")
    assert session.get(Job, job.id).status == "failed" and session.get(Capture, capture.id).status == "failed"
