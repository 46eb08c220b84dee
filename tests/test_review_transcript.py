"""Correcting the transcript on the review screen, re-extracting the draft from it, and the
county vocabulary learned from those corrections (fast: no real models)."""
from __future__ import annotations

import pytest

from diary import transcript_edits
from diary.models import DiaryEntry, Transcript
from diary.vocabulary import county_vocabulary
from recognize.transcript import RecognizedText, word
from tests.test_review import events, form_of, make_capture

TEXTS = ["今天到南黄沟村走访了张大延", "他反映村里的自来水经常停水", "我们准备联系水利站来看看"]


def with_words(session, capture):
    """Give the fake capture's pieces the words Whisper would: 南黄沟村 misheard, 张大延 flagged."""
    t = capture.transcript
    first = t.pieces[0]
    first.words = [
        word("今天", 0.0, 0.4, 0.98, False, 0, 2), word("到", 0.4, 0.6, 0.97, False, 2, 3),
        word("南黄沟村", 0.6, 1.4, 0.62, False, 3, 7), word("走访", 1.4, 1.8, 0.9, False, 7, 9),
        word("了", 1.8, 1.9, 0.99, False, 9, 10), word("张大延", 1.9, 2.7, 0.41, True, 10, 13),
    ]
    for p in t.pieces[1:]:
        p.words = [word(p.text, p.start, p.end, 0.9, False, 0, len(p.text))]
    session.commit()
    return capture


@pytest.fixture
def cap(session, users):
    return with_words(session, make_capture(session, users["cadre_a"], texts=TEXTS))


def test_a_words_title_shows_its_calibrated_score(session, users, login, cap):
    first = cap.transcript.pieces[0]
    words = [dict(w) for w in first.words]
    words[5]["score"] = 0.23  # 张大延: the decoder said 0.41, the calibrated score 0.23
    first.words = words
    session.commit()
    html = login(users["sup_gulouzi"]).get(f"/review/{cap.id}").get_data(as_text=True)
    span = html[html.index('data-w="5"'):html.index(">张大延</span>")]
    assert "23%" in span and "41%" not in span
    assert "98%" in html  # a word stored without a score still shows the decoder's probability


def test_screen_marks_flagged_words_and_keeps_pieces_without_words(session, users, login, cap):
    client = login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert 'class="word flagged"' in html and ">张大延</span>" in html
    assert 'data-t="1.9"' in html and "review_audio.js" in html and 'id="btn-reextract"' in html
    assert 'id="word-dialog"' in html
    old = make_capture(session, users["cadre_a"])  # stored before words were kept
    html = client.get(f"/review/{old.id}").get_data(as_text=True)
    assert "今天到南荒沟村走访了张大爷" in html and 'class="word' not in html


def test_correcting_a_word_moves_offsets_and_is_audited(session, users, login, cap):
    client = login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    token = form_of(html, cap)["csrf_token"]
    before_evidence = dict(cap.entry.evidence)
    resp = client.post(f"/review/{cap.id}/transcript", json={"piece": 0, "char_start": 10, "char_end": 13,
                       "text": "张大爷爷"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert data["piece"]["text"] == "今天到南黄沟村走访了张大爷爷"
    fixed = data["piece"]["words"][-1]
    assert fixed["text"] == "张大爷爷" and fixed["corrected_from"] == "张大延" and not fixed["flagged"]
    assert (fixed["start"], fixed["end"]) == (1.9, 2.7)
    session.expire_all()
    t = session.get(Transcript, cap.transcript.id)
    assert t.text == "今天到南黄沟村走访了张大爷爷\n他反映村里的自来水经常停水\n我们准备联系水利站来看看"
    for p in t.pieces:
        assert t.text[p.char_start:p.char_end] == p.text
    entry = session.get(DiaryEntry, cap.entry.id)
    s, e = entry.evidence["problem"]
    assert t.text[s:e] == "自来水经常停水" and s == before_evidence["problem"][0] + 1
    (ev,) = events(session, "transcript.correct")
    assert ev.actor_id == users["sup_gulouzi"].id and ev.object_id == t.id
    assert ev.after["before"] == "张大延" and ev.after["text"] == "张大爷爷"
    assert ev.after["county_id"] == users["sup_gulouzi"].org_unit.parent.id
    assert data["entry_version"] == entry.version


def test_bad_corrections_are_refused_and_change_nothing(session, users, login, cap, csrf_token):
    client = login(users["sup_gulouzi"])
    token = form_of(client.get(f"/review/{cap.id}").get_data(as_text=True), cap)["csrf_token"]
    for body in ({"piece": 9, "char_start": 0, "char_end": 1, "text": "甲"},
                 {"piece": 0, "char_start": 5, "char_end": 99, "text": "甲"},
                 {"piece": 0, "char_start": 0, "char_end": 2, "text": "  "}):
        resp = client.post(f"/review/{cap.id}/transcript", json=body, headers={"X-CSRFToken": token})
        assert resp.status_code == 400 and resp.get_json()["error"]
    assert not events(session, "transcript.correct")
    # No CSRF token: refused.
    assert client.post(f"/review/{cap.id}/transcript", json={"piece": 0, "char_start": 0, "char_end": 1,
                       "text": "甲"}).status_code == 400
    # Another township's supervisor does not see the capture at all.
    other = login(users["sup_budayuan"])
    token = csrf_token("/review/")
    resp = other.post(f"/review/{cap.id}/transcript", json={"piece": 0, "char_start": 0, "char_end": 1,
                      "text": "甲"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 404
    assert not events(session, "transcript.correct")


def test_reextract_refreshes_fields_from_the_corrected_text_and_keeps_edited_ones(session, users, login, cap):
    sup = users["sup_gulouzi"]
    session.get(DiaryEntry, cap.entry.id).solution = "旧的思路"  # as the extractor once wrote it
    session.commit()
    client = login(sup)
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    form = form_of(html, cap)
    resp = client.post(f"/review/{cap.id}/transcript", json={"piece": 0, "char_start": 3, "char_end": 7,
                       "text": "南荒沟村"}, headers={"X-CSRFToken": form["csrf_token"]})
    assert resp.status_code == 200
    form["entry_version"] = str(resp.get_json()["entry_version"])
    entry = session.get(DiaryEntry, cap.entry.id)
    typed = {"interviewee": "张德福", "place": entry.place, "problem": entry.problem, "solution": "旧的思路",
             "visit_date": "2025-05-01", "visit_method": entry.visit_method, "category": entry.category,
             "reflections": "", "visit_time": ""}
    resp = client.post(f"/review/{cap.id}/reextract", data={**form, **typed})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.expire_all()
    entry = session.get(DiaryEntry, cap.entry.id)
    assert entry.interviewee == "张德福"  # typed by the supervisor: kept
    assert entry.solution != "旧的思路" and "水利站" in entry.solution  # read again from the text
    assert entry.place_unit is not None and entry.place_unit.name == "南荒沟村"
    (ev,) = events(session, "entry.reextract")
    assert ev.actor_id == sup.id and "interviewee" in ev.before["kept"] and "solution" in ev.after
    assert "interviewee" not in ev.after


def test_county_vocabulary_learns_a_correction_only_once_made_twice(session, users, cap):
    sup = users["sup_gulouzi"]
    vocab = county_vocabulary(session, cap.org_unit)
    assert {"南荒沟村", "南荒沟", "古楼子乡", "古楼子", "步达远镇", "步达远", "李春生", "孙建国"} <= set(vocab.names)
    assert vocab.learned == ()
    transcript_edits.correct_span(session, cap, sup, piece=1, char_start=6, char_end=9, text="自流水")
    session.commit()
    assert county_vocabulary(session, cap.org_unit).learned == ()  # once: not yet
    second = with_words(session, make_capture(session, users["cadre_a"], texts=TEXTS))
    transcript_edits.correct_span(session, second, sup, piece=1, char_start=6, char_end=9, text="自流水")
    session.commit()
    vocab = county_vocabulary(session, cap.org_unit)
    assert vocab.learned == (("自来水", "自流水"),)
    # A confirmed entry's interviewee joins the names.
    entry = session.get(DiaryEntry, second.entry.id)
    entry.status, entry.interviewee = "confirmed", "宋德林"
    session.commit()
    assert "宋德林" in county_vocabulary(session, cap.org_unit).names


def test_stored_transcripts_without_words_still_load():
    old = {"text": "一段话", "pieces": [{"text": "一段话", "confidence": 0.9, "char_start": 0, "char_end": 3,
                                       "start": 0.0, "end": 1.0, "page": None, "polygon": None}]}
    t = RecognizedText.from_dict(old)
    assert t.pieces[0].words is None
    again = RecognizedText.from_dict(t.to_dict())
    assert again == t


def with_char_words(session, capture, misread: str, at: int):
    """A photo's pieces as PP-OCRv6 gives them: one word per character, the one at `at` of
    the second line misread as `misread`, flagged and boxed on the photo."""
    t = capture.transcript
    for i, p in enumerate(t.pieces):
        words = []
        for k, ch in enumerate(p.text):
            unsure = i == 1 and k == at
            extra = {"recognizer": 0.52 if unsure else 0.99}
            if unsure:
                x = 20 + 30 * k
                extra["polygon"] = [[x, 90], [x + 30, 90], [x + 30, 140], [x, 140]]
            words.append(word(ch, None, None, 0.4 if unsure else 0.97, unsure, k, k + 1, **extra))
        p.words = words
    if misread:
        p = t.pieces[1]
        p.text = p.text[:at] + misread + p.text[at + 1:]
        p.words[at]["text"] = misread
        t.text = "\n".join(q.text for q in t.pieces)
    session.commit()
    return capture


def test_a_photos_unsure_character_is_flagged_on_the_photo_and_in_the_text(session, users, login):
    photo = with_char_words(session, make_capture(session, users["cadre_a"], kind="pages", texts=TEXTS),
                            "未", 7)  # 他反映村里的自来水: 来 read as 未
    client = login(users["sup_gulouzi"])
    html = client.get(f"/review/{photo.id}").get_data(as_text=True)
    assert '<polygon class="char-flag" data-p="1" data-cs="7" data-ce="8" points="230,90 260,90 260,140 230,140 ">' in html
    assert 'class="word flagged" data-p="1"' in html and ">未</span>" in html
    assert "review_photo_flags.js" in html and 'id="word-dialog"' in html
    assert html.count('class="char-flag"') == 1  # only the unsure character is boxed
    audio = with_words(session, make_capture(session, users["cadre_a"], texts=TEXTS))
    assert "review_photo_flags.js" not in client.get(f"/review/{audio.id}").get_data(as_text=True)


def test_a_photos_transcript_is_corrected_and_re_extracted_like_a_memos(session, users, login):
    photo = with_char_words(session, make_capture(session, users["cadre_a"], kind="pages", texts=TEXTS), "未", 7)
    session.get(DiaryEntry, photo.entry.id).problem = "村里的自未水经常停水"  # as extracted from the misreading
    session.commit()
    client = login(users["sup_gulouzi"])
    form = form_of(client.get(f"/review/{photo.id}").get_data(as_text=True), photo)
    resp = client.post(f"/review/{photo.id}/transcript", json={"piece": 1, "char_start": 7, "char_end": 8,
                       "text": "来"}, headers={"X-CSRFToken": form["csrf_token"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["word"]["corrected_from"] == "未" and body["piece"]["text"] == TEXTS[1]
    fixed = body["piece"]["words"][7]
    assert fixed["flagged"] is False and fixed["corrected_from"] == "未"
    form["entry_version"] = str(body["entry_version"])
    entry = session.get(DiaryEntry, photo.entry.id)
    typed = {"interviewee": entry.interviewee, "place": entry.place, "problem": entry.problem, "solution": entry.solution,
             "visit_date": "2025-05-01", "visit_method": entry.visit_method, "category": entry.category,
             "reflections": "", "visit_time": ""}
    resp = client.post(f"/review/{photo.id}/reextract", data={**form, **typed})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session.expire_all()
    problem = session.get(DiaryEntry, photo.entry.id).problem
    assert "自来水" in problem and "自未水" not in problem


def test_a_photos_corrections_do_not_teach_the_speech_corrector(session, users):
    """A misread handwritten character (来 read as 未) says nothing of what Whisper mishears."""
    sup = users["sup_gulouzi"]
    for _ in range(2):  # twice: what the corrector would learn from memos
        photo = with_char_words(session, make_capture(session, users["cadre_a"], kind="pages", texts=TEXTS), "未", 7)
        transcript_edits.correct_span(session, photo, sup, piece=1, char_start=6, char_end=8, text="自来")
        session.commit()
    assert county_vocabulary(session, photo.org_unit).learned == ()


def test_a_memo_without_a_duration_in_its_header_shows_the_decoded_length(session, users, login, cap):
    """Bug 8 of issue #29: a WebM from MediaRecorder has no duration in its header (the player
    shows Infinity, 0:00); the review screen gives the player the decoded length and shows it."""
    cap.transcript.duration = 127.4
    session.commit()
    client = login(users["sup_gulouzi"])
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert 'data-duration="127.40"' in html and '<span id="player-duration">2:07</span>' in html
    cap.transcript.duration = None  # stored before the length was kept: the last word's end
    session.commit()
    html = client.get(f"/review/{cap.id}").get_data(as_text=True)
    assert 'data-duration="9.00"' in html and '<span id="player-duration">0:09</span>' in html
