"""The twenty 500s of the third outside attack (issue #30), one check each, counted like the
other hostile suites ("attack round 3: N checks tried, M handled"). Every check here answered
500 on the code before core/params.py (checked by running this file against it)."""
from __future__ import annotations

import json

import pytest

from tests.hostile.counts import report
from tests.hostile.support import login_client
from tests.ledger_helpers import make_entry

TALLY = {"tried": 0, "passed": 0}
HUGE = "99999999999999999999"  # past SQLite's 64-bit integers
SUPER2 = "²"  # '²'.isdigit() is True, int('²') fails


def tally(request, answers: dict[str, int]) -> None:
    """Each named request must be answered without a 500 (and without any 5xx)."""
    TALLY["tried"] += len(answers)
    TALLY["passed"] += sum(code < 500 for code in answers.values())
    report("bad inputs: attack round 3", TALLY["tried"], TALLY["passed"], what="checks", config=request.config)
    failed = {name: code for name, code in answers.items() if code >= 500}
    assert not failed, failed


@pytest.fixture
def item(session, users):
    from ledger import workflow as wf

    entry = make_entry(session, users["cadre_a"], "南荒沟村的桥坏了，需要修")
    it = wf.open_item_from_entry(session, entry, users["cadre_a"])
    session.commit()
    return it


def test_integers_too_large_and_unicode_digits_in_queries(app, users, item, request):
    sup, _ = login_client(app, "sup_gulouzi")
    anon = app.test_client()
    answers = {}
    for bad in (HUGE, SUPER2):
        answers[f"progress.json?ids={bad}"] = sup.get(f"/review/progress.json?ids={bad}").status_code
        for name in ("township", "village", "cadre", "page"):
            answers[f"/review/?{name}={bad}"] = sup.get(f"/review/?{name}={bad}").status_code
    answers["/ledger/?after=…_HUGE"] = sup.get(f"/ledger/?after=2024-01-01T00:00:00_{HUGE}").status_code
    answers["/ledger/?after=year 1"] = sup.get("/ledger/?after=0001-01-01T00:00:00_5").status_code
    unit = item.org_unit_id
    answers["anonymous /public/<unit>?after=…_HUGE"] = anon.get(
        f"/public/{unit}?after=2024-01-01T00:00:00_{HUGE}").status_code
    tally(request, answers)


def test_integers_too_large_and_unicode_digits_in_forms(app, users, item, request):
    sup, token = login_client(app, "sup_gulouzi")
    admin, admin_token = login_client(app, "admin")
    answers = {}
    for bad in (HUGE, SUPER2):
        answers[f"POST /dashboard/cluster item_id={bad}"] = admin.post(
            "/dashboard/cluster", data={"item_id": bad, "name": "x", "csrf_token": admin_token}).status_code
        answers[f"POST /review/confirm-selected ids={bad}"] = sup.post(
            "/review/confirm-selected", data={"ids": bad, "csrf_token": token}).status_code
    tally(request, answers)


def test_feedback_times_out_of_the_calendar(app, users, item, request):
    cadre, token = login_client(app, "cadre_a")
    answers = {}
    for told_at in ("0001-01-01T00:00", "9999-12-31T23:59-12:00", "0001-01-01"):
        resp = cadre.post(f"/ledger/item/{item.id}/feedback", data={
            "method": "电话告知", "told_at": told_at, "note": "已告知", "version": item.version,
            "csrf_token": token})
        answers[f"feedback told_at={told_at}"] = resp.status_code
    tally(request, answers)


def test_transcript_correction_with_a_json_body_of_the_wrong_shape(app, users, make_capture, request):
    capture = make_capture(users["cadre_a"])
    sup, token = login_client(app, "sup_gulouzi")
    answers = {}
    for body in ([1, 2], "abc", 5):
        resp = sup.post(f"/review/{capture.id}/transcript", data=json.dumps(body),
                        headers={"X-CSRFToken": token}, content_type="application/json")
        answers[f"transcript body {json.dumps(body)}"] = resp.status_code
        assert resp.status_code in (400, 404)
    tally(request, answers)


def test_publish_masks_out_of_range_or_of_the_wrong_shape(app, session, users, request):
    from core.clock import utcnow
    from ledger import workflow as wf

    entry = make_entry(session, users["cadre_a"], "南荒沟村的桥坏了")
    it = wf.open_item_from_entry(session, entry, users["cadre_a"])
    wf.record_feedback(session, it, users["cadre_a"], "电话告知", utcnow(), "已电话告知")
    wf.solve_now(session, it, users["cadre_a"], "桥已修好")
    session.commit()
    sup, token = login_client(app, "sup_gulouzi")
    import re

    page = sup.get(f"/ledger/item/{it.id}/publish").get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    answers = {}
    for masks in ('{"problem":[[0,1e999]]}', '[{"a":1}]', '{"problem":[{"a":1}]}', '{"problem":[[0,NaN]]}',
                  '{"result":[[1.5, 2]]}'):
        resp = sup.post(f"/ledger/item/{it.id}/publish", data={"masks": masks, "digest": digest,
                                                                "csrf_token": token})
        answers[f"publish masks={masks}"] = resp.status_code
    tally(request, answers)


def test_a_json_object_with_numbers_posted_to_a_page_form(app, users, request):
    """Found by the route sweep after the round: Flask-WTF reads a JSON body as the form, and a
    number in a date field's place crashed the page when it was shown again."""
    answers = {}
    for role, path in (("sup_gulouzi", "/capture/"), ("cadre_a", "/capture/"), (None, "/login")):
        client, token = login_client(app, role) if role else (app.test_client(), "")
        for body in ({"visit_date": -7.08e292, "place": None, "month": [699, -34359738367]},
                     {"visit_date": 5, "login": 7, "password": [1, 2]}):
            resp = client.post(path, data=json.dumps(body), headers={"X-CSRFToken": token},
                               content_type="application/json")
            answers[f"{role} {path} {json.dumps(body)[:40]}"] = resp.status_code
    tally(request, answers)
