"""Finding records: the user's words against the index, within what the user may see
(org.scope: a cadre their own entries and transcripts and their unit's ledger; a supervisor or
admin everything at or under their unit), newest first, each hit with its text highlighted."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Integer, and_, column, or_, select, text
from sqlalchemy.orm import Session

from org.models import User
from org.scope import scope_ids
from search.index import FTS_TABLE, ensure_fts, is_sqlite
from search.models import SearchDoc
from search.words import Query, fts5_match, parse, tsquery

SNIPPET = 60  # characters either side of the first match


@dataclass(frozen=True)
class Hit:
    kind: str  # entry | item | transcript
    ref_id: int
    at: dt.datetime
    title: Markup
    snippet: Markup


def _scope(user: User, session: Session):
    units = scope_ids(session, user.org_unit)
    if user.role == "cadre":
        return or_(and_(SearchDoc.kind.in_(("entry", "transcript")), SearchDoc.owner_id == user.id),
                   and_(SearchDoc.kind == "item", SearchDoc.org_unit_id.in_(units)))
    return SearchDoc.org_unit_id.in_(units)


def _match(session: Session, query: Query):
    conn = session.connection()
    if is_sqlite(conn):
        ensure_fts(conn)
        ids = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m").bindparams(m=fts5_match(query))
        return SearchDoc.id.in_(ids.columns(column("rowid", Integer)))
    return text("to_tsvector('simple', search_docs.words) @@ to_tsquery('simple', :tsq)").bindparams(
        tsq=tsquery(query))


def highlight(value: str, marks: tuple[str, ...], *, around: int = 0) -> Markup:
    """`value` escaped, the marks wrapped in <mark>; with `around`, cut to that many characters
    either side of the first mark."""
    value = value or ""
    pattern = re.compile("|".join(re.escape(m) for m in marks), re.IGNORECASE) if marks else None
    first = pattern.search(value) if pattern else None
    if around:
        start = max(0, (first.start() if first else 0) - around)
        end = min(len(value), (first.end() if first else 0) + around * (1 if first else 2))
        value = ("…" if start else "") + value[start:end] + ("…" if end < len(value) else "")
    if pattern is None:
        return escape(value)
    out, pos = [], 0
    for m in pattern.finditer(value):
        out.append(escape(value[pos:m.start()]))
        out.append(Markup("<mark>") + escape(m.group(0)) + Markup("</mark>"))
        pos = m.end()
    out.append(escape(value[pos:]))
    return Markup("").join(out)


def find(session: Session, user: User, q: str, *, limit: int = 50) -> list[Hit]:
    query = parse(q)
    if query.empty:
        return []
    rows = session.execute(
        select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.at, SearchDoc.title, SearchDoc.body)
        .where(_scope(user, session), _match(session, query))
        .order_by(SearchDoc.at.desc(), SearchDoc.id.desc()).limit(limit)).all()
    return [Hit(r.kind, r.ref_id, r.at, highlight(r.title, query.marks), highlight(r.body, query.marks, around=SNIPPET))
            for r in rows]
