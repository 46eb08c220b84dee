"""The search index: one row per searchable record (a diary entry, a ledger item, a capture's
transcript) holding its segmented words, the unit and owner its scope is decided by, and the
moment it is sorted by. Written only by search.index (on every flush that changes a record).

The full-text part is per database: PostgreSQL a GIN index over to_tsvector('simple', words);
SQLite an FTS5 table `search_fts` over the same words, made by
search.index when first needed (a virtual table Alembic cannot describe)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

KINDS = ("entry", "item", "transcript")


class SearchDoc(Base):
    __tablename__ = "search_docs"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),
                      Index("ix_search_docs_unit_at", "org_unit_id", "at"),
                      Index("ix_search_docs_words", text("to_tsvector('simple', words)"),
                            postgresql_using="gin").ddl_if(dialect="postgresql"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # entry | item | transcript
    ref_id: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(Integer)  # the unit whose scope holds it
    owner_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)  # the cadre (entries, transcripts)
    at: Mapped[dt.datetime] = mapped_column(DateTime)  # newest first
    title: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the text a hit shows (highlighted)
    words: Mapped[str] = mapped_column(Text, default="")  # segmented words and name characters, spaced
