"""The one place that keeps the search index current: listeners on every flush note the diary
entries, ledger items (with their feedback) and transcripts the flush wrote, then read them back
and rewrite their rows of `search_docs` (and, on SQLite, of the FTS5 table), in the same
transaction.

`reindex_all` rebuilds everything (after an upgrade, or a bulk load that went around the ORM)."""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from capture.models import Capture
from diary.models import DiaryEntry, Transcript
from ledger.models import Feedback, LedgerItem
from search.models import SearchDoc
from search.words import index_words

FTS_TABLE = "search_fts"


def _entry_doc(e: DiaryEntry) -> Optional[dict]:
    cadre = e.cadre.display_name if e.cadre is not None else ""
    texts = (e.place, e.problem, e.solution, e.reflections, e.category)
    return {"kind": "entry", "ref_id": e.id, "org_unit_id": e.org_unit_id, "owner_id": e.cadre_id,
            "at": e.created_at, "title": " · ".join(x for x in (str(e.visit_date or ""), e.place, e.interviewee,
                                                                 cadre) if x)[:255],
            "body": "\n".join(x for x in (e.problem, e.solution) if x),
            "words": index_words(texts, names=(e.interviewee, e.place, cadre))}


def _item_doc(i: LedgerItem) -> Optional[dict]:
    if i.status == "merged":
        return None
    notes = [f.note for f in i.feedbacks if f.note]
    return {"kind": "item", "ref_id": i.id, "org_unit_id": i.org_unit_id, "owner_id": None,
            "at": i.opened_at, "title": " · ".join(x for x in (i.code, i.place, i.reporter) if x)[:255],
            "body": "\n".join(x for x in (i.problem, i.result, *notes) if x),
            "words": index_words((i.problem, i.result, i.outcome_reason, i.place, i.category, *notes),
                                 names=(i.reporter, i.place), codes=(i.code,))}


def _transcript_doc(t: Transcript, capture: Optional[Capture]) -> Optional[dict]:
    if capture is None or not (t.text or "").strip():
        return None
    return {"kind": "transcript", "ref_id": t.id, "org_unit_id": capture.org_unit_id,
            "owner_id": capture.uploader_id, "at": capture.received_at or t.created_at,
            "title": f"#{capture.id}", "body": t.text, "words": index_words((t.text,))}


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def ensure_fts(conn: Connection) -> None:
    """SQLite: the FTS5 table over search_docs.words, made (and filled) when first needed.

    Looked up in sqlite_master every time (microseconds), not remembered: a transaction that made
    it may have rolled back, an engine's id() is reused once it is collected, and a database file
    can be replaced under one engine (a restore)."""
    if not is_sqlite(conn):
        return
    exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}).first()
    if exists is None:
        conn.execute(text(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(words, tokenize='unicode61')"))
        conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, words) SELECT id, words FROM search_docs"))


def _write(conn: Connection, kind: str, ref_id: int, doc: Optional[dict]) -> None:
    table = SearchDoc.__table__
    old = conn.execute(select(table.c.id).where(table.c.kind == kind, table.c.ref_id == ref_id)).scalar()
    sqlite = is_sqlite(conn)
    if sqlite:
        ensure_fts(conn)
    if old is not None:
        conn.execute(delete(table).where(table.c.id == old))
        if sqlite:
            conn.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": old})
    if doc is None:
        return
    new_id = conn.execute(insert(table).values(**doc)).inserted_primary_key[0]
    if sqlite:
        conn.execute(text(f"INSERT INTO {FTS_TABLE}(rowid, words) VALUES (:id, :w)"), {"id": new_id, "w": doc["words"]})


_MODELS = {"entry": DiaryEntry, "item": LedgerItem, "transcript": Transcript}
_PENDING = "search_index_pending"


def _touched(session: Session) -> Iterable[tuple[str, int, bool]]:
    """(kind, id, deleted) of every indexed record this flush wrote. Nothing is loaded here: the
    flushed objects are not in the identity map yet (search.index reads them after the flush)."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, DiaryEntry):
            yield "entry", obj.id, False
        elif isinstance(obj, LedgerItem):
            yield "item", obj.id, False
        elif isinstance(obj, Feedback):
            yield "item", obj.item_id, False
        elif isinstance(obj, Transcript):
            yield "transcript", obj.id, False
    for obj in session.deleted:
        kind = {DiaryEntry: "entry", LedgerItem: "item", Transcript: "transcript"}.get(type(obj))
        if kind:
            yield kind, obj.id, True


def _after_flush(session: Session, _context) -> None:
    pending = session.info.setdefault(_PENDING, {})
    for kind, ref_id, deleted in _touched(session):
        if ref_id is not None:
            pending[(kind, ref_id)] = deleted or pending.get((kind, ref_id), False)


def _doc(session: Session, kind: str, obj) -> Optional[dict]:
    if kind == "entry":
        return _entry_doc(obj)
    if kind == "item":
        return _item_doc(obj)
    return _transcript_doc(obj, session.get(Capture, obj.capture_id))


def _after_flush_postexec(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    conn = session.connection()
    with session.no_autoflush:
        for (kind, ref_id), deleted in pending.items():
            obj = None if deleted else session.get(_MODELS[kind], ref_id)
            _write(conn, kind, ref_id, None if obj is None else _doc(session, kind, obj))


def _forget(session: Session, _previous_transaction=None) -> None:
    session.info.pop(_PENDING, None)  # a flush that failed half-way: its rows were rolled back too


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_flush_postexec", _after_flush_postexec)
event.listen(Session, "after_soft_rollback", _forget)


def reindex_all(session: Session, *, batch: int = 500) -> int:
    """Rebuild every row of the index; returns how many records were indexed."""
    conn = session.connection()
    conn.execute(delete(SearchDoc.__table__))
    if is_sqlite(conn):
        ensure_fts(conn)
        conn.execute(text(f"DELETE FROM {FTS_TABLE}"))
    n = 0
    for model, kind in ((DiaryEntry, "entry"), (LedgerItem, "item"), (Transcript, "transcript")):
        last = 0
        while True:
            rows = session.scalars(select(model).where(model.id > last).order_by(model.id).limit(batch)).all()
            if not rows:
                break
            for obj in rows:
                _write(conn, kind, obj.id, _doc(session, kind, obj))
                n += 1
            last = rows[-1].id
            session.expire_all()
    return n
