"""The same page uploaded again warns on the review screen (issue 29): the same file from another
upload, or a transcript that says nearly the same (the page photographed again)."""
from __future__ import annotations

import hashlib

from diary.duplicates import find_duplicates, overlap
from tests.test_review import make_capture

PAGE = ["今天到南荒沟村走访了张大爷", "他反映村里的自来水经常停水", "我们准备联系水利站来看看"]
AGAIN = ["今天到南荒沟村走访了张大爷", "他反映村里的白来水经常停水", "我们准备联系水利站来看看"]  # one misread
OTHER = ["下午去大古岭村看了李奶奶", "她说低保申请不知道找谁", "答应帮她问问民政所"]


def _files(capture, name):
    for f in capture.files:
        f.sha256 = hashlib.sha256(name.encode()).hexdigest()


def test_overlap_of_a_page_read_twice():
    assert overlap("".join(PAGE), "".join(AGAIN)) > 0.85 > overlap("".join(PAGE), "".join(OTHER))


def test_the_review_screen_warns_of_the_same_page_uploaded_again(client, session, users, login):
    first = make_capture(session, users["cadre_a"], kind="pages", texts=PAGE)
    again = make_capture(session, users["cadre_b"], kind="pages", texts=AGAIN)  # photographed again
    copy = make_capture(session, users["cadre_a"], kind="pages", texts=["字迹模糊"])  # the same file, read badly
    other = make_capture(session, users["cadre_a"], kind="pages", texts=OTHER)
    _files(first, "page-1")
    _files(again, "page-1-again")
    _files(copy, "page-1")
    _files(other, "page-2")
    session.commit()
    found = {d.capture.id: d.why for d in find_duplicates(session, first, users["sup_gulouzi"])}
    assert found == {again.id: "same_text", copy.id: "same_file"}
    assert find_duplicates(session, other, users["sup_gulouzi"]) == []
    assert find_duplicates(session, first, users["sup_budayuan"]) == []  # out of scope: named nowhere
    login(users["sup_gulouzi"])
    html = client.get(f"/review/{first.id}").get_data(as_text=True)
    assert 'id="duplicates"' in html and f"/review/{again.id}" in html and f"/review/{copy.id}" in html
    assert 'id="duplicates"' not in client.get(f"/review/{other.id}").get_data(as_text=True)
