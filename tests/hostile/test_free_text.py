"""NUL and bidi controls in free text (issue #30, lows): cleaned at the door for every form and
query (webapp/params.py, core.params.clean_text), on SQLite and on PostgreSQL (where a NUL in a
text value was a 500: "A string literal cannot contain NUL characters")."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from scale_services import pg_url  # noqa: F401 - fixture
from tests.hostile.support import login_client
from tests.ledger_helpers import make_entry

TYPED = "桥\x00坏了\u202etxt.exe\u2066 见附件\u0007"


@pytest.fixture(params=["sqlite", "postgresql"])
def app_settings(request):
    if request.param == "sqlite":
        return {}
    from ops.migrate import upgrade

    url = request.getfixturevalue("pg_url")
    upgrade(url)
    return {"DATABASE_URL": url}


def test_a_flag_reason_with_nul_and_bidi_is_stored_clean(app, session, users):
    from ledger import workflow as wf
    from ledger.models import LedgerTransition

    entry = make_entry(session, users["cadre_a"], "南荒沟村的桥坏了")
    item = wf.open_item_from_entry(session, entry, users["cadre_a"])
    session.commit()
    flag = sorted(wf.FLAGS)[0]
    sup, token = login_client(app, "sup_gulouzi")
    resp = sup.post(f"/ledger/item/{item.id}/flag", data={"reason": TYPED, flag: "on", "version": item.version,
                                                          "csrf_token": token})
    assert resp.status_code in (200, 302), resp.status_code  # before: 500 on PostgreSQL
    session.expire_all()
    reasons = session.scalars(select(LedgerTransition.reason).where(LedgerTransition.item_id == item.id,
                                                                    LedgerTransition.action == "flag")).all()
    assert len(reasons) == 1
    assert "桥\ufffd坏了txt.exe 见附件\ufffd" in reasons[0]
    assert not any(ch in reasons[0] for ch in "\x00\u202e\u2066\u0007")


def test_line_breaks_and_tabs_are_kept():
    from core.params import clean_text

    assert clean_text("一\n二\r\n三\t四\x00\u202e") == "一\n二\r\n三\t四\ufffd"
