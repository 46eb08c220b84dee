"""The `minxin` command line, run through click's CliRunner (and one real subprocess)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from capture.models import Capture
from core import db
from core.models import AuditEvent
from diary.models import DiaryEntry
from ledger.models import LedgerItem
from org.models import OrgUnit, User
from webapp.cli import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A fresh instance folder for the CLI, with the fake recognizer."""
    instance = tmp_path / "inst"
    values = {
        "MINXIN_INSTANCE_PATH": str(instance),
        "MINXIN_RECOGNIZER": "fake",
        "MINXIN_WORKER_POLL_SECONDS": "0.2",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    for k in ("MINXIN_DATABASE_URL", "MINXIN_DATA_DIR", "MINXIN_QUEUE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr("org.users.PASSWORD_METHOD", "scrypt:1024:8:1")
    yield instance
    db.db_session.remove()


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def _session():
    return db.SessionFactory()


def test_commands_refuse_an_uninitialised_database(env):
    result = run("create-user", "x", "--name", "某", "--unit", "宽甸县")
    assert result.exit_code == 1 and "minxin init" in result.output


def test_init_import_orgs_and_create_user(env, tmp_path):
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "数据库已就绪" in result.output and (env / "minxin.sqlite").exists()
    assert run("init").exit_code == 0  # again: nothing to do

    csv_file = tmp_path / "orgs.csv"
    csv_file.write_text("name,level,parent\n宽甸县,county,\n古楼子乡,township,宽甸县\n南荒沟村,village,古楼子乡\n",
                        encoding="utf-8")
    result = run("import-orgs", str(csv_file))
    assert result.exit_code == 0 and "已导入 3 个单位" in result.output
    result = run("import-orgs", str(csv_file))
    assert "已导入 0 个单位，3 个已存在" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("某某组,group,南荒沟村\n", encoding="utf-8")
    result = run("import-orgs", str(bad))
    assert result.exit_code == 1 and "第 1 行" in result.output
    orphan = tmp_path / "orphan.csv"
    orphan.write_text("北沟村,village,不存在乡\n", encoding="utf-8")
    assert run("import-orgs", str(orphan)).exit_code == 1

    result = run("create-user", "li", "--name", "李春生", "--role", "cadre", "--unit", "南荒沟村")
    assert result.exit_code == 0, result.output
    password = result.output.split("(password, shown once): ")[1].strip()
    with _session() as s:
        user = s.scalars(select(User).where(User.login == "li")).one()
        from org.users import check_password

        assert check_password(user, password) and user.org_unit.name == "南荒沟村"
        village = s.scalars(select(OrgUnit).where(OrgUnit.name == "南荒沟村")).one()
        assert village.parent.name == "古楼子乡"
    assert run("create-user", "li", "--name", "又一个", "--unit", "南荒沟村").exit_code == 1
    assert "没有名为" in run("create-user", "z", "--name", "某", "--unit", "火星村").output


@pytest.fixture
def ready(env):
    run("init")
    with _session() as s:
        from org.users import add_org_unit, create_user

        county = add_org_unit(s, "宽甸县", "county")
        village = add_org_unit(s, "南荒沟村", "village", add_org_unit(s, "古楼子乡", "township", county))
        create_user(s, "li", "pass-word-1", "李春生", "cadre", village)
        s.commit()
    return env


def test_ingest_wait_shows_progress_and_ends_ready(ready, tmp_path, media):
    memo = tmp_path / "memo.wav"
    memo.write_bytes(media.wav())
    result = run("ingest", str(memo), "--cadre", "li", "--wait", "--visit-date", "2024-05-03", "--timeout", "60")
    assert result.exit_code == 0, result.output
    assert "已接收采集 #1" in result.output
    assert "%" in result.stderr and "待审核" in result.output
    with _session() as s:
        capture = s.get(Capture, 1)
        assert capture.status == "ready_for_review" and capture.entry is not None
        assert capture.visit_date_hint.isoformat() == "2024-05-03"


def test_ingest_refusals_exit_non_zero_with_the_reason(ready, tmp_path, media):
    text = tmp_path / "notes.txt"
    text.write_text("不是录音")
    result = run("ingest", str(text), "--cadre", "li")
    assert result.exit_code == 2 and "不支持的文件类型" in result.stderr
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    result = run("ingest", str(empty), "--cadre", "li")
    assert result.exit_code == 2 and "文件为空" in result.stderr
    memo = tmp_path / "memo.wav"
    memo.write_bytes(media.wav())
    assert run("ingest", str(memo), "--cadre", "li").exit_code == 0
    result = run("ingest", str(memo), "--cadre", "li")
    assert result.exit_code == 3 and "重复上传" in result.stderr and "#1" in result.stderr
    assert run("ingest", str(memo), "--cadre", "nobody").exit_code == 1
    with _session() as s:
        assert len(s.scalars(select(Capture)).all()) == 1


def test_worker_once_runs_queued_jobs(ready, tmp_path, media):
    for i in range(2):
        page = tmp_path / f"p{i}.png"
        page.write_bytes(media.image(size=(40 + i, 40)))
        assert run("ingest", str(page), "--cadre", "li").exit_code == 0
    result = run("worker", "--once")
    assert result.exit_code == 0 and "处理了 2 个任务" in result.output
    with _session() as s:
        assert [c.status for c in s.scalars(select(Capture).order_by(Capture.id))] == ["ready_for_review"] * 2


def test_audit_verify(ready):
    result = run("audit-verify")
    assert result.exit_code == 0 and "审计链完整" in result.output
    with _session() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        event.actor_label = "mallory"
        s.commit()
    result = run("audit-verify")
    assert result.exit_code == 1 and "content does not match" in result.stderr


def test_audit_verify_catches_events_cut_off_the_end(ready, tmp_path):
    """A chain cannot show its own tail removed; the head an earlier check recorded can."""
    anchors = tmp_path / "anchors.tsv"
    with _session() as s:
        before = s.query(AuditEvent).count()
    first = run("audit-verify", "--anchors", str(anchors))
    assert first.exit_code == 0 and f"#{before} " in first.output and anchors.read_text().count("\n") == 1
    assert "已记录" not in run("audit-verify", "--anchors", str(anchors)).output  # same head: not again
    with _session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        s.delete(last)  # behind the app's back, as someone with the database file could
        s.commit()
    result = run("audit-verify", "--anchors", str(anchors))
    assert result.exit_code == 1 and f"event {before}: seen by an earlier check, now missing" in result.stderr
    assert anchors.read_text().count("\n") == 1  # a failed check records nothing


def test_transcribe_json_with_the_fake_recognizer(env, tmp_path, media):
    memo = tmp_path / "memo.wav"
    memo.write_bytes(media.wav())
    result = run("transcribe", str(memo), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["engine"] == "fake" and data["pieces"][0]["start"] == 0.0
    other = tmp_path / "x.bin"
    other.write_bytes(b"\x00\x01binary")
    assert run("transcribe", str(other)).exit_code == 2


def test_demo_no_serve_is_idempotent(env, tmp_path, media):
    samples = tmp_path / "samples"
    (samples / "pages").mkdir(parents=True)
    (samples / "voice").mkdir()
    (samples / "pages" / "page1.jpg").write_bytes(media.image("JPEG", size=(80, 100)))
    (samples / "pages" / "page2.png").write_bytes(media.image("PNG", size=(81, 100)))
    (samples / "voice" / "memo.wav").write_bytes(media.wav())
    (samples / "README.md").write_text("not a sample")
    result = run("demo", "--no-serve", "--samples", str(samples), "--timeout", "120")
    assert result.exit_code == 0, result.output
    out = result.output
    for name in ("宽甸县", "古楼子乡", "南荒沟村", "大古岭村", "步达远镇", "步达远村", "石柱子村"):
        assert name in out
    assert out.count("密码 (password): ") == 7
    assert "待审核 (review queue): 3 个采集，3 条草稿日记" in out
    assert "示例台账 (demo ledger)" in out
    with _session() as s:
        assert s.scalars(select(OrgUnit).where(OrgUnit.name == "石柱子村")).one().parent.name == "步达远镇"
        assert sorted(u.role for u in s.scalars(select(User))) == ["admin"] + ["cadre"] * 4 + ["supervisor"] * 2
        assert {c.kind for c in s.scalars(select(Capture))} == {"audio", "pages"}
        statuses = {i.status for i in s.scalars(select(LedgerItem))}
        assert {"open", "in_progress", "escalated", "done", "closed"} <= statuses
        items = len(s.scalars(select(LedgerItem)).all())

    again = run("demo", "--no-serve", "--samples", str(samples))
    assert again.exit_code == 0, again.output
    assert again.output.count("沿用") == 3 and "密码 (password): " not in again.output
    assert "待审核 (review queue): 3 个采集，3 条草稿日记" in again.output
    with _session() as s:
        drafts = s.scalars(select(DiaryEntry).where(DiaryEntry.capture_id.is_not(None))).all()
        assert len(s.scalars(select(Capture)).all()) == 3 and len(drafts) == 3
        assert len(s.scalars(select(User)).all()) == 7
        assert len(s.scalars(select(LedgerItem)).all()) == items  # seeded once


def test_console_script_entry_point_runs(tmp_path):
    """`python -m webapp.cli` (what the `minxin` script calls) starts and lists its commands."""
    out = subprocess.run([sys.executable, "-m", "webapp.cli", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    for command in ("init", "create-user", "import-orgs", "ingest", "serve", "worker", "demo",
                    "transcribe", "audit-verify", "extract"):
        assert command in out.stdout


@pytest.mark.slow
def test_demo_end_to_end_with_the_real_models(tmp_path):
    """`minxin demo --no-serve` on a fresh instance: PaddleOCR (and Whisper for any voice memo)
    read the samples, and every draft lands in the review queue linked to the village its page names."""
    import os

    from capture.sniff import sniff_file

    env = {k: v for k, v in os.environ.items() if not k.startswith("MINXIN_")}
    env.update(MINXIN_INSTANCE_PATH=str(tmp_path / "instance"), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-m", "webapp.cli", "demo", "--no-serve", "--timeout", "1200"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1500)
    assert out.returncode == 0, out.stdout + out.stderr
    samples = [p for p in sorted((REPO / "samples").rglob("*")) if p.is_file() and sniff_file(p)]
    assert len(samples) >= 3
    assert f"待审核 (review queue): {len(samples)} 个采集，{len(samples)} 条草稿日记" in out.stdout

    from sqlalchemy.orm import Session

    from core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'instance' / 'minxin.sqlite'}")
    try:
        with Session(engine) as s:
            captures = s.scalars(select(Capture).order_by(Capture.id)).all()
            assert [c.status for c in captures] == ["ready_for_review"] * len(samples)
            for capture in captures:
                name = capture.files[0].original_name
                assert capture.transcript.engine and len(capture.transcript.text) > 40, name
                reference = next((REPO / "samples").rglob(Path(name).stem + ".txt"), None)
                if reference is None:
                    continue
                place_line = next(line for line in reference.read_text(encoding="utf-8").splitlines()
                                  if line.startswith("地点"))
                entry = capture.entry
                assert entry.place_unit is not None and entry.place_unit.name in place_line, (name, entry.place)
    finally:
        engine.dispose()


def test_serve_runs_the_app_and_the_embedded_worker(ready, tmp_path, media):
    """`minxin serve` in a real process: the login page answers, and a job queued before it
    started is recognized by its worker thread."""
    import os
    import socket
    import time
    import urllib.request

    memo = tmp_path / "memo.wav"
    memo.write_bytes(media.wav())
    assert run("ingest", str(memo), "--cadre", "li").exit_code == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(REPO), MINXIN_SECRET_KEY="test")
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--port", str(port)],
                                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline, page, status = time.monotonic() + 60, "", None
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as resp:
                        page = resp.read().decode()
                    break
                except OSError:
                    time.sleep(0.3)
            assert "登录" in page
            while time.monotonic() < deadline:
                with _session() as s:
                    status = s.get(Capture, 1).status
                if status == "ready_for_review":
                    break
                time.sleep(0.3)
            assert status == "ready_for_review", (tmp_path / "serve.log").read_text()
        finally:
            proc.terminate()
            proc.wait(15)


# --- a CLI that starts fast: the index, and what the app-less commands import ----------------


def test_the_command_index_names_every_command_with_its_own_summary():
    from webapp.cli import index, load_command
    from webapp.commands import area_modules

    app_commands = {command.name for area in area_modules() for command in area.COMMANDS}
    assert set(index()) == app_commands | {"extract", "redact", "transcribe"}
    for name, entry in index().items():
        command = load_command(name)
        assert command.name == name
        assert entry["summary"] == command.get_short_help_str(200), name


@pytest.mark.parametrize("argv,stdin", [
    (["--help"], ""),
    (["redact"], "王德顺同意拆除违建仓房，电话13904156677。"),
    (["extract", "--now", "2025-06-03T18:00:00", "--json"], "今天上午到南荒沟村走访村民李树，他反映自来水管冻裂了。"),
])
def test_app_less_commands_neither_build_the_app_nor_import_the_areas(argv, stdin):
    probe = (
        "import sys\n"
        "from webapp.cli import cli\n"
        f"try:\n    cli({argv!r}, prog_name='minxin')\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "loaded = sorted(m for m in ('webapp.factory', 'flask', 'sqlalchemy', 'core.db', 'ledger.models',"
        " 'diary.models', 'jobs.operations') if m in sys.modules)\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], input=stdin, capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "LOADED []" in proc.stderr, proc.stderr
    assert proc.stdout.strip()
    if argv[0] == "redact":
        assert "王德顺" not in proc.stdout and "13904156677" not in proc.stdout
