"""Issue 14 through the real app (Flask test client, the real redactor with Baidu LAC): items whose
texts carry each example of the issue are completed, closed and approved on the publish page, and
none of it reaches a public unit page, an evaluation page or a public CSV/XLSX export. Public pages
show only approved text; a later change needs a new approval; the supervisor masks more and
unmasks; cadres' names become their unit; error pages never echo what was submitted."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import json
import re

import openpyxl
from sqlalchemy import select

from core.models import AuditEvent
from ledger import publication
from ledger import workflow as wf
from ledger.deadlines import local_today
from ledger.models import ItemPublication, LedgerItem
from recognize.privacy.text import digits_of
from tests.ledger_helpers import make_entry

NOW = dt.datetime.utcnow().replace(microsecond=0) - dt.timedelta(hours=1)

# (problem, result) of each item: every example the issue names, no cue given to the redactor
# (no interviewee, no extracted pii): it has to find them itself.
EXAMPLES = [
    ("反映人王秀兰和周玉梅：三社8号房屋漏雨，电话139.1234.5678", "已将补助款发给周玉梅，陈国强同意维修"),
    ("3队12号门前道路冲毁，联系电话139  8765  4321，另一个号码一3九1二3四5六7八",
     "身份证号210624198，001011238已登记，210624.19800101.1238已核实，道路已修复"),
]
NAMES = ["王秀兰", "周玉梅", "陈国强", "秀兰", "玉梅", "国强"]
STRINGS = ["139.1234.5678", "139  8765  4321", "一3九1二3四5六7八", "210624.19800101.1238",
           "210624198，001011238", "3队12号", "三社8号"]
DIGITS = ["13912345678", "13987654321", "210624198001011238", "1234", "8765"]


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token"
    return m.group(1)


# Random per-request tokens (CSRF, CSP nonces) are not the page's text: one may contain "1234".
_TOKENS = re.compile(r'(?:name="csrf_token"[^>]*?value|name="csrf-token"[^>]*?content|nonce)="[^"]*"')


def _assert_clean(blob: str, where: str) -> None:
    text = htmllib.unescape(_TOKENS.sub("", blob))
    for s in NAMES + STRINGS:
        assert s not in text, (where, s)
    digits = digits_of(text)
    for d in DIGITS:
        assert d not in digits, (where, d)


def _closed(session, users, problem, result, cadre="cadre_a", pii=None):
    entry = make_entry(session, users[cadre], problem, visit_date=local_today(), pii=pii)
    item = wf.open_item_from_entry(session, entry, users[cadre])
    wf.record_feedback(session, item, users[cadre], "电话告知", NOW, "已电话告知")
    wf.solve_now(session, item, users[cadre], result)
    session.commit()
    return item


def _publish_page(client, item):
    resp = client.get(f"/ledger/item/{item.id}/publish")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    data = json.loads(htmllib.unescape(re.search(r'<script type="application/json" id="publish-data">(.*?)</script>',
                                                 html, re.S).group(1)))
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', html).group(1)
    return html, data, digest


def _approve(client, item, masks, digest, html):
    return client.post(f"/ledger/item/{item.id}/publish",
                       data={"masks": json.dumps(masks), "digest": digest, "csrf_token": _token(html)})


def _public_surfaces(client, org, items, users, login):
    pages = {}
    for name in ("南荒沟村", "古楼子乡", "宽甸县"):
        pages[f"/public/{org[name].id}"] = client.get(f"/public/{org[name].id}").get_data(as_text=True)
    for it in items:
        pages[f"/public/e/{it.eval_code}"] = client.get(f"/public/e/{it.eval_code}").get_data(as_text=True)
    login(users["sup_gulouzi"])
    unit = users["sup_gulouzi"].org_unit_id
    csv_resp = client.get(f"/ledger/export?unit={unit}&format=csv&public=1")
    assert csv_resp.status_code == 200
    pages["public csv"] = csv_resp.get_data(as_text=True)
    xlsx = client.get(f"/ledger/export?unit={unit}&format=xlsx&public=1")
    assert xlsx.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    pages["public xlsx"] = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                     for v in row if v is not None) + "\n" + " ".join(wb.sheetnames)
    client.post("/logout")
    return pages


def test_issue_examples_never_reach_a_public_surface(client, session, users, org, login):
    items = [_closed(session, users, p, r) for p, r in EXAMPLES]
    # Closed but not approved: public pages show the item without its text.
    county = client.get(f"/public/{org['宽甸县'].id}").get_data(as_text=True)
    assert county.count('class="item"') == 2 and county.count(publication.PENDING) == 4
    _assert_clean(county, "before approval")

    login(users["sup_gulouzi"])
    assert "公开内容待审核" in client.get(f"/ledger/item/{items[0].id}").get_data(as_text=True)
    for item in items:
        html, data, digest = _publish_page(client, item)
        # the original is shown with what will be masked, the public column already masked
        public_cells = re.findall(r'<td class="public" id="public-\w+">(.*?)</td>', html, re.S)
        assert len(public_cells) == 2
        _assert_clean("\n".join(public_cells), "publish page, public column")
        assert all(f["masks"] for f in data["fields"])
        masks = {f["field"]: [[m[0], m[1]] for m in f["masks"]] for f in data["fields"]}
        resp = _approve(client, item, masks, digest, html)
        assert resp.status_code == 302
        assert "公开内容已审核通过" in client.get(resp.headers["Location"]).get_data(as_text=True)
    item_page = client.get(f"/ledger/item/{items[0].id}").get_data(as_text=True)
    assert "已审核通过" in item_page and "公开内容待审核" not in item_page
    client.post("/logout")

    pages = _public_surfaces(client, org, items, users, login)
    for where, blob in pages.items():
        _assert_clean(blob, where)
    # what the public does see: the approved, masked text, not a blank
    county = pages[f"/public/{org['宽甸县'].id}"]
    assert "陈某某同意维修" in htmllib.unescape(county) and "道路已修复" in county
    assert publication.PENDING not in county
    # the original stays on the item; the approval is stored with it and audited
    session.expire_all()
    item = session.get(LedgerItem, items[0].id)
    assert "周玉梅" in item.result
    pub = publication.current(item, session)
    assert pub is not None and "周玉梅" not in pub.result and pub.approved_by.login == "sup_gulouzi"
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "publish_approve",
                                                    AuditEvent.object_id == item.id)).first() is not None


def test_a_later_change_needs_a_new_approval(client, session, users, org, login):
    item = _closed(session, users, "3组路灯不亮", "已更换灯泡")
    publication.approve_as_drafted(session, item, users["sup_gulouzi"])
    session.commit()
    page = client.get(f"/public/{org['南荒沟村'].id}").get_data(as_text=True)
    assert "已更换灯泡" in page
    wf.reopen(session, item, users["sup_gulouzi"], "群众反映仍不亮")
    wf.solve_now(session, item, users["cadre_a"], "已更换灯泡和线路，联系人周玉梅13912345678")
    session.commit()
    page = client.get(f"/public/{org['南荒沟村'].id}").get_data(as_text=True)
    assert "已更换灯泡" not in page and publication.PENDING in page and "13912345678" not in page
    login(users["sup_gulouzi"])
    html, _, digest = _publish_page(client, item)
    assert "尚未审核" in html
    # approving with the digest of the text seen before the change is refused
    stale = publication.source_digest(item).replace(digest[0], "0" if digest[0] != "0" else "1", 1)
    _approve(client, item, {}, stale, html)
    assert session.scalars(select(ItemPublication).where(ItemPublication.item_id == item.id)).all().__len__() == 1


def test_mask_more_unmask_and_cadres_become_their_unit(client, session, users, org, login):
    # the extractor flagged the place 石柱子 as a person: the supervisor unmasks it
    item = _closed(session, users, "石柱子沟口的桥冲毁了，周玉梅家出不去", "李春生已联系施工队，桥已修好",
                   pii=["石柱子"])
    login(users["sup_gulouzi"])
    html, data, digest = _publish_page(client, item)
    fields = {f["field"]: f for f in data["fields"]}
    problem = fields["problem"]["original"]
    # the cadre (李春生, cadre_a of 南荒沟村) is replaced by the unit
    assert "南荒沟村已联系施工队" in htmllib.unescape(html)
    # unmask whatever covers 石柱子 (a place), mask 沟口 more by hand, keep the rest
    masks = {k: [[m[0], m[1]] for m in f["masks"]] for k, f in fields.items()}
    assert [0, 3] in masks["problem"]
    masks["problem"] = [m for m in masks["problem"] if not (m[0] <= problem.index("石柱子") < m[1])]
    a = problem.index("沟口")
    masks["problem"].append([a, a + 2])
    assert _approve(client, item, masks, digest, html).status_code == 302
    session.expire_all()
    pub = publication.current(session.get(LedgerItem, item.id), session)
    assert pub.problem.startswith("石柱子＊＊的桥冲毁了") and "周玉梅" not in pub.problem
    assert pub.result == "南荒沟村已联系施工队，桥已修好"
    # overlapping or out-of-range masks are refused and change nothing
    html, data, digest = _publish_page(client, item)
    _approve(client, item, {"problem": [[0, 3], [2, 5]]}, digest, html)
    _approve(client, item, {"problem": [[0, 999]]}, digest, html)
    assert len(session.scalars(select(ItemPublication).where(ItemPublication.item_id == item.id)).all()) == 1
    # a cadre may not approve
    login(users["cadre_a"])
    assert client.get(f"/ledger/item/{item.id}/publish").status_code == 403


def test_error_pages_never_echo_submitted_text(client, session, users, org):
    item = _closed(session, users, "3组路灯不亮", "已更换灯泡")
    publication.approve_as_drafted(session, item, users["sup_gulouzi"])
    session.commit()
    page = client.get(f"/public/e/{item.eval_code}").get_data(as_text=True)
    secret = "我叫周玉梅，电话13912345678"
    resp = client.post(f"/public/e/{item.eval_code}", data={"rating": "bogus", "comment": secret,
                                                       "csrf_token": _token(page)}, follow_redirects=True)
    assert "周玉梅" not in resp.get_data(as_text=True) and "13912345678" not in resp.get_data(as_text=True)
    resp = client.post(f"/public/e/{item.eval_code}", data={"rating": "满意", "comment": secret + "x" * 600,
                                                       "csrf_token": _token(page)}, follow_redirects=True)
    assert "周玉梅" not in resp.get_data(as_text=True)
    for path in ("/public/e/13912345678", "/public/qr/13912345678.png", "/public/13912345678"):
        resp = client.get(path)
        assert resp.status_code == 404 and b"13912345678" not in resp.data, path


def test_minxin_redact_reads_stdin(app):
    from click.testing import CliRunner

    from recognize.privacy.cli import redact_command

    text = "陈国强同意维修，电话139  8765  4321，家住三社8号，3月12日修了5座桥，花了3万元"
    res = CliRunner().invoke(redact_command, [], input=text)
    assert res.exit_code == 0, res.output
    assert res.output.strip() == "陈某某同意维修，电话＊＊＊  ＊＊＊＊  ＊＊＊＊，家住＊＊＊＊，3月12日修了5座桥，花了3万元"
    assert CliRunner().invoke(redact_command, [], input=b"\xff\xfe").exit_code != 0


def test_minxin_redact_jsonl_one_line_out_per_line_in(app):
    import json

    from click.testing import CliRunner

    from recognize.privacy.cli import redact_command

    lines = [{"text": "陈国强同意维修，电话13987654321"}, {"text": "建国说等他从县里回来再签字"},
             {"text": "今年全村退耕还林200亩"}]
    res = CliRunner().invoke(redact_command, ["--jsonl"],
                             input="".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert len(out) == 3
    assert out[0] == {"public": "陈某某同意维修，电话＊＊＊＊＊＊＊＊＊＊＊", "ask": []}
    assert out[1] == {"public": "建国说等他从县里回来再签字", "ask": ["建国"]}  # a word said as a person: asked
    assert out[2] == {"public": "今年全村退耕还林200亩", "ask": []}
    bad = CliRunner().invoke(redact_command, ["--jsonl"], input='{"txt": 1}\n')
    assert bad.exit_code != 0 and "第 1 行" in bad.output
