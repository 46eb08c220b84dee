"""The dashboard at province size shows what a person reads: its long tables (units and 三率,
cadres, 到期提醒) a page at a time with a link to the next, and the recurring problems as the
background job last worked them out, saying when."""
from __future__ import annotations

import re

from ledger import recurring
from ledger import workflow as wf
from ledger.deadlines import local_today
from tests.ledger_helpers import make_entry
from webapp.dashboard import views


def _rows(html: str, table: str) -> list[str]:
    body = html[html.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    return re.findall(r"<tr[^>]*>\s*<td>([^<]*)</td>", body)


def test_long_tables_come_a_page_at_a_time(client, users, login, monkeypatch):
    monkeypatch.setattr(views, "VISIT_ROWS", 2)
    monkeypatch.setattr(views, "UNIT_ROWS", 3)
    login(users["admin"])
    html = client.get("/dashboard/").get_data(as_text=True)
    first_units = _rows(html, "table-units")
    # three units and the total row, in both tables of unit rows, and the chart of the same three
    assert len(first_units) == 4 and first_units[-1] == "合计"
    assert _rows(html, "table-rates")[:3] == first_units[:3]
    cadres = _rows(html, "table-visits")
    assert len(cadres) == 2
    more = re.search(r'id="pager-vp">[^<]*第 1 / (\d+) 页，共 (\d+) 行.*?<a href="([^"]+)#visits">更多</a>', html, re.S)
    assert more is not None and int(more.group(2)) > 2
    second = client.get(more.group(3).replace("&amp;", "&")).get_data(as_text=True)
    total = int(more.group(2))
    assert len(_rows(second, "table-visits")) == min(2, total - 2)
    assert set(_rows(second, "table-visits")).isdisjoint(cadres)
    assert _rows(second, "table-units") == first_units  # the other tables keep their page
    units_next = re.search(r'id="pager-up">.*?<a href="([^"]+)#units">更多</a>', html, re.S).group(1)
    later = client.get(units_next.replace("&amp;", "&")).get_data(as_text=True)
    assert set(_rows(later, "table-units")[:-1]).isdisjoint(first_units[:-1])
    assert client.get("/dashboard/?vp=999").status_code == 200  # past the end: the last page


def test_the_due_lines_of_a_page_are_those_lines_of_the_whole_summary(session, users, org):
    import datetime as dt

    from ledger.deadlines import due_summary, due_summary_page

    today = dt.date(2024, 3, 14)
    for n, who in enumerate(("cadre_a", "cadre_b", "cadre_c", "cadre_a", "cadre_c")):
        cadre = users[who]
        item = wf.open_item_from_entry(session, make_entry(session, cadre, f"第{n}件：路灯坏了"), cadre)
        wf.set_deadline(session, item, cadre, today + dt.timedelta(days=n - 3), "村委会", today=dt.date(2024, 3, 1))
    session.flush()
    whole = due_summary(session, today, within=org["宽甸县"], head=1)
    assert len(whole) == 3
    lines = lambda rows: [(u.unit.id, u.overdue_count, u.due_soon_count, u.overdue, u.due_soon) for u in rows]  # noqa: E731
    for offset in range(4):
        page, total = due_summary_page(session, today, within=org["宽甸县"], head=1, offset=offset, limit=2)
        assert total == 3 and lines(page) == lines(whole[offset:offset + 2])


def test_recurring_problems_are_the_last_background_result(client, session, users, login, org):
    today = local_today()
    items = []
    for who, text in (("cadre_a", "村里自来水管冻裂停水"), ("cadre_b", "自来水管冻裂，全屯停水")):
        cadre = users[who]
        items.append(wf.open_item_from_entry(session, make_entry(session, cadre, text, category="饮水",
                                                                 visit_date=today), cadre))
    session.commit()
    refreshed = recurring.refresh_stale(session, today, commit=True)
    assert org["宽甸县"].id in refreshed and org["古楼子乡"].id in refreshed
    login(users["admin"])
    section = client.get("/dashboard/").get_data(as_text=True).split('id="recurring"')[1]
    assert "后台计算于" in section and "2 个村" in section and all(i.code in section for i in items)
    # A third village's report: the page still shows the last result until the job runs again.
    third = wf.open_item_from_entry(session, make_entry(session, users["cadre_c"], "自来水管冻裂停水三天",
                                                        category="饮水", visit_date=today), users["cadre_c"])
    session.commit()
    section = client.get("/dashboard/").get_data(as_text=True).split('id="recurring"')[1]
    assert third.code not in section
    assert org["宽甸县"].id in recurring.refresh_stale(session, today, commit=True)
    section = client.get("/dashboard/").get_data(as_text=True).split('id="recurring"')[1]
    assert "3 个村" in section and third.code in section
    # A village's view (chosen by the county admin) is its county's result narrowed to it: one
    # village alone is no cross-village cluster.
    village = client.get(f"/dashboard/?unit={org['南荒沟村'].id}").get_data(as_text=True).split('id="recurring"')[1]
    assert "暂无跨村的共性问题" in village and "后台计算于" in village


def test_an_items_words_are_kept_when_it_opens_and_filled_for_older_items(session, users, org):
    from sqlalchemy import update

    from ledger.models import LedgerItem

    today = local_today()
    made = [wf.open_item_from_entry(session, make_entry(session, users[who], text, category="饮水",
                                                        visit_date=today), users[who])
            for who, text in (("cadre_a", "南荒沟村自来水管冻裂停水"), ("cadre_b", "大古岭村自来水管冻裂，全屯停水"))]
    session.commit()
    assert "自来水管" in made[0].problem_words or "冻裂" in made[0].problem_words
    assert not any(name in w for w in made[0].problem_words for name in ("南荒沟", "大古岭"))  # place words out
    kept = list(made[1].problem_words)
    version = made[1].version
    # An item from before 0017: no words. The clusters' job fills them without a new version.
    session.execute(update(LedgerItem).where(LedgerItem.id == made[1].id).values(problem_words=None))
    session.commit()
    session.expire_all()
    found = recurring.clusters(session, org["宽甸县"], today)
    session.commit()
    session.expire_all()
    again = session.get(LedgerItem, made[1].id)
    assert again.problem_words == kept and again.version == version
    assert [sorted(c.ids) for c in found] == [sorted(i.id for i in made)]
