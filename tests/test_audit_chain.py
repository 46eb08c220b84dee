"""The audit chain in both modes (inline: chained in the writing transaction; deferred: chained
right after the commit by one appender at a time), on SQLite and PostgreSQL: what audit-verify
runs (`chain_pending`, `verify_chain`, `check_anchors`) catches an event removed, changed or
reordered behind the application's back."""
from __future__ import annotations

import shutil

import pytest
from scale_services import create_database, drop_database
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit, db
from core.models import AuditEvent


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, migrated_db):
    if request.param == "sqlite":
        path = tmp_path / "chain.sqlite"
        shutil.copyfile(migrated_db, path)
        eng = db.make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    from ops.migrate import upgrade

    try:
        name, url = create_database()
    except Exception as exc:  # noqa: BLE001 - no server here: the SQLite half still runs
        pytest.skip(f"PostgreSQL not available: {exc}")
    upgrade(url)
    eng = db.make_engine(url)
    yield eng
    eng.dispose()
    drop_database(name)


@pytest.fixture(params=audit.MODES)
def mode(request):
    audit.use_key(b"test-chain-key")
    audit.use_mode(request.param)
    yield request.param
    audit.use_mode(None)
    audit.use_key(None)


def _write(engine, n: int) -> list[int]:
    ids = []
    for i in range(n):
        with Session(engine) as s:
            ids.append(audit.record(s, "test.write", object_type="Test", object_id=i, after={"n": i}).id)
            s.commit()
    return ids


def _verify(engine, anchors=()) -> list[str]:
    """What `minxin audit-verify` does."""
    audit.chain_pending(engine)
    with Session(engine) as s:
        return audit.verify_chain(s) + audit.check_anchors(s, anchors)


def _by_seq(engine) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_each_mode_chains_every_committed_event_in_order(engine, mode):
    ids = _write(engine, 5)
    events = _by_seq(engine)
    # Committed one after another, so chained in that order, each onto the one before.
    assert [e.id for e in events] == ids and [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert all(e.seal for e in events)
    assert _verify(engine) == []


def test_a_changed_event_is_caught(engine, mode):
    ids = _write(engine, 5)
    with engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(after={"n": 99}))
    assert _verify(engine) == [f"event {ids[2]}: content does not match its hash"]


def test_a_removed_event_is_caught(engine, mode):
    ids = _write(engine, 5)
    with engine.begin() as conn:
        conn.execute(AuditEvent.__table__.delete().where(AuditEvent.id == ids[2]))
    problems = _verify(engine)
    assert problems and f"event {ids[3]}: chain broken" in problems[0]


def test_reordered_events_are_caught(engine, mode):
    ids = _write(engine, 5)
    events = {e.id: e for e in _by_seq(engine)}
    t = AuditEvent.__table__
    # Swap the chain positions of the second and third event.
    with engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == ids[1]).values(seq=-1))
        conn.execute(t.update().where(t.c.id == ids[2]).values(seq=events[ids[1]].seq))
        conn.execute(t.update().where(t.c.id == ids[1]).values(seq=events[ids[2]].seq))
    assert any("chain broken" in p for p in _verify(engine))
    # Put back, then swap their contents instead (the order read by id or by time).
    with engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == ids[1]).values(seq=-1))
        conn.execute(t.update().where(t.c.id == ids[2]).values(seq=events[ids[2]].seq))
        conn.execute(t.update().where(t.c.id == ids[1]).values(seq=events[ids[1]].seq))
    assert _verify(engine) == []
    with engine.begin() as conn:
        for a, b in ((ids[1], ids[2]), (ids[2], ids[1])):
            conn.execute(t.update().where(t.c.id == a).values(at=events[b].at, object_id=events[b].object_id,
                                                               after=events[b].after))
    assert any("content does not match" in p for p in _verify(engine))


def test_events_cut_off_the_end_are_caught_by_an_anchor(engine, mode):
    _write(engine, 4)
    audit.chain_pending(engine)
    with Session(engine) as s:
        head = audit.chain_head(s)
    assert _verify(engine, [head]) == []
    with engine.begin() as conn:
        conn.execute(AuditEvent.__table__.delete().where(AuditEvent.id == head[0]))
    assert _verify(engine, [head]) == [f"event {head[0]}: seen by an earlier check, now missing "
                                        "(events were removed from the end of the log)"]


def test_an_unchained_event_is_sealed_and_chained_by_the_next_appender(engine, monkeypatch):
    """Deferred mode: a writer that dies between its commit and its chaining leaves its event
    unchained. Its seal shows an edit meanwhile; the next appender (audit-verify) chains it."""
    audit.use_key(b"test-chain-key")
    audit.use_mode("deferred")
    try:
        _write(engine, 2)
        monkeypatch.setattr(audit, "chain_pending", lambda *a, **k: 0)  # the writer dies after commit
        lost = _write(engine, 2)
        monkeypatch.undo()
        with Session(engine) as s:
            unchained = s.scalars(select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)).all()
            assert unchained == lost
            assert audit.verify_chain(s) == []  # sealed and intact, just not chained yet
        with engine.begin() as conn:
            conn.execute(update(AuditEvent).where(AuditEvent.id == lost[0]).values(actor_label="mallory"))
        with Session(engine) as s:
            assert audit.verify_chain(s) == [f"event {lost[0]}: content does not match its seal (not chained yet)"]
        assert audit.chain_pending(engine) == 2
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))) == 0
            # Chained now, the edit made before chaining still shows: the seal was written with the event.
            assert audit.verify_chain(s) == [f"event {lost[0]}: content does not match its hash"]
    finally:
        audit.use_mode(None)
        audit.use_key(None)


def test_rekey_resigns_hashes_and_seals(engine, mode):
    _write(engine, 3)
    with Session(engine) as s:
        assert audit.rekey_chain(s, b"test-chain-key", b"new-key") == 3
        s.commit()
    assert any("does not match" in p for p in _verify(engine))  # still checked under the old key
    audit.use_key(b"new-key")
    assert _verify(engine) == []
