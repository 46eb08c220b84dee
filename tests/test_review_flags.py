"""The draft's ``review`` (fields the calibrated extractor asks a person to check) drives the
screen's marks, the queue's "most doubtful first" and bulk confirm."""
from __future__ import annotations

import datetime as dt
import re

from diary import review as svc
from tests.test_review import events, make_capture

SURE = {"visit_date": 0.99, "place": 0.99, "interviewee": 0.99, "visit_method": 0.6, "problem": 0.97,
        "solution": 0.97, "reflections": 0.97, "category": 0.98}


def flagged(session, uploader, review, **kw):
    cap = make_capture(session, uploader, confidence=dict(SURE), **kw)
    cap.entry.review = list(review)
    session.flush()
    return cap


def test_bulk_confirm_takes_exactly_the_drafts_with_nothing_to_review(session, users):
    # an unstated visit method at 0.6 (the default) that the calibration does not doubt
    clean = flagged(session, users["cadre_a"], [])
    doubtful = flagged(session, users["cadre_a"], ["problem"])
    assert svc.is_confident(clean.entry) and not svc.is_confident(doubtful.entry)
    res = svc.confirm_many(session, [clean, doubtful], users["sup_gulouzi"], {})
    session.commit()
    assert [cid for cid, _item in res.confirmed] == [clean.id]
    [(cid, reason)] = res.skipped
    assert cid == doubtful.id and "待核对" in reason
    assert clean.status == "confirmed" and doubtful.status == "ready_for_review"
    assert len(events(session, "capture.confirm")) == 1


def test_a_draft_from_before_calibration_keeps_the_old_rule(session, users):
    old = make_capture(session, users["cadre_a"], confidence=dict(SURE))
    assert old.entry.review is None
    assert svc.low_fields(old.entry) == ["visit_method"] and not svc.is_confident(old.entry)


def test_the_queue_puts_the_most_doubtful_drafts_first(session, users):
    one = flagged(session, users["cadre_a"], ["place"], received_at=dt.datetime(2025, 5, 1))
    none = flagged(session, users["cadre_a"], [], received_at=dt.datetime(2025, 4, 1))
    three = flagged(session, users["cadre_a"], ["place", "problem", "category"], received_at=dt.datetime(2025, 5, 2))
    low = svc.QueueFilters.from_args({"low": "1"})
    assert [c.id for c in svc.review_queue(session, users["sup_gulouzi"], low).captures] == [three.id, one.id, none.id]
    assert three.entry.review_count == 3


def test_the_screen_marks_the_review_fields_and_an_edit_clears_its_flag(client, session, users, login):
    cap = flagged(session, users["cadre_a"], ["problem", "place"])
    session.commit()
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert re.search(r'class="field low[^"]*" data-field="problem"', html)
    assert re.search(r'class="field low" data-field="place"', html)
    assert 'class="field low" data-field="visit_method"' not in html  # 0.6, but not in review
    svc.apply_edits(session, cap, {"problem": "自来水管冻裂了"}, users["sup_gulouzi"],
                    capture_version=cap.version, entry_version=cap.entry.version)
    assert cap.entry.review == ["place"] and cap.entry.review_count == 1


def test_a_span_fix_sets_the_field_and_its_evidence_in_one_audited_edit(session, users):
    cap = flagged(session, users["cadre_a"], ["problem"])
    text = cap.transcript.text
    phrase = text[2:8]
    form = {"problem": phrase, "span_evidence": '{"problem": [2, 8], "category": [0, 1], "place": [0, 99999]}'}
    edits = svc.edits_from_form(form)
    assert edits[svc.SPAN_EVIDENCE] == {"problem": [2, 8], "place": [0, 99999]}  # only the span fields
    svc.apply_edits(session, cap, edits, users["sup_gulouzi"], capture_version=cap.version,
                    entry_version=cap.entry.version)
    assert cap.entry.problem == phrase and cap.entry.evidence["problem"] == [2, 8]
    [event] = [e for e in events(session, "entry.edit") if "problem" in (e.after or {})]
    assert event.after == {"problem": phrase, "evidence": [2, 8]}
    assert cap.entry.review == []  # the person checked it
    # a span beyond the transcript is not taken as evidence (the field still changes)
    svc.apply_edits(session, cap, {"place": "南荒沟村", svc.SPAN_EVIDENCE: {"place": [0, 99999]}},
                    users["sup_gulouzi"], capture_version=cap.version, entry_version=cap.entry.version)
    assert cap.entry.evidence.get("place") != [0, 99999]
