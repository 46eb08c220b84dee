"""Property: whatever text a recognizer returns (markup, control characters, huge, mixed
scripts), storing it as a transcript and a draft entry never raises and every value fits its
column, so a PostgreSQL deployment cannot fail a job on an over-long field.

(Extraction's own properties — never raises, evidence spans inside the text — live with the
extractor in tests/test_extract_props.py; the ledger state machine's in
tests/test_ledger_properties.py. Not repeated here.)
"""
from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String

from capture.models import Capture
from diary.models import DiaryEntry
from recognize.transcript import Piece, RecognizedText

WORDS = ["时间：", "地点：", "受访对象：", "反映问题：", "解决思路：", "心得体会：", "南荒沟村", "古楼子乡", "三组",
         "张大爷", "王玉兰", "今天上午", "腊月二十二", "2023年5月6日", "入户走访", "座谈", "<script>alert(1)</script>",
         "=HYPERLINK(\"x\")", "\x00", "\u202e", "13912345678", "\n", "，", "。", "村" * 200, "😀"]
texts = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=20)), min_size=1, max_size=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(pieces=texts)
def test_any_transcript_makes_a_draft_that_fits_its_columns(session, users, pieces):
    from diary import entries

    cadre = users["cadre_a"]
    capture = Capture(kind="audio", status="recognizing", uploader_id=cadre.id, org_unit_id=cadre.org_unit_id,
                      fingerprint=hashlib.sha256(repr(pieces).encode()).hexdigest())
    session.add(capture)
    session.flush()
    try:
        result = RecognizedText.join([Piece(text=t, confidence=0.8, start=i, end=i + 1) for i, t in enumerate(pieces)],
                                 engine="fake", model="property")
        entry = entries.store_recognition(session, capture, result)
        for column in DiaryEntry.__table__.columns:
            value = getattr(entry, column.key)
            if isinstance(column.type, String) and column.type.length and isinstance(value, str):
                assert len(value) <= column.type.length, (column.key, value)
        for name, (start, end) in (entry.evidence or {}).items():
            assert 0 <= start <= end <= len(result.text), name
    finally:
        session.rollback()
