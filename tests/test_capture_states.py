"""The one door for a capture's status (capture.states): the table, `move`, and the guards that
refuse every other way (a direct assignment, an UPDATE statement, a transition the table lacks);
`capture.submit.submit` storing an upload and queueing it only on the caller's commit."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from capture import states
from capture.models import Capture
from capture.states import IN_RECOGNITION, TRANSITIONS, CaptureStatus, IllegalTransition, UnauditedStatusChange
from core.models import AuditEvent
from jobs import operations as jobs
from jobs.models import Job

_seq = [0]


def _row(session, user, status: str) -> Capture:
    """A capture written as a row in `status` (as fixtures and restores write them)."""
    _seq[0] += 1
    capture = Capture(kind="audio", status=status, uploader_id=user.id, org_unit_id=user.org_unit_id,
                      fingerprint=hashlib.sha256(f"door-{_seq[0]}".encode()).hexdigest())
    session.add(capture)
    session.commit()
    return capture


def _events(session, capture, action=None):
    query = select(AuditEvent).where(AuditEvent.object_type == "Capture", AuditEvent.object_id == capture.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.order_by(AuditEvent.id)))


def test_the_stored_strings_are_those_of_before():
    assert [s.value for s in CaptureStatus] == [
        "received", "recognizing", "ready_for_review", "confirmed", "returned", "rejected", "failed"]
    assert CaptureStatus.READY_FOR_REVIEW == "ready_for_review"
    assert IN_RECOGNITION == ("received", "recognizing")
    # Every status can be reached from a new capture.
    reached, frontier = set(), {None}
    while frontier:
        frontier = {to for (src, to) in TRANSITIONS if src in frontier} - reached
        reached |= frontier
    assert reached == set(CaptureStatus)


@pytest.mark.parametrize("source,target", [k for k in TRANSITIONS if k[0] is not None],
                         ids=lambda v: str(v))
def test_each_transition_writes_the_status_and_its_event(session, users, source, target):
    capture = _row(session, users["cadre_a"], source)
    states.move(session, capture, target, actor=users["sup_gulouzi"], after={"note": "x"})
    session.commit()
    session.expire_all()
    assert session.get(Capture, capture.id).status == target.value
    [event] = _events(session, capture)
    assert event.action == TRANSITIONS[(source, target)]
    assert event.before == {"status": source.value}
    assert event.after == {"status": target.value, "note": "x"}
    assert event.actor_id == users["sup_gulouzi"].id


def test_a_transition_the_table_lacks_is_refused_and_changes_nothing(session, users):
    capture = _row(session, users["cadre_a"], "confirmed")
    with pytest.raises(IllegalTransition):
        states.move(session, capture, CaptureStatus.RECOGNIZING)
    assert not states.can_move("confirmed", "recognizing")
    assert states.can_move("failed", "received")
    session.commit()
    session.expire_all()
    assert session.get(Capture, capture.id).status == "confirmed"
    assert _events(session, capture) == []


def test_assigning_the_status_directly_is_refused_at_the_flush(session, users):
    capture = _row(session, users["cadre_a"], "ready_for_review")
    capture.status = "confirmed"
    with pytest.raises(UnauditedStatusChange):
        session.flush()
    session.rollback()
    assert session.get(Capture, capture.id).status == "ready_for_review"
    # The same with the enum, and through a commit.
    capture.status = CaptureStatus.REJECTED
    with pytest.raises(UnauditedStatusChange):
        session.commit()
    session.rollback()
    session.expire_all()
    assert session.get(Capture, capture.id).status == "ready_for_review"
    assert _events(session, capture) == []


def test_overriding_the_door_before_the_flush_is_refused(session, users, monkeypatch):
    capture = _row(session, users["cadre_a"], "ready_for_review")
    # Keep the door's own flush from happening, then change the status behind it.
    monkeypatch.setattr(states.audit, "record", lambda *a, **k: None)
    states.move(session, capture, CaptureStatus.RETURNED)
    capture.status = "confirmed"
    with pytest.raises(UnauditedStatusChange):
        session.flush()
    session.rollback()


def test_the_guard_holds_for_any_session_and_other_fields_stay_free(app, session, users):
    capture = _row(session, users["cadre_a"], "received")
    engine = app.extensions["minxin.engine"]
    with Session(engine) as other:
        mine = other.get(Capture, capture.id)
        mine.progress, mine.error = 0.5, "slow"  # not a status: no door needed
        other.commit()
        mine.status = "recognizing"
        with pytest.raises(UnauditedStatusChange):
            other.commit()


def test_an_update_statement_setting_the_status_is_refused(session, users):
    capture = _row(session, users["cadre_a"], "failed")
    for statement in (update(Capture).where(Capture.id == capture.id).values(status="received"),
                      Capture.__table__.update().where(Capture.__table__.c.id == capture.id)
                      .values(status="received")):
        with pytest.raises(UnauditedStatusChange):
            session.execute(statement)
        session.rollback()
    # Progress is written this way by the worker, and stays allowed.
    session.execute(Capture.__table__.update().where(Capture.__table__.c.id == capture.id).values(progress=0.3))
    session.commit()
    session.expire_all()
    assert (session.get(Capture, capture.id).status, session.get(Capture, capture.id).progress) == ("failed", 0.3)


class _Recording(jobs.JobQueue):
    name = "recording"

    def __init__(self):
        self.submitted = []

    def submit(self, job_id, queue_name):
        self.submitted.append((job_id, queue_name))


def test_submit_flushes_and_queues_only_after_the_callers_commit(session, users, storage, media):
    from capture.submit import submit

    queue = _Recording()
    capture = submit(session, storage, users["cadre_a"], [("memo.wav", media.wav(0.2, tone=91))], queue=queue)
    job = capture.jobs[-1]
    assert capture.status == "received" and job.status == "queued"
    assert [e.action for e in _events(session, capture)] == ["capture.create"]
    assert queue.submitted == []  # not committed yet: nothing for a worker to find
    session.commit()
    assert queue.submitted == [(job.id, "speech")]
    session.commit()
    assert len(queue.submitted) == 1  # handed over once

    # Rolled back: neither rows nor a hand-over.
    other = submit(session, storage, users["cadre_a"], [("memo2.wav", media.wav(0.2, tone=92))], queue=queue)
    other_id = other.id
    session.rollback()
    session.commit()
    assert len(queue.submitted) == 1
    assert session.get(Capture, other_id) is None
    assert session.scalars(select(Job).where(Job.capture_id == other_id)).first() is None


def test_a_job_finishing_for_a_capture_no_longer_in_recognition_leaves_its_status(app, session, users,
                                                                                   make_capture):
    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    # Sent back to its cadre meanwhile (returned -> ready_for_review is the cadre's resubmit only).
    states.move(session, capture, CaptureStatus.READY_FOR_REVIEW)
    states.move(session, capture, CaptureStatus.RETURNED, actor=users["sup_gulouzi"])
    session.commit()
    assert jobs.run_job(job.id, "w1") == "done"
    session.expire_all()
    assert session.get(Capture, capture.id).status == "returned"
    assert _events(session, capture, "capture.resubmit") == []
    last = _events(session, capture, "capture.status")[-1]
    assert last.before == {"status": "returned"} and last.after["status"] == "returned"
    assert last.after["entry_id"] == session.get(Capture, capture.id).entry.id
