"""Issue 26 through the real app (Flask test client, the real redactor with Baidu LAC): each kind of
personal data the issue names is confirmed, published on the publish page (questions answered by
the supervisor) and absent from every public page and the public exports; the ordinary words of
each over-masked kind stay on the public page.  The publish step's rules on the server: no
approval while a question is open, a number unmasked only with a typed reason (audited), and what
the supervisor masks, unmasks and answers becomes the county's lists from the next draft on."""
from __future__ import annotations

import html as htmllib
import json

from sqlalchemy import select

from core.models import AuditEvent
from ledger import publication
from ledger.models import ItemPublication, LedgerItem, PrivacyWord
from recognize.privacy.text import digits_of
from tests.test_publish import _TOKENS, _closed, _public_surfaces, _publish_page, _token


def _id18(first17: str) -> str:
    weights, check = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    return first17 + check[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


ID_SPLIT = _id18("21062419780917107")  # written over a line break below
ID_MONEY = _id18("21062419900101123")
# (problem, result): every kind the issue names, no cue given to the redactor
EXAMPLES = [
    ("国庆他娘瘫在炕上，胜利他家的牛跑丢了", "金山今年种了五亩黄烟，秋菊从大连回来了"),
    ("王瘸子又来村部闹，小名叫狗剩的也来了", "崔顺玉家已接通自来水，村民【那春生】和“关德林”已同意"),
    ("联系人：ZhangFenglan，Park Minji 也签了字", "加vx：wangjianguo1965，微信号wang_xl1982，wxid_8kq2m7x1p4s9"),
    ("QQ 345678912，扣扣：87654321，邮箱 liuyu（at）163.com",
     f"手机139\n0415\n6677，身份证{ID_SPLIT[:10]}\n{ID_SPLIT[10:]}"),
    ("车辆辽F5821挂和辽06-33512拖拉机，警车辽F0283警", "5组 第3户 院墙倒了，三道岭屯第六户也漏雨，二组西头第五家、三组前趟房东数第四户已修好"),
]
PERSONAL = ["国庆", "胜利他家", "金山今年", "秋菊", "王瘸子", "狗剩", "崔顺玉", "那春生", "关德林", "ZhangFenglan",
            "Park Minji", "wangjianguo1965", "wang_xl1982", "wxid_8kq2m7x1p4s9", "345678912", "87654321",
            "liuyu", "5821", "33512", "0283", "第3户", "第六户", "第五家", "第四户"]
DIGITS = ["13904156677", ID_SPLIT[:17], "345678912", "87654321", "0633512"]
# the ordinary words the old redactor masked: crops, surname-shaped places, an amount after an ID
ORDINARY = ("老边村的燕红桃、红松和红提今年丰收，白家堡子村的板栗和榛子也不错",
            f"身份证号{ID_MONEY} 3万元补贴已发放，金山银山不如绿水青山")
KEEP = ["老边村", "燕红桃", "红松", "红提", "白家堡子村", "板栗", "榛子", "3万元补贴", "金山银山"]


def _approve(client, item, html, masks, digest, answers=None, reasons=None):
    return client.post(f"/ledger/item/{item.id}/publish",
                       data={"masks": json.dumps(masks), "answers": json.dumps(answers or {}),
                             "reasons": json.dumps(reasons or {}), "digest": digest, "csrf_token": _token(html)})


def _as_drafted(data) -> tuple[dict, dict]:
    """The masks as drafted and every question answered y."""
    masks = {f["field"]: [[m[0], m[1]] for m in f["masks"]] for f in data["fields"]}
    answers = {f["field"]: {f"{m[0]}:{m[1]}": "y" for m in f["masks"] if m[4] == "ask"} for f in data["fields"]}
    return masks, answers


def _publications(session, item) -> int:
    return len(session.scalars(select(ItemPublication).where(ItemPublication.item_id == item.id)).all())


def test_each_kind_confirmed_published_and_absent_from_every_public_surface(client, session, users, org, login):
    items = [_closed(session, users, p, r) for p, r in EXAMPLES + [ORDINARY]]
    login(users["sup_gulouzi"])
    for item in items:
        html, data, digest = _publish_page(client, item)
        masks, answers = _as_drafted(data)
        resp = _approve(client, item, html, masks, digest, answers)
        assert resp.status_code == 302
        assert "公开内容已审核通过" in client.get(resp.headers["Location"]).get_data(as_text=True), item.problem
    client.post("/logout")
    pages = _public_surfaces(client, org, items, users, login)
    for where, blob in pages.items():
        text = htmllib.unescape(_TOKENS.sub("", blob))
        for s in PERSONAL:
            assert s not in text, (where, s)
        for d in DIGITS:
            assert d not in digits_of(text), (where, d)
    unit_page = htmllib.unescape(pages[f"/public/{org['南荒沟村'].id}"])
    for word in KEEP:
        assert word in unit_page, word
    assert "大连" in unit_page and "黄烟" in unit_page  # the words around the names are still there


def test_no_approval_while_a_question_is_open(client, session, users, org, login):
    item = _closed(session, users, "建国说路灯坏了三天了", "已更换灯泡")
    login(users["sup_gulouzi"])
    html, data, digest = _publish_page(client, item)
    problem = next(f for f in data["fields"] if f["field"] == "problem")
    asked = [m for m in problem["masks"] if m[4] == "ask"]
    assert [problem["original"][m[0]:m[1]] for m in asked] == ["建国"]
    assert 'id="question-box"' in html
    masks, _ = _as_drafted(data)
    page = client.get(_approve(client, item, html, masks, digest).headers["Location"]).get_data(as_text=True)
    assert "个问题未回答" in page and _publications(session, item) == 0
    # an answer that is not y or n leaves the question open
    _approve(client, item, html, masks, digest, {"problem": {f"{asked[0][0]}:{asked[0][1]}": "maybe"}})
    assert _publications(session, item) == 0
    _approve(client, item, html, masks, digest, {"problem": {f"{asked[0][0]}:{asked[0][1]}": "y"}})
    session.expire_all()
    pub = publication.current(session.get(LedgerItem, item.id), session)
    assert pub is not None and "建国" not in pub.problem and pub.problem.endswith("说路灯坏了三天了")
    # the answer taught the county: 建国 is a name here
    assert session.scalars(select(PrivacyWord.kind).where(PrivacyWord.word == "建国")).one() == "name"


def test_unmasking_a_number_needs_a_typed_reason_and_is_audited(client, session, users, org, login):
    item = _closed(session, users, "村委会值班电话0415-5123386，随时可打", "已公布值班电话")
    login(users["sup_gulouzi"])
    html, data, digest = _publish_page(client, item)
    problem = next(f for f in data["fields"] if f["field"] == "problem")
    phone = next(m for m in problem["masks"] if problem["original"][m[0]:m[1]] == "0415-5123386")
    assert phone[5] is True  # the page knows it is a number
    unmasked = {"problem": [[m[0], m[1]] for m in problem["masks"] if m != phone], "result": []}
    page = client.get(_approve(client, item, html, unmasked, digest).headers["Location"]).get_data(as_text=True)
    assert "须填写理由" in page and _publications(session, item) == 0
    _approve(client, item, html, unmasked, digest, reasons={"problem": {f"{phone[0]}:{phone[1]}": " "}})
    assert _publications(session, item) == 0
    reason = "村委会的公开值班电话，不是个人号码"
    _approve(client, item, html, unmasked, digest, reasons={"problem": {f"{phone[0]}:{phone[1]}": reason}})
    session.expire_all()
    pub = publication.current(session.get(LedgerItem, item.id), session)
    assert pub is not None and "0415-5123386" in pub.problem
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "publish_unmask",
                                                     AuditEvent.object_id == item.id)).one()
    assert event.after["reason"] == reason and event.after["kind"] == "landline"


def test_what_the_supervisor_masks_and_unmasks_is_used_from_the_next_draft_on(client, session, users, org, login):
    item = _closed(session, users, "山上的红梅开了", "单国庆表示满意，已书面告知")
    login(users["sup_gulouzi"])
    html, data, digest = _publish_page(client, item)
    fields = {f["field"]: f for f in data["fields"]}
    problem, result = fields["problem"], fields["result"]
    asked = [m for m in problem["masks"] if m[4] == "ask"]
    assert [problem["original"][m[0]:m[1]] for m in asked] == ["红梅"]
    assert not any("单国庆" in result["original"][m[0]:m[1]] for m in result["masks"])  # the redactor missed him
    masks = {"problem": [], "result": [[m[0], m[1]] for m in result["masks"]] + [[0, 3]]}
    _approve(client, item, html, masks, digest, {"problem": {f"{asked[0][0]}:{asked[0][1]}": "n"}})
    session.expire_all()
    pub = publication.current(session.get(LedgerItem, item.id), session)
    assert pub.problem == "山上的红梅开了" and "单国庆" not in pub.result
    words = dict(session.execute(select(PrivacyWord.word, PrivacyWord.kind)).all())
    assert words == {"红梅": "not_name", "单国庆": "name"}
    learned = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy_learn")).all()
    assert sorted(e.after["word"] for e in learned) == sorted(["单国庆", "红梅"])
    # the next item's draft: 单国庆 masked without a question, 红梅 neither masked nor asked (both
    # were missed and asked before the lessons: see test_privacy.py)
    other = _closed(session, users, "冬天红梅也开了，单国庆表示感谢", "已答复")
    html, data, digest = _publish_page(client, other)
    problem = next(f for f in data["fields"] if f["field"] == "problem")
    found = {problem["original"][m[0]:m[1]]: m[4] for m in problem["masks"]}
    assert found == {"单国庆": "mask"}
