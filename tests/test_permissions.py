"""Who may do what: every route of the app × every role × own/other scope, against a table.

Actors: anonymous; cadre_a (南荒沟村, owner of the subject capture and ledger items); cadre_b (大古岭村, same
township); cadre_c (步达远村, other township); sup_gulouzi (the subject's township);
sup_budayuan (other township); admin (宽甸县, the county). A second county (桓仁县) gives the
admin an "other" scope for user administration.

The ledger subjects are items in 南荒沟村's ledger opened from cadre_a's confirmed entries (one
reported by a villager whose name and phone must never reach a public page), taken to the
state each row needs (open, escalated to 古楼子乡, done, closed with an evaluation code, closed
and already evaluated). An item outside the user's scope answers 404 like a capture does; an
in-scope item action the user may not take (a cadre and a supervisor action) answers 403.

Every rule in app.url_map must be classified in ROUTES below: a new route makes
`test_every_route_is_classified` fail until someone states who may use it. The matrix prints
how many cells it checked. Also here: CSRF on every state-changing route, cookie flags, the
login rate limit, scrypt, deactivation ending sessions, and the CLI commands that act on data.
"""
from __future__ import annotations

import base64

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from tests.hostile.counts import report
from tests.hostile.support import PASSWORD, Media, csrf_from, login_client

ACTORS = ("anonymous", "cadre_a", "cadre_b", "cadre_c", "sup_gulouzi", "sup_budayuan", "admin")
LOGIN = "login"  # a redirect to the login page

# Expected status per actor. Shorthands for the usual shapes:
EVERYONE = {a: 200 for a in ACTORS}
SIGNED_IN = {"anonymous": LOGIN, **{a: 200 for a in ACTORS[1:]}}
# Seeing one capture: the uploader, and supervisors/admins at or above its unit; others get a 404
# (the id does not leak).
SEE_CAPTURE = {"anonymous": LOGIN, "cadre_a": 200, "cadre_b": 404, "cadre_c": 404, "sup_gulouzi": 200,
               "sup_budayuan": 404, "admin": 200}
REVIEWERS = {"anonymous": LOGIN, "cadre_a": 403, "cadre_b": 403, "cadre_c": 403, "sup_gulouzi": 200,
             "sup_budayuan": 200, "admin": 200}
REVIEW_ONE = {"anonymous": LOGIN, "cadre_a": 403, "cadre_b": 403, "cadre_c": 403, "sup_gulouzi": 200,
              "sup_budayuan": 404, "admin": 200}
REVIEW_ACT = {**REVIEW_ONE, "sup_gulouzi": 302, "admin": 302}
OWNER_ONLY = {"anonymous": LOGIN, "cadre_a": 200, "cadre_b": 404, "cadre_c": 404, "sup_gulouzi": 404,
              "sup_budayuan": 404, "admin": 404}
ADMIN_ONLY = {"anonymous": LOGIN, "cadre_a": 403, "cadre_b": 403, "cadre_c": 403, "sup_gulouzi": 403,
              "sup_budayuan": 403, "admin": 200}
API = {"anonymous": 401}
# The ledger: the subject item is in 南荒沟村's ledger. Seeing it: its unit's cadre and the supervisors
# and admins at or above it; others get a 404 (the id does not leak).
SEE_ITEM = {"anonymous": LOGIN, "cadre_a": 200, "cadre_b": 404, "cadre_c": 404, "sup_gulouzi": 200,
            "sup_budayuan": 404, "admin": 200}
# Pages about one unit (?unit=南荒沟村): units outside one's own are refused (403; unit names are
# public anyway). Entries and people outside one's scope answer 404 like captures.
IN_UNIT = {"anonymous": LOGIN, "cadre_a": 200, "cadre_b": 403, "cadre_c": 403, "sup_gulouzi": 200,
           "sup_budayuan": 403, "admin": 200}
NOBODY = {"anonymous": LOGIN, **{a: 404 for a in ACTORS[1:]}}
PUBLIC_404 = {a: 404 for a in ACTORS}


def _with(base, **changes):
    return {**base, **changes}


# Acting on the item (a redirect back to it): its unit's cadre, and supervisors/admins above it.
ITEM_ACT = {**SEE_ITEM, "cadre_a": 302, "sup_gulouzi": 302, "admin": 302}
# Supervisor-only actions: the cadre sees the item but may not (403).
SUPERVISOR_ACT = _with(ITEM_ACT, cadre_a=403)
# An item escalated to 古楼子乡 stays in view of the village, read-only: cadre_a sees it, may not act.
TOWNSHIP_ACT = _with(ITEM_ACT, cadre_a=403)
# Taking cadre_a's confirmed entry into the ledger: cadre_a, and supervisors/admins above it.
# Others get a 404 like for a capture (the entry id does not leak).
TAKE_ENTRY = _with(SEE_ITEM, cadre_a=302, sup_gulouzi=302, admin=302)
# cadre_a's printable diary: cadre_a and the supervisors/admins above; others get a 404 (people
# outside one's scope do not leak).
SEE_DIARY = SEE_ITEM


# (endpoint, method, variant) -> (url template, form builder name, expected, visible)
# `visible`: for listings, which actors must see the subject (see SUBJECT_MARKERS) in the response.
SEES_SUBJECT = {"cadre_a", "sup_gulouzi", "admin"}
ROUTES = {
    ("static", "GET", ""): ("/static/app.css", None, EVERYONE, None),
    ("auth.index", "GET", ""): ("/", None, {a: 302 for a in ACTORS}, None),
    ("auth.login", "GET", ""): ("/login", None, EVERYONE, None),
    ("auth.login", "POST", "wrong password"): ("/login", "wrong_password", {a: 401 for a in ACTORS}, None),
    ("auth.logout", "POST", ""): ("/logout", "plain", {"anonymous": LOGIN, **{a: 302 for a in ACTORS[1:]}}, None),
    ("auth.set_locale", "POST", ""): ("/locale/en", "plain", {a: 302 for a in ACTORS}, None),
    ("auth.users", "GET", ""): ("/admin/users", None, ADMIN_ONLY, None),
    ("auth.deactivate_user", "POST", "own"): ("/admin/users/{victim}/deactivate", "confirm",
                                              _with(ADMIN_ONLY, admin=302), None),
    ("auth.deactivate_user", "POST", "other county"): ("/admin/users/{outsider}/deactivate", "confirm",
                                                       _with(ADMIN_ONLY, admin=404), None),
    # Deactivation asks first (a page); a POST without the confirmation deactivates nobody.
    ("auth.deactivate_user", "GET", ""): ("/admin/users/{cadre_a}/deactivate", None, ADMIN_ONLY, None),
    ("auth.deactivate_user", "POST", "unconfirmed"): ("/admin/users/{victim}/deactivate", "plain",
                                                      ADMIN_ONLY, None),
    # People and units (the county admin, of that county only).
    ("auth.users", "POST", ""): ("/admin/users", "new_user", ADMIN_ONLY, None),
    ("auth.edit_user", "GET", ""): ("/admin/users/{cadre_a}", None, ADMIN_ONLY, None),
    ("auth.edit_user", "GET", "other county"): ("/admin/users/{outsider}", None, _with(ADMIN_ONLY, admin=404), None),
    ("auth.edit_user", "POST", ""): ("/admin/users/{victim}", "user_edit", _with(ADMIN_ONLY, admin=302), None),
    ("auth.edit_user", "POST", "other county"): ("/admin/users/{outsider}", "user_edit",
                                                 _with(ADMIN_ONLY, admin=404), None),
    ("auth.reset_password", "POST", ""): ("/admin/users/{victim}/reset", "plain", ADMIN_ONLY, None),
    ("auth.reset_password", "POST", "other county"): ("/admin/users/{outsider}/reset", "plain",
                                                      _with(ADMIN_ONLY, admin=404), None),
    ("auth.activate_user", "POST", ""): ("/admin/users/{victim}/activate", "plain", _with(ADMIN_ONLY, admin=302),
                                         None),
    ("auth.change_password", "GET", ""): ("/account/password", None, SIGNED_IN, None),
    ("auth.change_password", "POST", "wrong current password"): ("/account/password", "own_password",
                                                                 {"anonymous": LOGIN, **{a: 400 for a in ACTORS[1:]}},
                                                                 None),
    ("auth.units", "GET", ""): ("/admin/units", None, ADMIN_ONLY, None),
    ("auth.units", "POST", ""): ("/admin/units", "unit", _with(ADMIN_ONLY, admin=302), None),
    ("auth.unit_action", "POST", "rename to the same name"): ("/admin/units/{village}/rename", "unit_name",
                                                              _with(ADMIN_ONLY, admin=302), None),
    ("capture.index", "GET", ""): ("/capture/", None, SIGNED_IN, None),
    ("capture.index", "POST", ""): ("/capture/", "upload_form", {"anonymous": LOGIN, **{a: 302 for a in ACTORS[1:]}},
                                    None),
    ("capture.detail", "GET", ""): ("/capture/{capture}", None, SEE_CAPTURE, None),
    ("capture.original", "GET", ""): ("/capture/{capture}/files/0", None, SEE_CAPTURE, None),
    ("api.create_capture", "POST", ""): ("/api/captures", "upload_api", {**API, **{a: 201 for a in ACTORS[1:]}},
                                         None),
    ("api.list_captures", "GET", ""): ("/api/captures", None, {**API, **{a: 200 for a in ACTORS[1:]}},
                                       SEES_SUBJECT),
    ("api.get_capture", "GET", ""): ("/api/captures/{capture}", None, {**SEE_CAPTURE, "anonymous": 401}, None),
    # The offline capture app's manifest and service worker are static assets; resumable uploads
    # are the signed-in user's own (another's upload id answers 404: tests/test_uploads.py).
    ("capture.manifest", "GET", ""): ("/capture/manifest.webmanifest", None, EVERYONE, None),
    ("capture.service_worker", "GET", ""): ("/capture/sw.js", None, EVERYONE, None),
    ("api.session_state", "GET", ""): ("/api/session", None, {**API, **{a: 200 for a in ACTORS[1:]}}, None),
    ("api.start_upload", "POST", ""): ("/api/uploads", "upload_start", {**API, **{a: 201 for a in ACTORS[1:]}}, None),
    ("api.upload_state", "GET", ""): ("/api/uploads/" + "x" * 24, None, {**API, **{a: 404 for a in ACTORS[1:]}},
                                      None),
    ("api.upload_chunk", "PATCH", ""): ("/api/uploads/" + "x" * 24, None, {**API, **{a: 404 for a in ACTORS[1:]}},
                                        None),
    # tus 1.0 over the same uploads (webapp/api/tus.py; HEAD and OPTIONS answer what POST/PATCH do).
    ("api.tus_create", "POST", ""): ("/api/tus/", "tus_start", {**API, **{a: 201 for a in ACTORS[1:]}}, None),
    ("api.tus_patch", "PATCH", ""): ("/api/tus/" + "x" * 24, None, {**API, **{a: 404 for a in ACTORS[1:]}}, None),
    ("api.tus_delete", "DELETE", ""): ("/api/tus/" + "x" * 24, None, {**API, **{a: 404 for a in ACTORS[1:]}}, None),
    ("review.queue", "GET", ""): ("/review/", None, REVIEWERS, {"sup_gulouzi", "admin"}),
    ("review.progress", "GET", ""): ("/review/progress.json?ids={capture}", None, SIGNED_IN, SEES_SUBJECT),
    ("review.original", "GET", ""): ("/review/original/{file}", None, SEE_CAPTURE, None),
    ("review.screen", "GET", ""): ("/review/{capture}", None, REVIEW_ONE, None),
    ("review.save", "POST", ""): ("/review/{capture}/save", "edit", REVIEW_ACT, None),
    ("review.confirm", "POST", ""): ("/review/{capture}/confirm", "edit", REVIEW_ACT, None),
    ("review.return_", "POST", ""): ("/review/{capture}/return", "comment", REVIEW_ACT, None),
    # Bulk accept from the queue (the subject's id in the query only makes the matrix use a fresh
    # subject per cell): reviewers are sent back to the queue; out-of-scope ids are skipped.
    ("review.confirm_selected", "POST", ""): ("/review/confirm-selected?subject={capture}", "bulk",
                                              _with(REVIEW_ACT, sup_budayuan=302), None),
    ("review.reject", "POST", ""): ("/review/{capture}/reject", "reason", REVIEW_ACT, None),
    ("review.correct_transcript", "POST", ""): ("/review/{capture}/transcript", "transcript_word", REVIEW_ONE, None),
    ("review.reextract", "POST", ""): ("/review/{capture}/reextract", "edit", REVIEW_ACT, None),
    ("review.correct", "GET", ""): ("/review/mine/{returned}", None, OWNER_ONLY, None),
    ("review.correct", "POST", ""): ("/review/mine/{returned}", "edit", _with(OWNER_ONLY, cadre_a=302), None),
    # The ledger (台账).
    ("ledger.index", "GET", ""): ("/ledger/", None, SIGNED_IN, SEES_SUBJECT),
    ("ledger.index", "GET", "the village's ledger"): ("/ledger/?unit={village}", None, IN_UNIT, SEES_SUBJECT),
    ("ledger.item", "GET", ""): ("/ledger/item/{item}", None, SEE_ITEM, None),
    ("ledger.item", "GET", "escalated to the township"): ("/ledger/item/{escalated}", None,
                                                          SEE_ITEM, None),
    ("ledger.act", "POST", "set_deadline"): ("/ledger/item/{item}/set_deadline", "deadline", ITEM_ACT, None),
    ("ledger.act", "POST", "evaluate in person"): ("/ledger/item/{closed}/evaluate", "rating", ITEM_ACT, None),
    ("ledger.act", "POST", "close"): ("/ledger/item/{done}/close", "note", SUPERVISOR_ACT, None),
    ("ledger.act", "POST", "reopen"): ("/ledger/item/{closed}/reopen", "reason", SUPERVISOR_ACT, None),
    ("ledger.act", "POST", "merge"): ("/ledger/item/{item}/merge", "merge", SUPERVISOR_ACT, None),
    # The feedback slip carries the secret evaluation code: those who answer for the item.
    ("ledger.slip", "GET", ""): ("/ledger/item/{closed}/slip", None, SEE_ITEM, None),
    # Corrections after confirming: supervisors and admins over the item or entry; the cadre sees
    # the item but may not correct it (403); an entry out of reach answers 404.
    ("ledger.correct_item", "POST", ""): ("/ledger/item/{item}/correct", "correct", SUPERVISOR_ACT, None),
    ("ledger.correct_entry", "GET", ""): ("/ledger/entry/{entry}/correct", None, _with(SEE_ITEM, cadre_a=404), None),
    ("ledger.correct_entry", "POST", ""): ("/ledger/entry/{entry}/correct", "correct",
                                           _with(SEE_ITEM, cadre_a=404, sup_gulouzi=302, admin=302), None),
    ("ledger.unconfirm_entry", "POST", ""): ("/ledger/entry/{entry}/unconfirm", "plain",
                                             _with(SEE_ITEM, cadre_a=404, sup_gulouzi=302, admin=302), None),
    ("ledger.merge_confirm", "GET", ""): ("/ledger/item/{item}/merge?target={target}", None, SEE_ITEM, None),
    ("ledger.act", "POST", "key_project"): ("/ledger/item/{item}/key_project", "key_project", SUPERVISOR_ACT,
                                            None),
    ("ledger.act", "POST", "accept"): ("/ledger/item/{escalated}/accept", "note", TOWNSHIP_ACT, None),
    ("ledger.act", "POST", "send_back"): ("/ledger/item/{escalated}/send_back", "guidance", TOWNSHIP_ACT, None),
    ("ledger.act", "POST", "unknown action"): ("/ledger/item/{item}/bogus", "plain", NOBODY, None),
    # 公开审核: supervisors above the item see and approve its public text; its cadre may not.
    ("ledger.publish", "GET", ""): ("/ledger/item/{done}/publish", None, _with(SEE_ITEM, cadre_a=403), None),
    ("ledger.publish", "POST", ""): ("/ledger/item/{done}/publish", "plain", SUPERVISOR_ACT, None),
    ("ledger.entries", "GET", ""): ("/ledger/entries", None, SIGNED_IN, SEES_SUBJECT),
    ("ledger.take_entry", "POST", "open"): ("/ledger/entries/{entry}/open", "plain", TAKE_ENTRY, None),
    ("ledger.take_entry", "POST", "link"): ("/ledger/entries/{entry}/link", "link", TAKE_ENTRY, None),
    ("ledger.projects", "GET", ""): ("/ledger/projects", None, SIGNED_IN, {"sup_gulouzi", "admin"}),
    ("ledger.projects", "POST", ""): ("/ledger/projects", "project",
                                      _with(REVIEWERS, sup_gulouzi=302, sup_budayuan=403, admin=302), None),
    ("ledger.export", "GET", ""): ("/ledger/export?format=csv", None, SIGNED_IN, SEES_SUBJECT),
    ("ledger.export", "GET", "the village's ledger"): ("/ledger/export?format=csv&unit={village}", None, IN_UNIT,
                                                       SEES_SUBJECT),
    ("ledger.diary", "GET", ""): ("/ledger/diary", None, SIGNED_IN, None),
    ("ledger.reply_templates", "GET", ""): ("/ledger/replies", None, SIGNED_IN, None),
    ("ledger.reply_templates", "POST", ""): ("/ledger/replies", "reply", _with(ADMIN_ONLY, admin=302), None),
    ("ledger.diary", "GET", "cadre_a's diary"): ("/ledger/diary?cadre={cadre_a}", None, SEE_DIARY, None),
    # Search: everyone signed in, within their own scope (tests/test_search.py).
    ("search.index", "GET", ""): ("/search/?q=南荒沟村", None, SIGNED_IN, None),
    # The dashboard: supervisors and admins only (as the navigation shows it).
    ("dashboard.index", "GET", ""): ("/dashboard/", None, REVIEWERS, None),
    ("dashboard.index", "GET", "the village"): ("/dashboard/?unit={village}", None,
                                                _with(REVIEWERS, sup_budayuan=403), None),
    ("dashboard.export_rates", "GET", ""): ("/dashboard/rates.csv", None, REVIEWERS, None),
    ("dashboard.cluster_to_project", "POST", ""): ("/dashboard/cluster", "cluster",
                                                   _with(REVIEWERS, sup_gulouzi=302, sup_budayuan=404, admin=302), None),
    # Public pages: no login; closed items without the reporter's name or phone.
    ("public.index", "GET", ""): ("/public/", None, EVERYONE, None),
    ("public.unit", "GET", "the village"): ("/public/{village}", None, EVERYONE, set(ACTORS)),
    ("public.unit", "GET", "the township"): ("/public/{township}", None, EVERYONE, set(ACTORS)),
    ("public.unit", "GET", "the neighbouring village"): ("/public/{neighbour}", None, EVERYONE, set()),
    ("public.unit", "GET", "unknown unit"): ("/public/999999", None, PUBLIC_404, None),
    ("public.evaluate", "GET", ""): ("/public/e/{code}", None, EVERYONE, set(ACTORS)),
    ("public.evaluate", "GET", "unknown code"): ("/public/e/ZZZZ2222", None, PUBLIC_404, None),
    ("public.evaluate", "POST", ""): ("/public/e/{code}", "rating", EVERYONE, None),
    # One evaluation per code: the second is sent back to the page, which says the code is used.
    ("public.evaluate", "POST", "code already used"): ("/public/e/{used_code}", "rating", {a: 302 for a in ACTORS},
                                                       None),
    ("public.find_code", "GET", ""): ("/public/code?code={code}", None, {a: 302 for a in ACTORS}, None),
    ("public.qr", "GET", ""): ("/public/qr/{code}.png", None, EVERYONE, None),
    ("public.qr", "GET", "unknown code"): ("/public/qr/ZZZZ2222.png", None, PUBLIC_404, None),
}
# Listings that must show the subject only to those in scope: the marker they search for
# (formatted with the row's ids; spaces are removed from the body before searching).
SUBJECT_MARKERS = {"api.list_captures": '"id":{capture},', "review.progress": '"id":{capture},',
                   "review.queue": "/review/{capture}", "ledger.index": '/ledger/item/{item}"',
                   "ledger.entries": '/ledger/entries/{entry}/open"', "ledger.export": "南荒沟村3组道路冲毁",
                   "ledger.projects": "农村饮水管网改造", "public.unit": "南荒沟村3组道路冲毁",
                   "public.evaluate": "南荒沟村3组道路冲毁"}
# The villager who reported the ledger subjects: never on a public page.
REPORTER, PHONE = "张大山", "13841512345"
# What a state-changing row must change exactly when the actor's expected status is the given one
# (None: never): a probe counted before and after the request.
ITEM_CHANGED = ("transitions", 302)
EFFECTS = {
    **{key: ITEM_CHANGED for key in ROUTES if key[0] == "ledger.act"},
    ("ledger.take_entry", "POST", "open"): ("entry_in_ledger", 302),
    ("ledger.take_entry", "POST", "link"): ("entry_in_ledger", 302),
    ("ledger.projects", "POST", ""): ("projects", 302),
    ("ledger.correct_item", "POST", ""): ITEM_CHANGED,
    ("dashboard.cluster_to_project", "POST", ""): ("projects", 302),
    ("public.evaluate", "POST", ""): ("evaluations", 200),
    ("public.evaluate", "POST", "code already used"): ("evaluations", None),
}
# After a redirect, the page it leads to must say this.
FOLLOW_MARKERS = {("public.evaluate", "POST", "code already used"): "此评议码已使用"}


@pytest.fixture
def world(app, session, org, users):
    """Users of a second county, and factories of subject captures of cadre_a and of ledger items
    in 南荒沟村's ledger."""
    from capture.intake import ingest
    from capture.storage import get_storage
    from core.clock import utcnow
    from diary import review as svc
    from diary.models import DiaryEntry
    from jobs import operations as jobs
    from ledger import publication, ratings
    from ledger import workflow as wf
    from ledger.deadlines import local_today
    from org.users import add_org_unit, create_user
    from recognize.privacy import find_pii

    other_county = add_org_unit(session, "桓仁县", "county")
    other_village = add_org_unit(session, "二户来村", "village", add_org_unit(session, "二户来镇", "township",
                                                                             other_county))
    outsider = create_user(session, "cadre_x", PASSWORD, "陈外县", "cadre", other_village)
    session.commit()
    storage = get_storage(app.config)
    counter = [0]

    def subject(returned: bool = False):
        counter[0] += 1
        capture = ingest(session, storage, users["cadre_a"], [("memo.wav", Media.wav(500 + counter[0]))])
        job = jobs.enqueue_recognition(session, capture)
        assert jobs.run_job(job.id, "matrix", config=app.config) == "done"
        session.expire_all()
        if returned:
            svc.return_capture(session, capture, users["sup_gulouzi"], "请补充受访对象", capture_version=None,
                               entry_version=None)
            session.commit()
        return capture

    def victim():
        counter[0] += 1
        user = create_user(session, f"victim{counter[0]}", PASSWORD, "被停用", "cadre", users["cadre_b"].org_unit)
        session.commit()
        return user

    # The ledger: items in 南荒沟村's ledger opened by cadre_a from confirmed entries that a villager
    # reported (name and phone flagged as PII), and a key project of 古楼子乡.
    cadre_a, sup = users["cadre_a"], users["sup_gulouzi"]
    project = wf.create_key_project(session, "农村饮水管网改造", org["古楼子乡"], sup)
    session.commit()
    static = {"village": org["南荒沟村"].id, "township": org["古楼子乡"].id, "neighbour": org["大古岭村"].id,
              "cadre_a": cadre_a.id, "project": project.id}

    def entry():
        text = f"{REPORTER}（电话{PHONE}）反映：南荒沟村3组道路冲毁"
        made = DiaryEntry(cadre=cadre_a, org_unit=cadre_a.org_unit, status="confirmed", visit_date=local_today(),
                          place="南荒沟村3组", place_unit=org["南荒沟村"], interviewee=REPORTER,
                          visit_method="入户走访", problem=text, category="道路桥梁",
                          pii=find_pii(text, known=[REPORTER]))
        session.add(made)
        session.commit()
        return made

    def item(state: str = "open"):
        """An item of cadre_a in state open, escalated (to 古楼子乡), done, closed, or used (closed and
        evaluated through its code)."""
        it = wf.open_item_from_entry(session, entry(), cadre_a)
        if state == "escalated":
            wf.escalate(session, it, cadre_a, "村里没有资金")
        if state in ("done", "closed", "used"):
            wf.set_deadline(session, it, cadre_a, local_today() + dt.timedelta(days=7), "村委会")
            wf.record_feedback(session, it, cadre_a, "电话告知", utcnow() - dt.timedelta(hours=1),
                               f"已电话告知{REPORTER}")
            wf.complete(session, it, cadre_a, f"已修复，{REPORTER}（电话{PHONE}）表示满意")
        if state in ("closed", "used"):
            wf.close(session, it, sup, "验收合格")
            publication.approve_as_drafted(session, it, sup)  # what public pages may show
        if state == "used":
            ratings.submit_public_evaluation(session, it.eval_code, "满意")
        session.commit()
        assert it.status == {"used": "closed"}.get(state, state)
        return it

    return {"subject": subject, "victim": victim, "outsider": outsider, "entry": entry, "item": item,
            "static": static, "session": session}


class _Ids(dict):
    """The ids a row's URL, form and probes name, made on first use: `fresh` makes new ledger
    subjects (state-changing rows), else they are shared; units, people and the key project are
    always shared."""

    ITEMS = ("item", "escalated", "done", "closed", "used", "target")

    def __init__(self, world, shared=None, **given):
        super().__init__(given)
        self.world, self.shared = world, shared

    def __missing__(self, key):
        if self.shared is not None and key not in (*self.ITEMS, "entry", "code", "used_code"):
            value = self.shared[key]
        elif key in self.ITEMS:
            state = {"item": "open", "target": "open"}.get(key, key)
            value = self.world["item"](state).id
        elif key == "entry":
            value = self.world["entry"]().id
        elif key in ("code", "used_code"):
            from ledger.models import LedgerItem

            db = self.world["session"]
            value = db.get(LedgerItem, self[{"code": "closed", "used_code": "used"}[key]]).eval_code
        else:
            value = self.world["static"][key]
        self[key] = value
        return value


def _form(kind, token, n, ids=None):
    if kind is None:
        return None
    data = {"csrf_token": token}
    ledger_forms = {
        "deadline": lambda: {"deadline": (_today() + dt.timedelta(days=5)).isoformat(), "responsible_unit": "村委会"},
        "rating": lambda: {"rating": "满意", "comment": "入户回访"},
        "note": lambda: {"note": "验收合格"},
        "guidance": lambda: {"guidance": "先申请一事一议资金"},
        "merge": lambda: {"target_id": ids["target"], "reason": "同一问题", "confirmed": "1"},
        "key_project": lambda: {"project_id": ids["project"]},
        "link": lambda: {"item_id": ids["item"]},
        "project": lambda: {"name": f"重点项目{n}", "unit": ids["township"]},
        "cluster": lambda: {"name": f"共性问题{n}", "item_id": ids["item"]},
        "reply": lambda: {"已解决": f"已办好了{n}：{{result}}"},
    }
    if kind in ledger_forms:
        return {**data, **ledger_forms[kind]()}
    if kind == "confirm":
        return {**data, "confirmed": "1"}
    if kind == "correct":
        return {**data, "category": "饮水"}
    if kind == "new_user":
        return {**data, "login": f"matrix{n}", "display_name": "新干部", "role": "cadre", "unit": ids["village"]}
    if kind == "user_edit":
        return {**data, "display_name": f"改名{n}"}
    if kind == "own_password":
        return {**data, "current": "not-my-password", "new": "a-new-long-password-9", "repeat": "a-new-long-password-9"}
    if kind == "unit":
        return {**data, "parent": ids["township"], "name": f"新村{n}"}
    if kind == "unit_name":
        return {**data, "name": "南荒沟村"}
    if kind == "wrong_password":
        return {**data, "login": f"nobody{n}", "password": "wrong-password"}
    if kind == "upload_form":
        return {**data, "files": (io.BytesIO(Media.wav(9000 + n)), "memo.wav")}
    if kind == "upload_api":
        return {**data, "file": (io.BytesIO(Media.wav(20000 + n)), "memo.wav")}
    if kind == "edit":
        return {**data, "problem": "村里自来水冬天冻裂", "category": "饮水", "visit_method": "入户走访",
                "place": "南荒沟村", "interviewee": "张大爷", "visit_date": "2025-05-01"}
    if kind == "bulk":
        return {**data, "ids": str(ids["capture"])}
    if kind == "transcript_word":
        return {**data, "piece": "0", "char_start": "0", "char_end": "1", "text": "甲"}
    if kind == "comment":
        return {**data, "comment": "请补充"}
    if kind == "reason":
        return {**data, "reason": "重复"}
    return data


def _today():
    from ledger.deadlines import local_today

    return local_today()


def _probe(what, session, ids, template) -> int:
    """The count a state-changing row must change (or leave alone): see EFFECTS."""
    from sqlalchemy import func

    from ledger.models import Evaluation, KeyProject, LedgerItem, LedgerTransition, ledger_item_entries

    def count(query):
        return session.scalar(select(func.count()).select_from(query.subquery()))

    if what == "transitions":
        name = re.search(r"/ledger/item/\{(\w+)\}", template).group(1)
        return count(select(LedgerTransition.id).where(LedgerTransition.item_id == ids[name]))
    if what == "entry_in_ledger":
        return count(select(ledger_item_entries.c.diary_entry_id)
                     .join(LedgerItem, LedgerItem.id == ledger_item_entries.c.ledger_item_id)
                     .where(ledger_item_entries.c.diary_entry_id == ids["entry"], LedgerItem.status != "merged"))
    if what == "projects":
        return count(select(KeyProject.id))
    if what == "evaluations":
        name = "used" if "{used_code}" in template else "closed"
        return count(select(Evaluation.id).where(Evaluation.item_id == ids[name]))
    raise AssertionError(what)


def _ok(expected, resp) -> bool:
    if expected == LOGIN:
        return resp.status_code == 302 and "/login" in resp.headers.get("Location", "")
    return resp.status_code == expected


def test_every_route_is_classified(app):
    classified = {(e, m) for e, m, _v in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in classified:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without a row in the permission table: " + ", ".join(missing)


def test_permission_matrix(app, session, users, world, request):
    from org.models import User

    # Hundreds of requests from one test client: the public pages' per-client limit (its own
    # test in tests/hostile/test_attack_findings.py) would answer 429 here.
    app.config["PUBLIC_EVAL_LIMIT"] = "100000 per minute"

    clients = {"anonymous": (app.test_client(), None)}
    for actor in ACTORS[1:]:
        clients[actor] = login_client(app, actor)
    anon_token = csrf_from(clients["anonymous"][0].get("/login").get_data(as_text=True))
    clients["anonymous"] = (clients["anonymous"][0], anon_token)
    present = {(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods}

    shared = world["subject"]()
    shared_returned = world["subject"](returned=True)
    shared_ids = _Ids(world, capture=shared.id, file=shared.files[0].id, returned=shared_returned.id, victim=0,
                      outsider=world["outsider"].id)
    cells = failures = 0
    wrong = []
    for key, (template, form_kind, expected, visible) in ROUTES.items():
        endpoint, method, variant = key
        if (endpoint, method) not in present:
            continue  # classified ahead of a route that lives on another branch
        for actor in ACTORS:
            client, token = clients[actor]
            state_changing = method == "POST"
            subject = world["subject"]() if state_changing and "{capture}" in template else shared
            returned = world["subject"](returned=True) if state_changing and "{returned}" in template \
                else shared_returned
            victim = world["victim"]() if "{victim}" in template else None
            ids = _Ids(world, shared_ids, capture=subject.id, file=subject.files[0].id, returned=returned.id,
                       victim=victim.id if victim else 0) if state_changing else shared_ids
            url = template.format_map(ids)
            # (made before the request: the subjects a listing must show exist by then)
            marker = SUBJECT_MARKERS[endpoint].format_map(ids) if visible is not None else None
            data = _form(form_kind, token, cells, ids)
            effect = EFFECTS.get(key)
            before = _probe(effect[0], session, ids, template) if effect else None
            if method == "GET":
                resp = client.get(url)
            elif method == "PATCH":
                resp = client.patch(url, data=b"x", headers={"X-CSRFToken": token or "", "Upload-Offset": "0",
                                                             "X-Chunk-SHA256": "0" * 64, "Tus-Resumable": "1.0.0",
                                                             "Content-Type": "application/offset+octet-stream"})
            elif method == "DELETE":
                resp = client.delete(url, headers={"X-CSRFToken": token or "", "Tus-Resumable": "1.0.0"})
            elif form_kind == "tus_start":
                meta = "filename bWVtby53YXY=,sha256 " + base64.b64encode(f"{cells:064x}".encode()).decode()
                resp = client.post(url, headers={"X-CSRFToken": token or "", "Tus-Resumable": "1.0.0",
                                                 "Upload-Length": str(100 + cells), "Upload-Metadata": meta})
            elif form_kind == "upload_start":
                resp = client.post(url, json={"name": "memo.wav", "size": 100 + cells, "sha256": f"{cells:064x}"},
                                   headers={"X-CSRFToken": token or ""})
            elif form_kind == "upload_api":
                resp = client.post(url, data=data, headers={"X-CSRFToken": token or ""},
                                   content_type="multipart/form-data")
            else:
                resp = client.post(url, data=data, content_type="multipart/form-data" if form_kind and "upload" in
                                   form_kind else None)
            cells += 1
            ok = _ok(expected[actor], resp)
            why = ""
            if ok and visible is not None and resp.status_code == 200:
                body = resp.get_data(as_text=True).replace(" ", "")
                if (marker in body) != (actor in visible):
                    ok, why = False, f"; the subject is {'' if marker in body else 'not '}listed"
            if ok and endpoint.startswith("public.") and resp.status_code == 200 and resp.mimetype == "text/html":
                body = resp.get_data(as_text=True)
                if REPORTER in body or PHONE in body:
                    ok, why = False, "; the reporter's name or phone is on a public page"
            if ok and effect:
                session.expire_all()
                changed = _probe(effect[0], session, ids, template) != before
                session.rollback()
                if changed != (expected[actor] == effect[1]):
                    ok, why = False, f"; {effect[0]} {'changed' if changed else 'unchanged'}"
            if ok and key in FOLLOW_MARKERS and resp.status_code == 302:
                if FOLLOW_MARKERS[key] not in client.get(resp.headers["Location"]).get_data(as_text=True):
                    ok, why = False, f"; the page it leads to does not say {FOLLOW_MARKERS[key]}"
            if ok and victim is not None and endpoint == "auth.deactivate_user":
                session.expire_all()
                deactivated = not session.get(User, victim.id).active
                if deactivated != (expected[actor] == 302):
                    ok = False
            if not ok:
                failures += 1
                wrong.append(f"{method} {url} [{variant or endpoint}] as {actor}: got {resp.status_code} "
                             f"{resp.headers.get('Location', '')}, expected {expected[actor]}{why}")
            if endpoint == "auth.logout" and actor != "anonymous":
                clients[actor] = login_client(app, actor)
            if endpoint == "auth.set_locale":
                client.post("/locale/zh_CN", data={"csrf_token": token})
    report("permission matrix", cells, cells - failures, what="cells", config=request.config,
           verbs=("checked", "as the table says"))
    assert not wrong, "\n".join(wrong)


def test_csrf_is_enforced_on_every_state_changing_route(app, session, users, world, request):
    """Every POST route, as the admin (who may do most): no token or a wrong one -> 400, nothing changes."""
    from tests.hostile.support import row_counts

    client, _token = login_client(app, "admin")
    subject = world["subject"]()
    returned = world["subject"](returned=True)
    victim = world["victim"]()
    closed, entry = world["item"]("closed"), world["entry"]()
    # Routes whose objects must be real for "nothing changes" to mean something: each of these
    # would succeed with the data below and a valid token.
    real = {"/ledger/item/<int:item_id>/<action>": f"/ledger/item/{closed.id}/reopen",
            "/ledger/entries/<int:entry_id>/<how>": f"/ledger/entries/{entry.id}/open",
            "/public/e/<code>": f"/public/e/{closed.eval_code}"}
    engine = app.extensions["minxin.engine"]
    checked, wrong = 0, []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = real.get(rule.rule) or re.sub(r"<[^>]+>", "0", rule.rule)
        url = url.replace("/review/0", f"/review/{subject.id}").replace("/mine/0", f"/mine/{returned.id}")
        url = url.replace("/users/0", f"/users/{victim.id}").replace("/locale/0", "/locale/en")
        url = url.replace("/captures/0", f"/captures/{subject.id}")
        for label, extra in (("no token", {}), ("wrong token", {"csrf_token": "forged"}),
                             ("token of another session", {"csrf_token": login_client(app, "cadre_b")[1]})):
            before = row_counts(engine)
            headers = {"X-CSRFToken": extra["csrf_token"]} if label == "wrong token" else {}
            resp = client.post(url, data={**extra, "problem": "篡改", "comment": "x", "reason": "x",
                                          "rating": "满意", "name": "篡改项目", "unit": str(closed.org_unit_id),
                                          "login": "admin", "password": PASSWORD,
                                          "file": (io.BytesIO(Media.wav(31337)), "m.wav")},
                               headers=headers, content_type="multipart/form-data")
            checked += 1
            if resp.status_code != 400 or row_counts(engine) != before:
                wrong.append(f"POST {url} ({label}): {resp.status_code}")
    session.expire_all()
    assert session.get(type(victim), victim.id).active
    assert session.get(type(closed), closed.id).status == "closed"
    assert not session.get(type(entry), entry.id).ledger_items
    report("CSRF on state-changing routes", checked, checked - len(wrong), what="requests", config=request.config)
    assert not wrong, wrong


def test_session_cookie_flags_by_default(tmp_path, monkeypatch, migrated_db, users):
    monkeypatch.delenv("MINXIN_INSECURE_COOKIES", raising=False)
    from webapp import config

    defaults = config.from_environment(tmp_path / "inst")
    assert defaults["SESSION_COOKIE_SECURE"] and defaults["SESSION_COOKIE_HTTPONLY"]
    assert defaults["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert defaults["REMEMBER_COOKIE_SECURE"] and defaults["REMEMBER_COOKIE_HTTPONLY"]


def test_login_cookie_is_secure_httponly_samesite(app, users):
    app.config.update(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    token = csrf_from(client.get("/login", base_url="https://localhost").get_data(as_text=True))
    resp = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                       data={"login": "cadre_a", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_is_rate_limited_per_login_and_address(app, users):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))

    def attempt(password, login="cadre_a", addr="10.0.0.1"):
        return client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": addr})

    assert [attempt("guess-%d" % i).status_code for i in range(5)] == [401] * 5
    limited = attempt("guess-6")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "登录失败次数过多" in limited.get_data(as_text=True)
    # Even the right password waits: the limit is checked before the password.
    assert attempt(PASSWORD).status_code == 429
    # Another account from the same address, and the same account from elsewhere, still work.
    assert attempt(PASSWORD, login="cadre_b").status_code == 302
    client = app.test_client()  # (the login above rotated the CSRF token)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert attempt(PASSWORD, addr="10.0.0.2").status_code == 302


def test_passwords_use_scrypt(session, org):
    from org import users as users_mod

    assert users_mod.PASSWORD_METHOD.startswith("scrypt")
    user = users_mod.create_user(session, "kdf_check", "long-enough-pw", "测试", "cadre", org["南荒沟村"])
    assert user.password_hash.startswith("scrypt:")
    assert "long-enough-pw" not in user.password_hash
    assert users_mod.check_password(user, "long-enough-pw") and not users_mod.check_password(user, "long-enough-px")


def test_admin_deactivates_a_user_and_their_sessions_end(app, session, users):
    from core.models import AuditEvent
    from org.models import User

    victim_client, _ = login_client(app, "cadre_a")
    assert victim_client.get("/capture/").status_code == 200
    admin, token = login_client(app, "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "cadre_a" in page and f"/admin/users/{users['cadre_a'].id}/deactivate" in page
    resp = admin.post(f"/admin/users/{users['cadre_a'].id}/deactivate", data={"csrf_token": token, "confirmed": "1"})
    assert resp.status_code == 302
    # The open session ends at its next request; logging in again is refused.
    assert "/login" in victim_client.get("/capture/").headers["Location"]
    assert victim_client.get("/api/captures").status_code == 401
    fresh = app.test_client()
    t = csrf_from(fresh.get("/login").get_data(as_text=True))
    assert fresh.post("/login", data={"login": "cadre_a", "password": PASSWORD, "csrf_token": t}).status_code == 401
    session.expire_all()
    assert not session.get(User, users["cadre_a"].id).active
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.deactivate")).one()
    assert event.actor_label == "admin" and event.object_id == users["cadre_a"].id
    # An admin cannot lock themselves out.
    admin.post(f"/admin/users/{users['admin'].id}/deactivate", data={"csrf_token": token})
    session.expire_all()
    assert session.get(User, users["admin"].id).active


def test_cli_commands_acting_on_data(app, session, users, tmp_path, monkeypatch, request):
    """The CLI runs with the server's rights; it still refuses what the data does not allow."""
    from click.testing import CliRunner

    from org.users import set_active
    from webapp.cli import cli

    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("MINXIN_DATA_DIR", app.config["DATA_DIR"])
    monkeypatch.setenv("MINXIN_RECOGNIZER", "fake")
    memo = tmp_path / "memo.wav"
    memo.write_bytes(Media.wav(4242))
    set_active(session, users["cadre_c"], False, actor=users["admin"])
    session.commit()
    runner = CliRunner()
    table = [
        (["ingest", str(memo), "--cadre", "cadre_a"], 0),
        (["ingest", str(memo), "--cadre", "cadre_a"], 3),  # duplicate
        (["ingest", str(memo), "--cadre", "cadre_c"], 1),  # deactivated
        (["ingest", str(memo), "--cadre", "nobody"], 1),
        (["create-user", "newbie", "--name", "新人", "--role", "cadre", "--unit", "不存在村", "--password",
          "long-enough-1"], 1),
        (["create-user", "cadre_a", "--name", "重名", "--role", "cadre", "--unit", "南荒沟村", "--password",
          "long-enough-1"], 1),
        (["create-user", "shorty", "--name", "短", "--role", "cadre", "--unit", "南荒沟村", "--password", "short"], 1),
        (["create-user", "boss", "--name", "老板", "--role", "root", "--unit", "宽甸县", "--password",
          "long-enough-1"], 2),
        (["audit-verify"], 0),
        (["backup", str(tmp_path)], 1),  # not empty: never overwrite
    ]
    wrong = []
    for args, code in table:
        result = runner.invoke(cli, args)
        if result.exit_code != code:
            wrong.append(f"minxin {' '.join(args)}: exit {result.exit_code}, expected {code}: {result.output[-200:]}")
    report("CLI permission cells", len(table), len(table) - len(wrong), what="cells", config=request.config,
           verbs=("checked", "as the table says"))
    assert not wrong, wrong
