"""The staged recognition pipeline (recognize/pipeline.py) with the fake recognizer, and the job
that reads its inputs first, runs it with no transaction open and writes its one result."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ops.demo_county import load as load_demo_county
from recognize import fake, pipeline
from recognize.extract import Gazetteer, calibration, extract_entry
from recognize.transcript import Piece, RecognitionError, RecognizedText

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2024, 5, 3, 10, 0)
KUANDIAN_DEMO_UNITS = tuple(tuple(u) for u in load_demo_county().units)
KUANDIAN = pipeline.OrgSnapshot(units=KUANDIAN_DEMO_UNITS, cadre_names=("李春生",))


def _fake(paths, kind, progress, vocabulary=()):
    return fake.transcribe_files(paths, kind, progress=progress)


def _context(org=KUANDIAN, model=None):
    return pipeline.ExtractionContext(org=org, now=NOW, model=model)


def _file(tmp_path, name="memo.wav", data=b"some recorded bytes"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_validate_refuses_before_any_model_runs(tmp_path):
    called = []

    def transcriber(*args):
        called.append(args)
        raise AssertionError("the transcriber must not run")

    with pytest.raises(RecognitionError, match="没有可识别的文件"):
        pipeline.recognize_files([], "audio", _context(), transcriber=transcriber)
    with pytest.raises(RecognitionError, match="未知的采集类型 'video'"):
        pipeline.recognize_files([_file(tmp_path)], "video", _context(), transcriber=transcriber)
    assert called == []


def test_one_typed_result_from_the_fake_recognizer(tmp_path):
    seen = []
    result = pipeline.recognize_files([_file(tmp_path)], "audio", _context(), transcriber=_fake,
                                      progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert isinstance(result, pipeline.Recognition)
    assert result.transcript.engine == "fake" and result.transcript.text
    fields = result.extraction
    month, day = map(int, re.match(r"(\d+)月(\d+)日", result.transcript.text).groups())
    assert isinstance(fields.visit_date, dt.date)  # a date, not text
    assert (fields.visit_date.month, fields.visit_date.day) == (month, day) and fields.visit_date <= NOW.date()
    assert fields.place_known and fields.place_village in result.transcript.text
    assert fields.place_township == dict((n, p) for n, _, p in KUANDIAN_DEMO_UNITS)[fields.place_village]
    person = re.search(r"受访对象：(\w+)。", result.transcript.text).group(1)
    assert person in result.pii
    # the PII stage's confidence is calibrated as the extractor's own is, and flagged the same way
    assert 0.0 < fields.confidence["pii"] <= 1.0
    assert ("pii" in fields.review) == (fields.confidence["pii"] < calibration.load()["threshold"])
    start, end = fields.evidence["problem"]
    assert result.transcript.text[start:end] == fields.problem
    assert result.warnings == ()


def test_the_result_cannot_be_changed_after_the_pipeline(tmp_path):
    result = pipeline.recognize_files([_file(tmp_path)], "pages", _context(), transcriber=_fake)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pii = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.extraction.visit_date = None
    with pytest.raises(TypeError):
        result.extraction.confidence["problem"] = 1.0


def test_the_org_snapshot_is_what_the_extractor_knows():
    text = "5月3日到南荒沟村入户走访，受访对象李春生，张大山反映村里的路不好走。"
    known = pipeline.recognize_transcript(RecognizedText(text=text), _context()).extraction
    assert known.place_known and known.place_township == "古楼子乡"
    assert known.interviewee == "张大山"  # 李春生 is a cadre of the snapshot
    bare = pipeline.recognize_transcript(RecognizedText(text=text), _context(pipeline.OrgSnapshot()))
    assert not bare.extraction.place_known
    assert any("不在组织架构中" in w for w in bare.warnings)


def test_pii_as_its_own_stage_finds_what_the_extractor_did():
    text = ("时间：2024年5月2日 地点：步达远镇石柱子村 受访对象：孙秀英，电话13912345678。"
            "反映问题：房子漏雨。解决思路：报危房改造。")
    rules = extract_entry(text, NOW, Gazetteer(list(KUANDIAN_DEMO_UNITS), ["李春生"])).to_dict()
    staged = pipeline.recognize_transcript(RecognizedText(text=text), _context())
    assert list(staged.pii) == rules["pii"] and "13912345678" in staged.pii and "孙秀英" in staged.pii
    assert list(staged.extraction.confidence.items()) == list(rules["confidence"].items())
    assert staged.extraction.visit_date.isoformat() == rules["visit_date"]
    assert {k: list(v) for k, v in staged.extraction.evidence.items()} == rules["evidence"]


def test_warnings_say_what_the_text_lacked():
    result = pipeline.recognize_transcript(RecognizedText(text=""), _context())
    assert result.extraction.visit_date == NOW.date()  # proposed, for the reviewer to confirm
    assert any("没有识别出文字" in w for w in result.warnings)
    assert any("走访日期" in w for w in result.warnings)


def test_recognize_imports_no_database_layer():
    code = ("import sys, recognize.pipeline; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'ledger', 'webapp', 'sqlalchemy', 'flask'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_job_runs_extraction_with_no_transaction_open_and_writes_the_result(app, session, users, make_capture,
                                                                          monkeypatch):
    from capture.models import Capture
    from core import db
    from core.models import AuditEvent
    from jobs import operations as jobs
    from jobs.models import Job

    capture = make_capture(users["cadre_a"])
    job = jobs.enqueue_recognition(session, capture)
    real_extract, seen = pipeline.extract, []

    def extract_while_another_writer_writes(text, context):
        # Another connection writes the job row: with the final transaction already open
        # (SQLite: a held write lock; PostgreSQL: the job row locked) this could not finish.
        with db.session_scope() as other:
            other.execute(update(Job).where(Job.id == job.id).values(error=None))
            seen.append(other.get(Job, job.id).status)
        fields = real_extract(text, context)
        seen.append(context.org)
        return fields

    monkeypatch.setattr(pipeline, "extract", extract_while_another_writer_writes)
    assert jobs.run_job(job.id, "w1") == "done"
    assert seen[0] == "running"
    snapshot = seen[1]
    assert ("南荒沟村", "village", "古楼子乡") in snapshot.units and "李春生" in snapshot.cadre_names

    session.expire_all()
    capture = session.get(Capture, capture.id)
    entry, text = capture.entry, capture.transcript.text
    expected = pipeline.recognize_transcript(RecognizedText(text=text, pieces=[Piece(text=text, confidence=1.0)]),
                                             pipeline.ExtractionContext(org=snapshot, now=_local(capture)))
    assert entry.visit_date == expected.extraction.visit_date
    assert entry.interviewee == expected.extraction.interviewee and entry.pii == list(expected.pii)
    assert entry.confidence == dict(expected.extraction.confidence)
    assert entry.place_unit is not None and entry.place_unit.name == expected.extraction.place_village
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-4:] == ["transcript.create", "entry.create", "capture.status", "job.done"]


def _local(capture):
    from diary.context import visit_moment

    return visit_moment(capture)
