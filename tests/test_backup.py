"""minxin backup / minxin restore: taken while uploads keep arriving, restored into an empty
instance, compared row by row and original by original."""
from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session

from tests.hostile.support import Media

TABLES = ("org_units", "users", "captures", "capture_files", "transcripts", "transcript_pieces", "diary_entries",
          "ledger_items", "ledger_transitions", "jobs", "audit_events", "alembic_version")


def rows(db_path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(str(db_path))
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        con.close()


def point_cli_at(monkeypatch, db_path: Path, data_dir: Path, instance: Path):
    monkeypatch.setenv("MINXIN_DATABASE_URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("MINXIN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("MINXIN_RECOGNIZER", "fake")


def _seed(app, session, users):
    from capture.intake import ingest
    from capture.storage import get_storage
    from diary import review as svc
    from jobs import operations as jobs

    storage = get_storage(app.config)
    made = []
    for i, files in enumerate(([("memo.wav", Media.wav(1))],
                               [("p1.png", Media.image("PNG", 2)), ("p2.jpg", Media.image("JPEG", 3))],
                               [("memo2.wav", Media.wav(4))])):
        capture = ingest(session, storage, users["cadre_a" if i != 2 else "cadre_c"], files)
        job = jobs.enqueue_recognition(session, capture)
        assert jobs.run_job(job.id, "seed", config=app.config) == "done"
        made.append(capture)
    session.expire_all()
    svc.return_capture(session, made[0], users["sup_gulouzi"], "请补充", capture_version=None, entry_version=None)
    session.commit()
    return made


def test_backup_while_uploading_then_restore_into_an_empty_instance(app, session, users, tmp_path, monkeypatch):
    from capture.intake import ingest
    from capture.storage import LocalStorage, get_storage
    from ops.backup import read_manifest
    from org.models import User
    from webapp.cli import cli

    _seed(app, session, users)
    source_db = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    engine = app.extensions["minxin.engine"]
    storage = get_storage(app.config)

    # Uploads keep arriving while the backup runs.
    stop = threading.Event()
    written = []

    def uploader():
        with Session(engine) as s:
            cadre = s.get(User, users["cadre_b"].id)
            n = 100
            while not stop.is_set() and n < 160:
                n += 1
                written.append(ingest(s, storage, cadre, [(f"m{n}.wav", Media.wav(n))]).id)

    runner = CliRunner()
    point_cli_at(monkeypatch, source_db, Path(app.config["DATA_DIR"]), tmp_path / "instance")
    thread = threading.Thread(target=uploader)
    thread.start()
    try:
        out = tmp_path / "backup-1"
        result = runner.invoke(cli, ["backup", str(out)])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert written, "the uploader wrote nothing while the backup ran"

    # The backup is complete and consistent in itself: every file its rows point at is in it.
    manifest = read_manifest(out)
    backup_rows = rows(out / "database.sqlite")
    pointed = {r[3] for r in backup_rows["capture_files"]}  # sha256 column
    assert pointed == {f["sha256"] for f in manifest["originals"]}
    assert manifest["counts"]["captures"] == len(backup_rows["captures"]) >= 3
    assert not list(tmp_path.glob(".backup-1.partial-*"))

    # Restore into a brand-new instance.
    target_db, target_data = tmp_path / "restored" / "minxin.sqlite", tmp_path / "restored" / "data"
    point_cli_at(monkeypatch, target_db, target_data, tmp_path / "restored")
    # The audit key travels apart from the backup (docs/DEPLOY.md): the new instance gets it.
    (tmp_path / "restored").mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "instance" / "audit_key", tmp_path / "restored" / "audit_key")
    result = runner.invoke(cli, ["restore", str(out)])
    assert result.exit_code == 0, result.output
    assert "审计链完整" in result.output
    assert rows(target_db) == backup_rows
    restored_store = LocalStorage(target_data / "originals")
    for f in manifest["originals"]:
        with restored_store.open(f["sha256"]) as fh, storage.open(f["sha256"]) as orig:
            assert fh.read() == orig.read()
    # Every row that existed before the backup started is there, unchanged.
    live = rows(source_db)
    for table in ("users", "org_units", "transcripts", "diary_entries"):
        assert backup_rows[table] == live[table]
    assert set(backup_rows["captures"]) <= set(live["captures"])
    assert runner.invoke(cli, ["audit-verify"]).exit_code == 0

    # A second restore into the now non-empty instance is refused and changes nothing.
    again = runner.invoke(cli, ["restore", str(out)])
    assert again.exit_code == 1 and "已有数据" in again.output
    assert rows(target_db) == backup_rows


def test_restore_refuses_a_damaged_backup_and_writes_nothing(app, session, users, tmp_path, monkeypatch):
    from webapp.cli import cli

    _seed(app, session, users)
    runner = CliRunner()
    source_db = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    point_cli_at(monkeypatch, source_db, Path(app.config["DATA_DIR"]), tmp_path / "instance")
    out = tmp_path / "bk"
    assert runner.invoke(cli, ["backup", str(out)]).exit_code == 0
    # Backing up into a folder that is not empty is refused.
    refused = runner.invoke(cli, ["backup", str(out)])
    assert refused.exit_code == 1 and "不为空" in refused.output

    manifest = json.loads((out / "manifest.json").read_text())
    sha = manifest["originals"][0]["sha256"]
    victim = out / "originals" / sha[:2] / sha[2:4] / sha
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    target = tmp_path / "t"
    point_cli_at(monkeypatch, target / "minxin.sqlite", target / "data", target)
    result = runner.invoke(cli, ["restore", str(out)])
    assert result.exit_code == 1 and sha in result.output
    assert not (target / "data" / "originals").exists()
    assert not (target / "minxin.sqlite").exists() or rows(target / "minxin.sqlite")["users"] == []

    (out / "manifest.json").unlink()  # an interrupted backup has no manifest
    result = runner.invoke(cli, ["restore", str(out)])
    assert result.exit_code == 1 and "manifest.json" in result.output
