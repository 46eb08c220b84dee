"""One settings object: every knob read from the environment in core/settings.py alone, handed
down by the composition root (ops/compose.py); China time defined once; nothing below the web
app importing it."""
from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings, config_value, table

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("capture", "core", "ledger", "recognize", "webapp")
# The one module that reads the process environment.
ENVIRONMENT_READERS = {"core/settings.py"}


def _sources():
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), ast.parse(path.read_text(encoding="utf-8"), str(path))


def _environment_uses(tree: ast.AST) -> list[str]:
    """Where a module touches the process environment: os.environ / os.getenv / os.putenv /
    os.unsetenv / os.environb, or those names imported from os."""
    found = []
    names = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names and isinstance(node.value, ast.Name) \
                and node.value.id == "os":
            found.append(f"line {node.lineno}: os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os" \
                and any(alias.name in names for alias in node.names):
            found.append(f"line {node.lineno}: from os import …")
    return found


def test_only_the_settings_module_reads_the_environment():
    readers = {}
    for rel, tree in _sources():
        uses = _environment_uses(tree)
        if uses and rel not in ENVIRONMENT_READERS:
            readers[rel] = uses
    assert not readers, f"read the environment outside core/settings.py: {readers}"
    # The check itself sees what it looks for.
    assert sorted(_environment_uses(ast.parse("import os\nos.environ.get('X')\nos.getenv('Y')"))) == \
        ["line 2: os.environ", "line 3: os.getenv"]
    assert _environment_uses(ast.parse("from os import environ"))


def _imports(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_nothing_below_the_web_app_imports_it():
    upward = {rel: sorted(m for m in _imports(tree) if m == "webapp" or m.startswith("webapp."))
              for rel, tree in _sources() if not rel.startswith("webapp/")}
    assert not {rel: mods for rel, mods in upward.items() if mods}


def test_china_time_is_defined_once():
    """UTC+8 is spelled out in core/clock.py only (Asia/Shanghai also names the display
    zone's default in core/settings.py)."""
    spelled = []
    for rel, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "timedelta" \
                    and any(k.arg == "hours" and getattr(k.value, "value", None) == 8 for k in node.keywords):
                spelled.append((rel, node.lineno, "timedelta(hours=8)"))
            if isinstance(node, ast.Constant) and node.value == "Asia/Shanghai":
                spelled.append((rel, node.lineno, "Asia/Shanghai"))
    assert {rel for rel, _line, _what in spelled} <= {"core/clock.py", "core/settings.py"}, spelled
    from core import clock
    from ledger import deadlines

    moment = dt.datetime(2024, 1, 31, 16, 30)  # naive UTC: 1 February 00:30 in China
    assert clock.china_today(moment) == deadlines.local_today(moment) == dt.date(2024, 2, 1)
    assert clock.to_china_date(moment) == dt.date(2024, 2, 1)
    assert clock.china_now().utcoffset() == dt.timedelta(hours=8)


def test_variables_keep_their_names_and_defaults(tmp_path):
    defaults = Settings.from_env({}, instance_path=tmp_path)
    assert defaults.database_url == f"sqlite:///{tmp_path / 'minxin.sqlite'}"
    assert defaults.data_dir == tmp_path / "data" and defaults.extractor_dir == tmp_path / "extractor"
    config = defaults.as_config()
    assert (config["QUEUE"], config["STORAGE"], config["RECOGNIZER"], config["SPEECH_MODEL"]) == \
        ("embedded", "local", "real", "base")
    assert config["MAX_UPLOAD_BYTES"] == 100 * 1024 * 1024 and config["MAX_IMAGE_BYTES"] == 30 * 1024 * 1024
    assert (config["SMTP_PORT"], config["SUPERVISE_AFTER_WORKING_DAYS"], config["RESPONSE_WORKING_DAYS"]) == (25, 3, 2)
    assert config["SPEECH_CORRECT"] is True and config["SPEECH_HOTWORDS"] is False
    assert defaults.insecure_cookies is None and defaults.audit_key is None and defaults.clock_file is None

    env = {
        "MINXIN_INSTANCE_PATH": str(tmp_path / "i"), "MINXIN_QUEUE": "celery", "MINXIN_MAX_UPLOAD_MB": "7",
        "MINXIN_FAKE_DELAY": "2.5", "MINXIN_SPEECH_CORRECT": "0", "MINXIN_SPEECH_HOTWORDS": "1",
        "MINXIN_SPEECH_FLAG_BELOW": "0.4", "MINXIN_ASR_THREADS": "3", "MINXIN_MAX_IMAGE_BYTES": "not a number",
        "MINXIN_SMTP_STARTTLS": "yes", "MINXIN_INSECURE_COOKIES": "0", "AWS_DEFAULT_REGION": "cn-north-1",
        "MINXIN_CLOCK_FILE": "", "MINXIN_JOB_SWEEP_SECONDS": "",
    }
    s = Settings.from_env(env)
    assert s.instance_path == (tmp_path / "i").resolve()
    assert s.database_url == f"sqlite:///{(tmp_path / 'i').resolve() / 'minxin.sqlite'}"
    config = s.as_config()
    assert config["QUEUE"] == "celery" and config["MAX_UPLOAD_BYTES"] == 7 * 1024 * 1024
    assert config["FAKE_RECOGNIZER_DELAY"] == 2.5 and config["SPEECH_FLAG_BELOW"] == 0.4
    assert config["SPEECH_CORRECT"] is False and config["SPEECH_HOTWORDS"] is True and config["ASR_THREADS"] == 3
    assert config["MAX_IMAGE_BYTES"] == 30 * 1024 * 1024  # a bad value falls back, as it always did
    assert config["SMTP_STARTTLS"] is True and config["S3_REGION"] == "cn-north-1"
    assert s.insecure_cookies is False  # set, but not 1: cookies stay Secure, and serve keeps them so
    assert config["CLOCK_FILE"] is None and config["JOB_SWEEP_SECONDS"] == 30  # empty: the default
    with pytest.raises(ValueError):
        Settings.from_env({"MINXIN_JOB_LEASE_SECONDS": "soon"})
    # A plain dict (a test's, a script's) falls back on the knobs' defaults, never on the environment.
    assert config_value({}, "SMTP_FROM") == "minxin@localhost"
    assert config_value({"SMTP_FROM": ""}, "SMTP_FROM") == "minxin@localhost"
    assert config_value({"SMTP_FROM": "a@b"}, "SMTP_FROM") == "a@b"


def test_every_knob_is_documented():
    text = (REPO / "docs" / "SETTINGS.md").read_text(encoding="utf-8")
    assert table() in text, "docs/SETTINGS.md is out of date: run `python -m core.settings`"


def test_the_app_and_its_overrides_reach_the_parts(app):
    """create_app derives its config from the settings; the test's overrides are what the
    parts are handed (the job runner's config, the recognizers' options)."""
    from jobs import operations as jobs
    from recognize.options import PageOptions, SpeechOptions

    assert app.extensions["minxin.settings"].instance_path == Path(app.instance_path)
    assert jobs.settings()["RECOGNIZER"] == "fake" and jobs.settings()["DATA_DIR"] == app.config["DATA_DIR"]
    options = SpeechOptions.from_config({**app.config, "SPEECH_MODEL": "small", "SPEECH_DEVICE": "cuda"})
    assert (options.model, options.device, options.engine) == ("small", "cuda", "faster-whisper")
    assert PageOptions.from_config(app.config).max_image_bytes == 30 * 1024 * 1024


def test_intake_takes_the_image_limit_it_is_handed(app, session, users, storage, media):
    """MAX_IMAGE_BYTES (MINXIN_MAX_IMAGE_BYTES) reaches the upload door through the config the
    composition root handed to the jobs, not through the environment."""
    from capture.intake import IntakeError, ingest
    from jobs import operations as jobs

    photo = media.image("PNG", (64, 64))
    jobs.configure({**app.config, "MAX_IMAGE_BYTES": len(photo) - 1})
    with pytest.raises(IntakeError, match="过大"):
        ingest(session, storage, users["cadre_a"], [("page.png", photo)])
    jobs.configure(app.config)
    assert ingest(session, storage, users["cadre_a"], [("page.png", photo)]).kind == "pages"


def test_the_clock_file_is_handed_to_the_clock(tmp_path, monkeypatch, migrated_db):
    """MINXIN_CLOCK_FILE reaches core.clock through the app factory; the file is read per call."""
    import shutil

    from core import clock, db
    from ledger import deadlines
    from webapp import create_app

    today = tmp_path / "today.txt"
    today.write_text("2026-06-01")
    shutil.copyfile(migrated_db, tmp_path / "test.sqlite")
    monkeypatch.setenv("MINXIN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("MINXIN_CLOCK_FILE", str(today))
    monkeypatch.setattr(clock, "_clock_file", None)  # put back after the test
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite'}",
                      "RECOGNIZER": "fake"})
    try:
        assert deadlines.local_today() == dt.date(2026, 6, 1) == clock.china_now().date()
        today.write_text("2026-06-02")
        assert deadlines.local_today() == dt.date(2026, 6, 2)
    finally:
        db.db_session.remove()
        app.extensions["minxin.engine"].dispose()


def test_the_celery_worker_is_wired_without_the_web_app(tmp_path):
    """The worker's wiring comes from the composition root: no Flask app, no webapp import."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINXIN_")}
    env.update(MINXIN_INSTANCE_PATH=str(tmp_path / "worker"), MINXIN_RECOGNIZER="fake",
               MINXIN_BROKER_URL="memory://", PYTHONPATH=str(REPO))
    code = (
        "import sys\n"
        "from jobs import celery_app, operations as jobs\n"
        "rt = celery_app.runtime()\n"
        "assert rt.config['QUEUE'] == 'celery' and jobs.active_queue().name == 'celery'\n"
        "assert rt.config['DATABASE_URL'].endswith('minxin.sqlite')\n"
        "assert not [m for m in sys.modules if m == 'webapp' or m.startswith('webapp.') or m == 'flask']\n"
        "print('wired', celery_app.app.conf.broker_url)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "wired memory://" in out.stdout
    assert (tmp_path / "worker" / "audit_key").exists()  # the instance's key, as the web app makes it
