"""The villager's secret evaluation code (issue 29): its own random code per result, apart from the
item's number; shown on the printable feedback slip alone; the number opens no evaluation form.
Also the public box to type a code, the public logo, the print buttons and the reply template's
full stops."""
from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import select

from ledger import exports, replies
from ledger import workflow as wf
from ledger.deadlines import local_today
from ledger.models import Evaluation, LedgerItem
from tests.ledger_helpers import make_entry


def _closed(session, users, text="南荒沟村3组道路冲毁，已修好。"):
    entry = make_entry(session, users["cadre_a"], text, visit_date=local_today())
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    wf.solve_now(session, item, users["cadre_a"], "已铺设碎石路面，完工。")
    session.commit()
    return item


def _token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_each_closing_draws_a_secret_code_apart_from_the_number(session, users):
    item = _closed(session, users)
    first = item.eval_code
    assert first and len(first) >= 8 and first != item.code
    wf.reopen(session, item, users["sup_gulouzi"], "复查不合格")
    wf.solve_now(session, item, users["sup_gulouzi"], "重新铺设")
    session.commit()
    assert item.eval_code and item.eval_code != first and item.eval_code != item.code
    codes = {_closed(session, users, f"第{i}个问题").eval_code for i in range(20)}
    assert len(codes) == 20  # random, not counted up


def test_the_item_number_opens_no_evaluation_form(client, session, users):
    item = _closed(session, users)
    by_number = client.get(f"/public/e/{item.code}")
    html = by_number.get_data(as_text=True)
    assert by_number.status_code == 200 and 'name="rating"' not in html and "评议码" in html
    token = _token(client.get("/public/").get_data(as_text=True))
    assert client.post(f"/public/e/{item.code}", data={"csrf_token": token, "rating": "满意"}).status_code == 404
    assert session.scalars(select(Evaluation).where(Evaluation.item_id == item.id)).all() == []
    assert client.get(f"/public/qr/{item.code}.png").status_code == 404
    # The villager's code does open it, typed into the box on /public/ in lower case too.
    page = client.get("/public/").get_data(as_text=True)
    assert 'name="code"' in page
    resp = client.get(f"/public/code?code={item.eval_code.lower()}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/public/e/{item.eval_code}")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'name="rating"' in html
    qr = client.get(f"/public/qr/{item.eval_code}.png")
    assert qr.status_code == 200 and "no-store" in qr.headers["Cache-Control"]


def test_the_code_is_on_the_slip_alone(client, session, users, login):
    item = _closed(session, users)
    code = item.eval_code
    login(users["sup_gulouzi"])
    seen = {
        "the item page": client.get(f"/ledger/item/{item.id}").get_data(as_text=True),
        "the ledger list": client.get("/ledger/").get_data(as_text=True),
        "the csv export": client.get("/ledger/export?format=csv").get_data(as_text=True),
        "the reply template": replies.render(session, item),
        "the printable diary": exports.printable_diary(session, users["cadre_a"], local_today().year,
                                                       local_today().month),
    }
    xlsx = client.get("/ledger/export?format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    seen["the xlsx export"] = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    for where, text in seen.items():
        assert code not in text, where
    assert item.code in seen["the ledger list"] and item.code in seen["the reply template"]
    slip = client.get(f"/ledger/item/{item.id}/slip")
    assert slip.status_code == 200 and code in slip.get_data(as_text=True)
    assert "no-store" in slip.headers["Cache-Control"]
    login(users["cadre_c"])  # another township's cadre
    assert client.get(f"/ledger/item/{item.id}/slip").status_code == 404
    # A reopened item offers no slip of the old result.
    wf.reopen(session, session.get(LedgerItem, item.id), users["sup_gulouzi"], "复查不合格")
    session.commit()
    login(users["sup_gulouzi"])
    assert client.get(f"/ledger/item/{item.id}/slip").status_code == 404


def test_the_public_logo_leads_to_the_public_pages(client, users):
    html = client.get("/public/").get_data(as_text=True)
    brand = re.search(r'<a class="brand" href="([^"]+)"', html).group(1)
    assert brand == "/public/"


def test_the_print_buttons_work_under_the_csp(client, session, users, login):
    """Bug 4: no inline onclick (the CSP blocks it), and the label in one language."""
    login(users["cadre_a"])
    html = client.get("/ledger/diary").get_data(as_text=True)
    assert "onclick" not in html and "(Print)" not in html
    assert 'class="js-print"' in html and "/static/print.js" in html
    assert "window.print" in client.get("/static/print.js").get_data(as_text=True)


def test_reply_template_has_no_double_full_stop(session, users):
    """Bug 11: a result ending in 。 before the template's 。 gave 完工。。."""
    item = _closed(session, users)
    text = replies.render(session, item)
    assert "完工。" in text and "。。" not in text
    assert replies._fill("{result}，{x}", {"result": "好了！", "x": "y"}) == "好了，y"
    assert replies._fill("结果：{result}", {"result": "完工。"}) == "结果：完工。"  # no stop after: kept


def test_public_rows_say_visit_date_and_speak_english(client, session, users):
    """Bugs 13 and 10: the visit date was labelled 受理 ("Accept" in English); category and
    ratings stayed Chinese on the English public pages."""
    from ledger import publication, ratings

    item = _closed(session, users)
    publication.approve_as_drafted(session, item, users["sup_gulouzi"])
    ratings.submit_public_evaluation(session, item.eval_code, "满意")
    session.commit()
    page = f"/public/{item.place_unit_id}"
    html = client.get(page).get_data(as_text=True)
    assert "走访日期" in html and "受理" not in html
    client.post("/locale/en", data={"csrf_token": _token(client.get("/public/").get_data(as_text=True))})
    html = client.get(page).get_data(as_text=True)
    assert "Accept" not in html and "道路桥梁" not in html and "满意" not in html.replace("基本满意", "")


def test_the_extension_notice_says_where_it_was_posted(client, session, users, login):
    """Bug 12: "延期告知 · 群众 · 已发送" with no SMS or e-mail configured."""
    import datetime as dt

    entry = make_entry(session, users["cadre_a"], "南荒沟村3组道路冲毁", visit_date=local_today())
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    wf.set_deadline(session, item, users["cadre_a"], local_today() + dt.timedelta(days=3), "村委会")
    wf.request_extension(session, item, users["cadre_a"], local_today() + dt.timedelta(days=20), "等材料")
    wf.decide_extension(session, item, users["sup_gulouzi"], True)
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get(f"/ledger/item/{item.id}").get_data(as_text=True)
    notices = html[html.index('class="notices"'):]
    notices = notices[:notices.index("</ul>")]
    assert "公开页" in notices and "群众 · 已发送" not in notices
    assert "办理时限已延至" in client.get(f"/public/e/{item.code}").get_data(as_text=True)  # where it was posted


def test_a_refused_completion_keeps_what_was_typed(client, session, users, login):
    """Bug 2: a failed 办结 (feedback not yet recorded) emptied the typed result; the page now
    says before the click that the feedback comes first."""
    entry = make_entry(session, users["cadre_a"], "南荒沟村3组道路冲毁", interviewee="王秀英", visit_date=local_today())
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    session.commit()
    login(users["cadre_a"])
    page = f"/ledger/item/{item.id}"
    html = client.get(page).get_data(as_text=True)
    assert "请先在「反馈群众」登记" in html
    typed = "已组织村民清理塌方，铺了碎石"
    client.post(f"{page}/solve_now", data={"csrf_token": _token(html), "version": item.version, "result": typed,
                                          "outcome": "部分解决", "outcome_reason": "还差一段没修"})
    html = client.get(page).get_data(as_text=True)
    assert "办结前须登记反馈情况" in html and typed in html and "还差一段没修" in html
    assert '<option value="部分解决" selected>' in html
    assert typed not in client.get(page).get_data(as_text=True)  # once: a reload shows the item as saved


def test_links_follow_the_port_served_without_a_base_url(app, session, users):
    """Bug 5: QR codes and links said port 5000 when served on another port."""
    from webapp.commands.run import served_base_url

    app.config["PUBLIC_BASE_URL"] = ""
    assert served_base_url(app, "127.0.0.1", 8123) == "http://127.0.0.1:8123"
    item = _closed(session, users)
    client = app.test_client()
    client.post("/login", data={"login": "sup_gulouzi", "password": "correct-horse-42",
                                "csrf_token": _token(client.get("/login").get_data(as_text=True))})
    slip = client.get(f"/ledger/item/{item.id}/slip").get_data(as_text=True)
    assert f"http://127.0.0.1:8123/public/e/{item.eval_code}" in slip and ":5000" not in slip
    app.config["PUBLIC_BASE_URL"] = "https://minxin.example.gov.cn"
    assert served_base_url(app, "0.0.0.0", 8123) == "https://minxin.example.gov.cn"  # configured wins


def test_csv_is_sent_with_one_charset(client, session, users, login):
    """Bug 10: the ledger CSV was sent as `charset=utf-8; charset=utf-8`."""
    _closed(session, users)
    login(users["sup_gulouzi"])
    resp = client.get("/ledger/export?format=csv")
    assert resp.headers["Content-Type"].lower().count("charset") == 1


def test_the_publish_page_shows_china_time(client, session, users, login):
    """Bug 10: the publish page showed UTC while every other page shows China time."""
    from ledger import publication
    from webapp.timefmt import localtime

    item = _closed(session, users)
    row = publication.approve_as_drafted(session, item, users["sup_gulouzi"])
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get(f"/ledger/item/{item.id}/publish").get_data(as_text=True)
    state = html[html.index('id="publish-state"'):]
    state = state[:state.index("</p>")]
    with client.application.test_request_context():
        shown = localtime(row.approved_at)
    assert "UTC" not in state and shown in state
