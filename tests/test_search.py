"""/search (issue 29): entries, ledger items and transcripts by a villager's name, a place, words of
the problem, result or reply, an item's number; within the user's scope only; newest first; the
index kept current on every write, on SQLite (FTS5) and PostgreSQL (tsvector, GIN)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ledger import workflow as wf
from ledger.deadlines import local_today
from search import words
from search.index import reindex_all
from search.models import SearchDoc
from search.query import find
from tests.ledger_helpers import make_entry


def test_words_segment_and_spell_out_names():
    w = words.index_words(["南荒沟村3组道路冲毁"], names=["张大山"], codes=["AB23CD45"]).split()
    assert "张大山" in w and {"张", "大", "山"} <= set(w) and "ab23cd45" in w and "道路" in w
    q = words.parse("张大山 道路")
    assert ("张", "大", "山") in q.groups[0] and q.marks[0] == "张大山"
    assert words.fts5_match(q).count("AND") >= 3 and "'张大山'" in words.tsquery(q)


def _world(session, users):
    a = make_entry(session, users["cadre_a"], "村民反映3组道路冲毁，孩子上学不便", interviewee="王秀英",
                   place="南荒沟村3组", visit_date=local_today())
    item = wf.open_item_from_entry(session, a, users["cadre_a"])
    wf.record_feedback(session, item, users["cadre_a"], "电话告知",
                       dt.datetime.utcnow() - dt.timedelta(hours=1), "已电话告知王秀英，碎石已备好")
    b = make_entry(session, users["cadre_c"], "步达远村自来水冻管", interviewee="王秀英",
                   place="步达远村", visit_date=local_today())
    session.commit()
    return a, item, b


def test_a_villagers_name_finds_entries_and_items_in_scope_only(session, users):
    a, item, b = _world(session, users)
    sup = find(session, users["sup_gulouzi"], "王秀英")
    assert {(h.kind, h.ref_id) for h in sup} == {("entry", a.id), ("item", item.id)}
    assert all("<mark>" in (h.title + h.snippet) for h in sup)
    assert {(h.kind, h.ref_id) for h in find(session, users["admin"], "王秀英")} >= {("entry", b.id)}
    assert find(session, users["cadre_c"], "冲毁") == []  # another township's cadre finds nothing
    assert [(h.kind, h.ref_id) for h in find(session, users["cadre_c"], "王秀英")] == [("entry", b.id)]
    assert find(session, users["cadre_b"], "王秀英") == []  # same township, not their entry nor unit's item
    # The item's number, the reply to the villager and a place; newest first.
    assert [h.ref_id for h in find(session, users["sup_gulouzi"], item.code.lower())] == [item.id]
    assert [h.ref_id for h in find(session, users["sup_gulouzi"], "碎石")] == [item.id]
    hits = find(session, users["sup_gulouzi"], "南荒沟村")
    assert [h.at for h in hits] == sorted((h.at for h in hits), reverse=True)


def test_the_index_follows_every_write(session, users):
    a, item, _b = _world(session, users)
    wf.solve_now(session, item, users["cadre_a"], "已铺设碎石路面，修好了排水沟")
    session.commit()
    assert [h.ref_id for h in find(session, users["sup_gulouzi"], "排水沟")] == [item.id]
    a.interviewee = "李桂兰"
    session.commit()
    assert [h.ref_id for h in find(session, users["sup_gulouzi"], "李桂兰")] == [a.id]
    assert all(h.kind != "entry" for h in find(session, users["sup_gulouzi"], "王秀英"))
    # Rebuilding gives the same index.
    before = sorted(session.execute(select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.words)).all())
    reindex_all(session)
    session.commit()
    assert sorted(session.execute(select(SearchDoc.kind, SearchDoc.ref_id, SearchDoc.words)).all()) == before


def test_search_page_links_and_highlights(client, session, users, login):
    a, item, _b = _world(session, users)
    login(users["sup_gulouzi"])
    html = client.get("/search/?q=王秀英").get_data(as_text=True)
    assert f"/ledger/item/{item.id}" in html and "<mark>王秀英</mark>" in html
    assert f"/ledger/entry/{a.id}/correct" in html  # an entry without an upload links its page
    assert 'href="/search/"' in html  # in the navigation
    login(users["cadre_c"])
    html = client.get("/search/?q=冲毁").get_data(as_text=True)
    assert "没有找到" in html and "冲毁</mark>" not in html
    assert client.get("/search/?q=<script>").status_code == 200


def test_the_fts_table_is_made_again_when_missing(session, users):
    """The FTS5 table is made when first needed; if the transaction that made it rolled back, the
    next write makes it again (a per-engine memo said it was there; Hypothesis found it)."""
    from sqlalchemy import text

    _world(session, users)
    session.execute(text("DROP TABLE search_fts"))
    session.commit()
    make_entry(session, users["cadre_a"], "新修的水渠漏水", interviewee="赵铁柱", visit_date=local_today())
    session.commit()
    assert [h.kind for h in find(session, users["sup_gulouzi"], "赵铁柱")] == ["entry"]
    assert len(find(session, users["sup_gulouzi"], "王秀英")) == 2  # refilled from search_docs
