"""The ledger state machine: every action from every status, escalation up and down, merging,
feedback before completion, permissions, optimistic locking."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import DomainError
from core.models import AuditEvent
from ledger import workflow as wf
from ledger.models import KeyProject, LedgerTransition
from tests.ledger_helpers import TODAY, make_entry

NOW = dt.datetime(2024, 3, 10, 4, 0)


def _open(c, text="南荒沟村3组道路冲毁，需要修复", cadre="cadre_a", **kw):
    entry = make_entry(c.session, c.users[cadre], text, **kw)
    return wf.open_item_from_entry(c.session, entry, c.users[cadre])


def item_in(c, status):
    """An item (no villager named, so no feedback is needed) brought to `status` legally."""
    s, admin = c.session, c.users["admin"]
    item = _open(c)
    if status == "in_progress":
        wf.set_deadline(s, item, admin, TODAY + dt.timedelta(days=10), "乡交通站", today=TODAY)
    elif status == "escalated":
        wf.escalate(s, item, c.users["cadre_a"], "资金超出村级能力")
    elif status == "done":
        wf.set_deadline(s, item, admin, TODAY + dt.timedelta(days=10), "乡交通站", today=TODAY)
        wf.complete(s, item, admin, "已铺设砂石路面")
    elif status == "closed":
        wf.solve_now(s, item, admin, "已清理塌方")
    elif status == "reopened":
        wf.solve_now(s, item, admin, "已清理塌方")
        wf.reopen(s, item, admin, "复查发现仍有积水")
    elif status == "merged":
        other = _open(c, "南荒沟村3组道路被冲毁")
        wf.merge(s, item, other, admin)
    assert item.status == status
    return item


def do(c, action, item):
    """Perform `action` on `item` as the county admin, with valid arguments."""
    s, admin = c.session, c.users["admin"]
    if action == "link":
        return wf.link_entry(s, item, make_entry(s, c.users["cadre_a"], "同一条路又有人反映"), admin)
    if action == "solve_now":
        return wf.solve_now(s, item, admin, "当场协调铲车清理")
    if action == "set_deadline":
        return wf.set_deadline(s, item, admin, TODAY + dt.timedelta(days=5), "村委会", reason="重新限期", today=TODAY)
    if action == "escalate":
        return wf.escalate(s, item, admin, "需要上级资金")
    if action == "accept":
        return wf.accept_escalation(s, item, admin)
    if action == "send_back":
        return wf.send_back(s, item, admin, "请先由村里组织投工投劳")
    if action == "complete":
        return wf.complete(s, item, admin, "已修复")
    if action == "feedback":
        return wf.record_feedback(s, item, admin, "电话告知", NOW, "已告知")
    if action == "close":
        return wf.close(s, item, admin, "验收合格")
    if action == "reopen":
        return wf.reopen(s, item, admin, "群众反映仍未修好")
    if action == "merge":
        return wf.merge(s, item, _open(c, "另一条道路问题"), admin)
    if action == "merge_in":
        return wf.merge(s, _open(c, "重复反映的道路问题"), item, admin)
    if action == "flag":
        return wf.set_flags(s, item, admin, pain_point=True)
    if action == "key_project":
        project = KeyProject(name="农村公路提升", org_unit=c.units["宽甸县"])
        s.add(project)
        return wf.assign_key_project(s, item, project, admin)
    if action == "evaluate":
        from ledger.ratings import record_in_person

        return record_in_person(s, item, admin, "满意")
    if action == "request_extension":
        return wf.request_extension(s, item, admin, (item.deadline or TODAY) + dt.timedelta(days=7), "材料未到",
                                    today=TODAY)
    if action == "decide_extension":
        return wf.decide_extension(s, item, admin, True)
    if action == "correct":
        from ledger.corrections import correct_item

        return correct_item(s, item, admin, {"category": "饮水"})
    raise AssertionError(action)


def prepare(c, action, item):
    """What an action needs beyond its status: a decision needs a pending request."""
    if action == "decide_extension" and item.status == "in_progress":
        wf.request_extension(c.session, item, c.users["cadre_a"], item.deadline + dt.timedelta(days=7),
                             "材料未到", today=TODAY)


CASES = [(a, st) for a in wf.RULES if a != "open" for st in wf.STATUSES]


@pytest.mark.parametrize("action,status", CASES)
def test_every_action_from_every_status(county, action, status):
    c = county
    item = item_in(c, status)
    prepare(c, action, item)
    before_status, before_count = item.status, len(item.transitions)
    legal = wf.target_status(action, status) is not None
    assert legal == (status in wf.RULES[action].sources)
    if legal:
        do(c, action, item)
        c.session.flush()
        expected = wf.target_status(action, status)
        if action == "send_back":
            expected = "open"  # item_in escalated it from open
        if action == "evaluate":
            expected = "closed"
        assert item.status == expected
        if action != "merge_in":
            assert len(item.transitions) == before_count + 1
            assert item.transitions[-1].action == action
            assert item.transitions[-1].from_status == before_status
            assert item.transitions[-1].actor_id == c.users["admin"].id
        assert wf.history_problems(item) == []
    else:
        with pytest.raises(DomainError) as err:
            do(c, action, item)
        msg = str(err.value)
        assert "(" in msg and any("\u4e00" <= ch <= "\u9fff" for ch in msg)  # Chinese, then English
        assert item.status == before_status
        assert len(item.transitions) == before_count


def test_open_only_from_confirmed_entry_and_once(county):
    c, s = county, county.session
    draft = make_entry(s, c.users["cadre_a"], "路灯不亮", status="draft")
    with pytest.raises(DomainError, match="已确认"):
        wf.open_item_from_entry(s, draft, c.users["cadre_a"])
    entry = make_entry(s, c.users["cadre_a"], "路灯不亮", interviewee="张大山", pii=["13812345678"])
    item = wf.open_item_from_entry(s, entry, c.users["cadre_a"])
    assert (item.status, item.level, item.org_unit.name, item.reporter) == ("open", "village", "南荒沟村", "张大山")
    assert item.pii == ["13812345678"] and len(item.code) == 8
    tr = item.transitions[0]
    assert (tr.action, tr.from_status, tr.to_status, tr.to_unit_id) == ("open", None, "open", c.units["南荒沟村"].id)
    with pytest.raises(DomainError, match="已在台账"):
        wf.open_item_from_entry(s, entry, c.users["cadre_a"])
    other = make_entry(s, c.users["cadre_b"], "水井干涸")
    with pytest.raises(DomainError, match="本人"):
        wf.open_item_from_entry(s, other, c.users["cadre_a"])
    with pytest.raises(DomainError):
        wf.open_item_from_entry(s, other, c.users["sup_budayuan"])  # another township
    assert wf.open_item_from_entry(s, other, c.users["sup_gulouzi"]).org_unit.name == "大古岭村"


def test_escalation_through_three_levels_and_back_down(county):
    c, s = county, county.session
    item = _open(c, "跨村饮水主管道破裂")
    wf.escalate(s, item, c.users["cadre_a"], "需要乡里协调两个村")
    assert (item.status, item.level, item.org_unit.name) == ("escalated", "township", "古楼子乡")
    # The village cadre no longer holds it; the other township's supervisor never did.
    for outsider in ("cadre_a", "sup_budayuan"):
        with pytest.raises(DomainError, match="无权"):
            wf.accept_escalation(s, item, c.users[outsider])
    wf.escalate(s, item, c.users["sup_gulouzi"], "需要县水利局立项")
    assert (item.status, item.level, item.org_unit.name) == ("escalated", "county", "宽甸县")
    with pytest.raises(DomainError, match="无权"):
        wf.send_back(s, item, c.users["sup_gulouzi"], "x")  # held above the township now
    with pytest.raises(DomainError, match="县级为最高层级"):
        wf.escalate(s, item, c.users["admin"], "再上报")
    # County sends it back to the township, which sends it back to the village.
    wf.send_back(s, item, c.users["admin"], "属于村内管网，由乡里统筹")
    assert (item.status, item.level, item.org_unit.name) == ("escalated", "township", "古楼子乡")
    wf.send_back(s, item, c.users["sup_gulouzi"], "先用村级维修资金应急")
    assert (item.status, item.level, item.org_unit.name) == ("open", "village", "南荒沟村")
    assert [t.action for t in item.transitions] == ["open", "escalate", "escalate", "send_back", "send_back"]
    assert [t.reason for t in item.transitions][-1] == "先用村级维修资金应急"
    assert [t.from_unit_id for t in item.transitions[1:]] == [
        c.units["南荒沟村"].id, c.units["古楼子乡"].id, c.units["宽甸县"].id, c.units["古楼子乡"].id]
    # Up again, accepted at the county, triaged there.
    wf.escalate(s, item, c.users["cadre_a"], "村级资金不足")
    wf.escalate(s, item, c.users["sup_gulouzi"], "乡级资金不足")
    wf.accept_escalation(s, item, c.users["admin"], note="列入县级台账")
    assert (item.status, item.level) == ("open", "county")
    wf.set_deadline(s, item, c.users["admin"], TODAY + dt.timedelta(days=30), "县水利局", today=TODAY)
    with pytest.raises(DomainError, match="不能「退回并指导」"):
        wf.send_back(s, item, c.users["admin"], "x")  # accepted: it is the county's now
    assert wf.history_problems(item) == []
    s.flush()
    actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == item.id,
                                                        AuditEvent.object_type == "LedgerItem")).all()
    assert actions.count("ledger.escalate") == 4 and actions.count("ledger.send_back") == 2


def test_send_back_restores_deadline_status(county):
    c, s = county, county.session
    item = _open(c)
    wf.set_deadline(s, item, c.users["cadre_a"], TODAY + dt.timedelta(days=7), "村委会", today=TODAY)
    wf.escalate(s, item, c.users["cadre_a"], "办不了")
    wf.send_back(s, item, c.users["sup_gulouzi"], "按期办理，乡里派技术员")
    assert (item.status, item.org_unit.name, item.deadline) == ("in_progress", "南荒沟村", TODAY + dt.timedelta(days=7))


def test_merge_moves_entries_and_marks_common_need(county):
    c, s = county, county.session
    a = _open(c, "南荒沟村3组自来水管冻裂，全组停水", category="饮水", interviewee="张大山")
    b = _open(c, "3组自来水管冻裂停水好几天了", category="饮水", interviewee="王桂兰")
    unrelated = _open(c, "村小学操场需要硬化", category="教育")
    suggestions = wf.suggest_duplicates(s, b)
    assert [x.item for x in suggestions][:1] == [a]
    assert suggestions[0].same_category and suggestions[0].same_place
    assert unrelated not in [x.item for x in suggestions]
    with pytest.raises(DomainError, match="无权"):
        wf.merge(s, b, a, c.users["cadre_a"])  # a supervisor merges
    with pytest.raises(DomainError, match="自身"):
        wf.merge(s, a, a, c.users["sup_gulouzi"])
    wf.merge(s, b, a, c.users["sup_gulouzi"], reason="同一处管道")
    assert (b.status, b.merged_into_id, b.entries) == ("merged", a.id, [])
    assert len(a.entries) == 2 and a.common_need
    assert "王桂兰" in a.pii  # the merged reporter stays known PII of the target
    assert a.transitions[-1].action == "merge_in" and b.transitions[-1].reason == "同一处管道"
    with pytest.raises(DomainError, match="已合并"):
        wf.merge(s, unrelated, b, c.users["sup_gulouzi"])
    assert wf.history_problems(a) == [] and wf.history_problems(b) == []


def test_link_entry_makes_common_need(county):
    c, s = county, county.session
    item = _open(c, "路灯坏了")
    assert not item.common_need
    wf.link_entry(s, item, make_entry(s, c.users["cadre_a"], "路灯坏了很久", interviewee="刘玉"), c.users["cadre_a"])
    assert item.common_need and len(item.entries) == 2 and "刘玉" in item.pii
    with pytest.raises(DomainError, match="本人"):
        wf.link_entry(s, item, make_entry(s, c.users["cadre_b"], "路灯"), c.users["cadre_a"])


def test_completion_requires_result_and_villager_feedback(county):
    c, s = county, county.session
    item = _open(c, interviewee="张大山")
    cadre = c.users["cadre_a"]
    with pytest.raises(DomainError, match="反馈"):
        wf.solve_now(s, item, cadre, "已修好")
    wf.set_deadline(s, item, cadre, TODAY + dt.timedelta(days=3), "村委会", today=TODAY)
    with pytest.raises(DomainError, match="办理结果"):
        wf.complete(s, item, cadre, "  ")
    with pytest.raises(DomainError, match="反馈"):
        wf.complete(s, item, cadre, "已修好")
    assert item.status == "in_progress" and item.result == ""  # refused: nothing changed
    fb = wf.record_feedback(s, item, cadre, "当面告知", NOW, "本人表示认可")
    wf.complete(s, item, cadre, "已修好")
    assert item.status == "done" and item.feedbacks == [fb]
    with pytest.raises(DomainError, match="无权"):
        wf.close(s, item, cadre, "销号")  # supervisors close
    wf.close(s, item, c.users["sup_gulouzi"])
    old_code = item.code
    wf.reopen(s, item, c.users["sup_gulouzi"], "复查未修好")
    wf.set_deadline(s, item, cadre, TODAY + dt.timedelta(days=3), "村委会", today=TODAY)
    with pytest.raises(DomainError, match="反馈"):
        wf.complete(s, item, cadre, "重新修好")  # the old feedback was for the old result
    wf.record_feedback(s, item, cadre, "电话告知", NOW)
    wf.complete(s, item, cadre, "重新修好")
    assert item.code == old_code and wf.history_problems(item) == []  # an item keeps its number


def test_deadline_rules(county):
    c, s = county, county.session
    item = _open(c)
    with pytest.raises(DomainError, match="早于今天"):
        wf.set_deadline(s, item, c.users["cadre_a"], TODAY - dt.timedelta(days=1), "村委会", today=TODAY)
    with pytest.raises(DomainError, match="责任单位"):
        wf.set_deadline(s, item, c.users["cadre_a"], TODAY, " ", today=TODAY)
    wf.set_deadline(s, item, c.users["cadre_a"], TODAY, "村委会", today=TODAY)
    with pytest.raises(DomainError, match="理由"):
        wf.set_deadline(s, item, c.users["cadre_a"], TODAY + dt.timedelta(days=9), "村委会", today=TODAY)
    wf.set_deadline(s, item, c.users["cadre_a"], TODAY + dt.timedelta(days=9), "村委会", reason="雨季延期", today=TODAY)
    assert item.deadline == TODAY + dt.timedelta(days=9) and item.transitions[-1].reason == "雨季延期"


def test_permissions_by_unit_and_role(county):
    c, s = county, county.session
    item = _open(c)  # 南荒沟村 (古楼子乡)
    u = c.users
    assert wf.can(u["cadre_a"], item, "solve_now")
    assert not wf.can(u["cadre_b"], item, "solve_now")  # cadre of another village
    assert not wf.can(u["cadre_c"], item, "solve_now")
    assert wf.can(u["sup_gulouzi"], item, "close")
    assert not wf.can(u["sup_budayuan"], item, "solve_now")  # another township
    assert wf.can(u["admin"], item, "merge")
    assert not wf.can(u["cadre_a"], item, "reopen")  # supervisor action
    for who in ("cadre_b", "cadre_c", "sup_budayuan"):
        with pytest.raises(DomainError, match="无权"):
            wf.solve_now(s, item, u[who], "已解决")
        with pytest.raises(DomainError, match="无权"):
            wf.set_deadline(s, item, u[who], TODAY, "村委会", today=TODAY)
    u["admin"].active = False
    assert not wf.can(u["admin"], item, "solve_now")
    assert item.status == "open" and len(item.transitions) == 1


def test_optimistic_locking(county):
    c, s = county, county.session
    item = _open(c)
    s.flush()
    seen = item.version
    wf.set_flags(s, item, c.users["sup_gulouzi"], pain_point=True, legacy=True, version=seen)
    s.flush()
    assert item.version == seen + 1 and item.pain_point and item.legacy
    with pytest.raises(DomainError, match="已被他人修改"):
        wf.solve_now(s, item, c.users["cadre_a"], "已修", version=seen)
    assert "+痛点难点" in item.transitions[-1].reason


def test_flags_and_key_projects(county):
    c, s = county, county.session
    item = _open(c, category="饮水")
    with pytest.raises(DomainError, match="未知的标记"):
        wf.set_flags(s, item, c.users["admin"], urgent=True)
    with pytest.raises(DomainError, match="没有变化"):
        wf.set_flags(s, item, c.users["admin"], legacy=False)
    project = wf.create_key_project(s, "农村饮水管网改造", c.units["古楼子乡"], c.users["sup_gulouzi"])
    with pytest.raises(DomainError):
        wf.create_key_project(s, "x", c.units["步达远镇"], c.users["sup_gulouzi"])
    wf.assign_key_project(s, item, project, c.users["sup_gulouzi"])
    assert item.key_project is project
    elsewhere = _open(c, "步达远村水井", cadre="cadre_c")
    with pytest.raises(DomainError, match="范围"):
        wf.assign_key_project(s, elsewhere, project, c.users["admin"])
    assert s.scalars(select(LedgerTransition).where(LedgerTransition.action == "key_project")).all()
