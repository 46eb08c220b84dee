"""Search on PostgreSQL: the same tests as tests/test_search.py, on a migrated PostgreSQL database
(tsvector over the segmented words, 'simple' config, GIN index)."""
from __future__ import annotations

import pytest
from scale_services import *  # noqa: F401,F403 - fixtures and helpers
from sqlalchemy import text
from test_scale_postgres import app  # noqa: F401 - the app on PostgreSQL
from test_search import (test_a_villagers_name_finds_entries_and_items_in_scope_only,  # noqa: F401
                         test_search_page_links_and_highlights, test_the_index_follows_every_write)

pytestmark = pytest.mark.scale


def test_the_gin_index_answers(session, users):
    from tests.test_search import _world

    _world(session, users)
    session.execute(text("SET enable_seqscan = off"))
    plan = "\n".join(r[0] for r in session.execute(text(
        "EXPLAIN SELECT id FROM search_docs WHERE to_tsvector('simple', words) @@ to_tsquery('simple', '''王秀英''')")))
    assert "ix_search_docs_words" in plan
