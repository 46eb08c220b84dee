"""Property tests: random sequences of actions by random people never leave an item in an
illegal state, a refused action changes nothing, and the history always explains the state."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.audit import snapshot, verify_chain
from core.errors import DomainError
from core.models import AuditEvent
from ledger import ratings
from ledger import workflow as wf
from ledger.models import LedgerItem, LedgerTransition
from org.models import OrgUnit
from tests.ledger_helpers import TODAY, make_entry

ACTORS = ("cadre_a", "cadre_b", "cadre_c", "sup_gulouzi", "sup_budayuan", "admin")
ACTIONS = ("solve_now", "set_deadline", "escalate", "accept", "send_back", "complete", "feedback",
           "close", "reopen", "merge", "flag", "link", "evaluate_public", "evaluate_in_person")
FIELDS = ("status", "org_unit_id", "level", "deadline", "result", "closed_at", "merged_into_id",
          "pain_point", "code", "triage")
NOW = dt.datetime(2024, 3, 10, 4)

step = st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.sampled_from(ACTORS),
                 st.integers(0, 3), st.sampled_from(("满意", "基本满意", "不满意")), st.booleans())


def _act(c, action, item, actor, other, rating, flag):
    s = c.session
    if action == "solve_now":
        wf.solve_now(s, item, actor, "当场解决")
    elif action == "set_deadline":
        wf.set_deadline(s, item, actor, TODAY + dt.timedelta(days=3), "村委会", reason="调整", today=TODAY)
    elif action == "escalate":
        wf.escalate(s, item, actor, "本级解决不了")
    elif action == "accept":
        wf.accept_escalation(s, item, actor)
    elif action == "send_back":
        wf.send_back(s, item, actor, "请本级先办")
    elif action == "complete":
        wf.complete(s, item, actor, "已办结")
    elif action == "feedback":
        wf.record_feedback(s, item, actor, "电话告知", NOW)
    elif action == "close":
        wf.close(s, item, actor)
    elif action == "reopen":
        wf.reopen(s, item, actor, "复查不合格")
    elif action == "merge":
        wf.merge(s, item, other, actor)
    elif action == "flag":
        wf.set_flags(s, item, actor, pain_point=flag)
    elif action == "link":
        wf.link_entry(s, item, make_entry(s, actor, "又有人反映同一问题"), actor)
    elif action == "evaluate_public":
        ratings.submit_public_evaluation(s, item.eval_code or item.code, rating)
    elif action == "evaluate_in_person":
        ratings.record_in_person(s, item, actor, rating)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=20))
def test_random_action_sequences_keep_the_machine_legal(new_county, steps):
    c = new_county()  # a fresh county for each example
    session = c.session
    try:
        items = []
        for n, (cadre, who) in enumerate((("cadre_a", "张大山"), ("cadre_a", ""), ("cadre_b", ""), ("cadre_c", "王桂兰"))):
            entry = make_entry(session, c.users[cadre], f"第{n}个问题：道路损坏", interviewee=who)
            items.append(wf.open_item_from_entry(session, entry, c.users[cadre]))
        session.flush()
        for action, i, login, j, rating, flag in steps:
            item, other, actor = items[i], items[j], c.users[login]
            before = {it.id: (snapshot(it, FIELDS), len(it.transitions)) for it in items}
            status = item.status
            rule = wf.RULES["evaluate" if action.startswith("evaluate") else action]
            allowed_by_rights = action == "evaluate_public" or wf.can(actor, item, rule.action)
            try:
                _act(c, action, item, actor, other, rating, flag)
                session.flush()
            except DomainError:
                # Refused: nothing changed on any item.
                assert {it.id: (snapshot(it, FIELDS), len(it.transitions)) for it in items} == before
            else:
                assert status in rule.sources, (action, status)
                assert allowed_by_rights, (action, login, item.org_unit.name)
                if action == "escalate":  # exactly one level up
                    assert session.get(OrgUnit, before[item.id][0]["org_unit_id"]).parent_id == item.org_unit_id
            for it in items:
                assert it.status in wf.STATUSES
                assert wf.history_problems(it) == [], (it.id, wf.history_problems(it))
                if it.status in ("done", "closed") and (it.reporter or any(e.interviewee for e in it.entries)):
                    assert it.feedbacks, "a villager's item closed without feedback"
        # Every transition has its audit event, and the audit chain is intact.
        n_tr = session.scalar(select(func.count(LedgerTransition.id)))
        n_ev = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("ledger.%")))
        assert n_tr == n_ev
        assert verify_chain(session) == []
        # Public evaluations: at most one per code.
        for it in session.scalars(select(LedgerItem)):
            if it.closed_at:
                assert sum(1 for e in it.evaluations if e.source == "public" and e.at >= it.closed_at) <= 1
    finally:
        session.close()
        session.get_bind().dispose()
