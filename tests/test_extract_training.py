"""Training the county's model from its confirmed entries, in the deployment (diary/training.py)."""
from __future__ import annotations

import datetime as dt
import hashlib

from click.testing import CliRunner
from sqlalchemy import select

from capture.models import Capture, CaptureFile
from core.models import AuditEvent
from diary import entries, training
from recognize.transcript import Piece, RecognizedText
from tests.test_extract_learn import _county_examples, _note


def _capture(session, cadre, text: str, n: int) -> Capture:
    capture = Capture(kind="audio", status="ready_for_review", uploader_id=cadre.id, org_unit_id=cadre.org_unit_id,
                      fingerprint=hashlib.sha256(f"train-{n}".encode()).hexdigest(),
                      received_at=dt.datetime(2025, 9, 3, 8, 0), captured_at=dt.datetime(2025, 9, 3, 8, 0))
    session.add(capture)
    session.flush()
    session.add(CaptureFile(capture_id=capture.id, position=0, sha256="0" * 64, media_type="audio/wav", size=10))
    entries.store_recognition(session, capture, RecognizedText.join([Piece(text=text, confidence=0.9, start=0, end=3)],
                                                                engine="fake", model="test"))
    return capture


def test_confirmed_entries_train_the_countys_model_which_then_proposes_fields(app, session, users, org, login, monkeypatch):
    cadre = users["cadre_a"]
    for n, ex in enumerate(_county_examples()):
        entry = _capture(session, cadre, ex.text, n).entry
        entry.status = "confirmed"
        entry.problem, entry.solution, entry.category = ex.fields["problem"], ex.fields["solution"], ex.fields["category"]
    _capture(session, cadre, "走访村民于大海，他说房子漏雨。", 999)  # a draft: not an example
    session.commit()
    county = org["宽甸县"]
    assert len(training.confirmed_examples(session, county)) == len(_county_examples())

    first = training.train_county(session, county)
    session.commit()
    assert not first.skipped and "category" in first.fields
    path = training.model_path(county)
    assert path.exists() and str(path).startswith(app.instance_path)  # the model stays in the instance folder
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "extractor.train")).one()
    assert event.after["examples"] == len(_county_examples())
    assert training.train_county(session, county).skipped  # nothing changed: no retraining

    fresh = _capture(session, cadre, _note("姜有田", "野猪把他家半亩花生拱了", "帮他报林业站核损"), 1000)
    session.commit()
    assert fresh.entry.category == "社会保障"
    assert fresh.entry.proposed_by["category"] == "model" and fresh.entry.proposed_by["problem"] == "rules"

    page = login(users["sup_gulouzi"]).get(f"/review/{fresh.id}").get_data(as_text=True)
    assert 'class="tag by-model"' in page and 'class="tag by-rules"' in page

    # the CLI: unchanged entries, so it says it skipped
    monkeypatch.setenv("MINXIN_DATABASE_URL", app.config["DATABASE_URL"])
    from webapp.cli import cli

    out = CliRunner().invoke(cli, ["train-extractor"], catch_exceptions=False)
    assert out.exit_code == 0 and "跳过" in out.output, out.output


def test_the_daily_trainer_runs_and_survives_an_empty_county(app, session, org):
    from core import db

    results = training.DailyTrainer(db.SessionFactory).run_once()
    assert [r.county for r in results] == ["宽甸县"] and results[0].examples == 0 and results[0].fields == ()


def test_celery_beat_trains_daily_with_a_registered_task():
    from jobs import celery_app

    entry = celery_app.app.conf.beat_schedule["train-extractor"]
    assert entry["schedule"] == 24 * 3600.0
    assert entry["task"] == celery_app.train_extractor.name == "minxin.train_extractor"
