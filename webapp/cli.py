"""The `minxin` command line: set up, add people and places, ingest, run, demo.

Every command gets its configuration from the composition root (core.compose: the settings of
core.settings, MINXIN_*), with the instance folder at ./instance unless MINXIN_INSTANCE_PATH says
otherwise.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import click

from capture.states import IN_RECOGNITION, CaptureStatus
from ops.demo_county import DEMO_COUNTY_FILE, load as load_demo_county

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REPO_ROOT = Path(__file__).resolve().parent.parent


# --- helpers ---------------------------------------------------------------------------------


def _app(test_config: Optional[dict] = None):
    from webapp import create_app

    return create_app(test_config)


def _session():
    from core import db

    return db.SessionFactory()


def _fail(message: str, code: int = 1):
    click.echo(message, err=True)
    sys.exit(code)


def _require_schema(app) -> None:
    from ops.migrate import current_revision, head_revision

    current = current_revision(app.extensions["minxin.engine"])
    if current != head_revision():
        _fail(f"数据库未初始化或不是最新版本，请先运行 minxin init "
              f"(database not initialised or out of date: run `minxin init`) [{current or '空 (empty)'}]")


def _upgrade(app) -> str:
    from ops.migrate import current_revision, upgrade

    engine = app.extensions["minxin.engine"]
    upgrade(engine)
    return current_revision(engine) or ""


def _bar(fraction: float, width: int = 20) -> str:
    done = int(round(fraction * width))
    return "[" + "#" * done + "-" * (width - done) + f"] {fraction * 100:5.1f}%"


STATUS_LABELS = {
    CaptureStatus.RECEIVED: "已接收 (received)",
    CaptureStatus.RECOGNIZING: "识别中 (recognizing)",
    CaptureStatus.READY_FOR_REVIEW: "待审核 (ready for review)",
    CaptureStatus.CONFIRMED: "已确认 (confirmed)",
    CaptureStatus.RETURNED: "已退回 (returned)",
    CaptureStatus.REJECTED: "已驳回 (rejected)",
    CaptureStatus.FAILED: "失败 (failed)",
}
FINAL = tuple(s for s in CaptureStatus if s not in IN_RECOGNITION)  # left recognition


def wait_for(capture_ids: Sequence[int], *, timeout: float = 0, interval: float = 0.5,
             out=None) -> dict[int, tuple[str, Optional[str]]]:
    """Show progress until every capture has left recognition; returns id -> (status, error)."""
    from capture.models import Capture

    out = out or sys.stderr
    tty = hasattr(out, "isatty") and out.isatty()
    last: dict[int, str] = {}
    start = time.monotonic()
    while True:
        with _session() as s:
            rows = {c.id: c for c in s.query(Capture).filter(Capture.id.in_(list(capture_ids)))}
            states = {cid: (rows[cid].status, rows[cid].progress, rows[cid].error) for cid in capture_ids}
        for cid, (status, progress, _err) in states.items():
            line = f"#{cid} {STATUS_LABELS.get(status, status)} {_bar(progress or 0.0)}"
            # On a terminal one line per capture, redrawn; elsewhere a line per 10 % step.
            key = line if tty else f"{status}:{int((progress or 0) * 10)}"
            if last.get(cid) != key:
                last[cid] = key
                click.echo(("\r" if tty else "") + line, file=out, nl=not tty)
        if all(st in FINAL for st, _p, _e in states.values()):
            if tty:
                click.echo("", file=out)
            return {cid: (st, err) for cid, (st, _p, err) in states.items()}
        if timeout and time.monotonic() - start > timeout:
            _fail(f"等待超时（{timeout:.0f} 秒）(timed out waiting for recognition)")
        time.sleep(interval)


def _start_embedded_worker(app):
    """An in-process worker for the embedded queue (None when another queue runs the jobs)."""
    from jobs import operations as jobs

    if app.config.get("QUEUE", "embedded") != "embedded":
        return None
    queue = jobs.active_queue()
    if not isinstance(queue, jobs.EmbeddedQueue):
        queue = jobs.EmbeddedQueue(app.config)
        jobs.set_active_queue(queue)
    return queue.start()


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        _fail(f"无法读取文件 {path}：{exc.strerror} (cannot read file)")
        raise


# --- the group -------------------------------------------------------------------------------


# `minxin extract` without --gazetteer knows the demo county's places.
@click.group(help="民心日记 (Minxin Diary): 命令行工具 (command line)",
             context_settings={"default_map": {"extract": {"gazetteer_path": str(DEMO_COUNTY_FILE)}}})
def cli() -> None:
    pass


def main() -> None:
    cli(prog_name="minxin")


@cli.command(help="创建或升级数据库 (create or upgrade the database)")
def init() -> None:
    app = _app()
    revision = _upgrade(app)
    click.echo(f"数据库已就绪 (database ready): {app.config['DATABASE_URL']} @ {revision}")
    click.echo(f"实例目录 (instance folder): {app.instance_path}")


@cli.command("create-user", help="创建用户 (create a user)")
@click.argument("login")
@click.option("--name", "display_name", required=True, help="姓名 (display name)")
@click.option("--role", type=click.Choice(["cadre", "supervisor", "admin"]), default="cadre", show_default=True)
@click.option("--unit", required=True, help="所属单位名称，如 南荒沟村 (org unit name)")
@click.option("--password", default=None, help="不填则生成并显示一次 (generated and shown once if omitted)")
def create_user_command(login: str, display_name: str, role: str, unit: str, password: Optional[str]) -> None:
    from core.errors import DomainError
    from org.users import create_user, find_unit

    app = _app()
    _require_schema(app)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with _session() as s:
        org = find_unit(s, unit)
        if org is None:
            _fail(f"没有名为 {unit} 的单位 (no such org unit)")
        try:
            user = create_user(s, login, password, display_name, role, org)
            s.commit()
        except DomainError as exc:
            _fail(str(exc))
        click.echo(f"已创建用户 (user created): {user.login} {user.display_name} {role} @ {org.full_name}")
    if generated:
        click.echo(f"密码（只显示这一次）(password, shown once): {password}")


@cli.command("import-orgs", help="从 CSV 导入组织树：name,level,parent (import the org tree)")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_orgs(file: str) -> None:
    from org.models import ORG_LEVELS, OrgUnit
    from core.errors import DomainError
    from org.users import add_org_unit

    app = _app()
    _require_schema(app)
    text = Path(file).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["name", "level"]:
        rows = rows[1:]
    created = existing = 0
    with _session() as s:
        for lineno, row in enumerate(rows, start=1):
            name = row[0].strip()
            level = row[1].strip() if len(row) > 1 else ""
            parent_name = row[2].strip() if len(row) > 2 else ""
            if level not in ORG_LEVELS:
                s.rollback()
                _fail(f"第 {lineno} 行：层级 {level!r} 无效，应为 county/township/village (line {lineno}: bad level)")
            parent = None
            if parent_name:
                parent = s.query(OrgUnit).filter_by(name=parent_name).order_by(OrgUnit.id).first()
                if parent is None:
                    s.rollback()
                    _fail(f"第 {lineno} 行：上级单位 {parent_name} 不存在（须在前面的行里）"
                          f" (line {lineno}: parent not found; list parents first)")
            before = s.query(OrgUnit).filter_by(name=name, parent_id=parent.id if parent else None).first()
            try:
                add_org_unit(s, name, level, parent)
            except DomainError as exc:
                s.rollback()
                _fail(f"第 {lineno} 行 (line {lineno}): {exc}")
            if before is None:
                created += 1
            else:
                existing += 1
        s.commit()
    click.echo(f"已导入 {created} 个单位，{existing} 个已存在 (imported {created} units, {existing} already there)")


@cli.command(help="上传录音或页面照片 (ingest a voice memo or page photos as one capture)")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--cadre", "login", required=True, help="上传者登录名 (uploader's login)")
@click.option("--visit-date", default=None, help="走访日期 YYYY-MM-DD (visit date hint)")
@click.option("--captured-at", default=None, help="拍摄/录音时间 ISO 8601 (capture time)")
@click.option("--wait", is_flag=True, help="等待识别完成并显示进度 (wait for recognition, with progress)")
@click.option("--timeout", default=0, type=float, help="等待上限秒数，0 为不限 (wait limit in seconds)")
def ingest(files: tuple[str, ...], login: str, visit_date: Optional[str], captured_at: Optional[str],
           wait: bool, timeout: float) -> None:
    from capture.intake import DuplicateCapture, IntakeError
    from capture.storage import get_storage
    from capture.submit import submit
    from org.users import find_user

    app = _app()
    _require_schema(app)
    hint = cap_at = None
    try:
        hint = dt.date.fromisoformat(visit_date) if visit_date else None
        cap_at = dt.datetime.fromisoformat(captured_at) if captured_at else None
    except ValueError as exc:
        _fail(f"日期格式错误 (bad date): {exc}")
    data = [(Path(f).name, _read_file(f)) for f in files]
    with _session() as s:
        user = find_user(s, login)
        if user is None or not user.active:
            _fail(f"没有这个用户或已停用：{login} (no such active user)")
        try:
            capture = submit(s, get_storage(app.config), user, data, captured_at=cap_at,
                             visit_date_hint=hint, max_bytes=app.config["MAX_UPLOAD_BYTES"])
            s.commit()
        except DuplicateCapture as exc:
            _fail(f"{exc}", code=3)
        except IntakeError as exc:
            _fail(f"拒收 (refused): {exc}", code=2)
        worker = _start_embedded_worker(app) if wait else None
        job = capture.jobs[-1]
        click.echo(f"已接收采集 #{capture.id}（{capture.kind}，{len(capture.files)} 个文件），识别任务 #{job.id} 已排队 "
                   f"(capture received, job queued)")
        capture_id = capture.id
    if not wait:
        return
    try:
        result = wait_for([capture_id], timeout=timeout)
    finally:
        if worker is not None:
            worker.stop(timeout=5)
    status, error = result[capture_id]
    if status == "failed":
        _fail(f"识别失败 (recognition failed): {error}", code=4)
    click.echo(f"采集 #{capture_id}: {STATUS_LABELS.get(status, status)}")


@cli.command(help="运行网站和内置识别进程 (run the web app with the embedded worker)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="不启动内置识别进程 (no embedded worker)")
def serve(host: str, port: int, no_worker: bool) -> None:
    app = _app()
    _require_schema(app)
    _serve(app, host, port, worker=not no_worker)


def _serve(app, host: str, port: int, worker: bool = True) -> None:
    from werkzeug.serving import run_simple

    if host in LOOPBACK and app.extensions["minxin.settings"].insecure_cookies is None:
        # Plain HTTP on this machine only: cookies cannot be marked Secure, or login would not stick.
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = False
    queue = _start_embedded_worker(app) if worker else None
    trainer = None
    if queue is not None:
        click.echo(f"内置识别进程已启动 (embedded worker started): {queue.threads} 个线程 (threads)")
        from webapp.extractor_commands import start_daily_training

        trainer = start_daily_training(app)  # the county's extractor model, once a day
    click.echo(f"网站 (web app): http://{host}:{port}/  按 Ctrl+C 停止 (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if trainer is not None:
            trainer.stop()
        if queue is not None:
            queue.stop(timeout=5)


@cli.command(help="只运行识别进程，不带网站 (run only the recognition worker)")
@click.option("--threads", default=None, type=int, help="线程数 (worker threads)")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["speech", "handwriting"]),
              help="只处理这些队列 (only these queues)")
@click.option("--once", is_flag=True, help="处理完现有任务后退出 (exit when no job is left)")
@click.option("--celery", "use_celery", is_flag=True,
              help="作为 Celery 工作进程运行 (run as a Celery worker; MINXIN_BROKER_URL)")
@click.option("--queues", "celery_queues", default="speech,handwriting", show_default=True,
              help="Celery 队列，逗号分隔 (Celery queues, comma-separated)")
@click.option("--concurrency", default=1, show_default=True, type=int,
              help="Celery 进程数 (Celery pool processes)")
def worker(threads: Optional[int], queues: tuple[str, ...], once: bool, use_celery: bool,
           celery_queues: str, concurrency: int) -> None:
    import logging
    import signal

    from jobs import operations as jobs

    if use_celery:
        from jobs.celery_app import run_worker

        run_worker(celery_queues.split(","), concurrency)
        return

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app()
    _require_schema(app)
    queue = jobs.EmbeddedQueue(app.config, threads=threads, queues=queues or jobs.QUEUES)
    if once:
        n = 0
        while queue.run_once() is not None:
            n += 1
        click.echo(f"处理了 {n} 个任务 (ran {n} jobs)")
        return
    jobs.set_active_queue(queue)
    queue.start()
    click.echo(f"识别进程运行中 (worker running): {queue.threads} 个线程，队列 {', '.join(queue.queues)}", err=True)
    stop = {"now": False}

    def _stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop["now"]:
        time.sleep(0.5)
    queue.stop(timeout=10)


@cli.command(help="直接识别文件，不入库 (recognize files without storing them)")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--engine", default=None, help="语音引擎 (speech engine)")
@click.option("--model", default=None, help="语音模型 (speech model)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (print JSON)")
def transcribe(files: tuple[str, ...], engine: Optional[str], model: Optional[str], as_json: bool) -> None:
    from capture.sniff import kind_of, sniff_file
    from recognize.transcript import RecognitionError

    kinds = set()
    for f in files:
        media_type = sniff_file(f)
        if media_type is None:
            _fail(f"不支持的文件类型：{f} (unsupported file type)", code=2)
        kinds.add(kind_of(media_type))
    if len(kinds) != 1:
        _fail("录音和照片请分开识别 (audio and photos separately)", code=2)
    kind = kinds.pop()
    if kind == "audio" and len(files) > 1:
        _fail("一次只能识别一段录音 (one recording at a time)", code=2)
    from ops.compose import settings_from_environment
    from recognize.options import PageOptions, SpeechOptions

    config = settings_from_environment().as_config()
    options: dict = {}
    if kind == "audio":
        options["speech"] = SpeechOptions.from_config(config)
        if engine:
            options["engine"] = engine
        if model:
            options["model"] = model
    else:
        options["pages"] = PageOptions.from_config(config)
    if config["RECOGNIZER"] == "fake":
        from recognize.fake import transcribe_files
    else:
        from recognize.pipeline import transcribe_files

    def progress(fraction: float) -> None:
        click.echo("\r" + _bar(fraction), nl=False, err=True)

    try:
        result = transcribe_files(list(files), kind, progress=progress, **options)
    except RecognitionError as exc:
        click.echo("", err=True)
        _fail(f"无法识别 (cannot recognize): {exc}", code=4)
    click.echo("", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.text)


@cli.command(help="重新识别失败的采集（装好模型、腾出空间之后）(queue failed captures again, after a fix)")
@click.option("--capture", "capture_ids", multiple=True, type=int, help="只处理这些采集号 (only these captures)")
def requeue(capture_ids: tuple[int, ...]) -> None:
    from jobs import operations as jobs

    app = _app()
    _require_schema(app)
    with _session() as s:
        done = jobs.requeue_failed(s, capture_ids or None)
    if not done:
        click.echo("没有失败的采集 (no failed captures)")
        return
    click.echo(f"已重新排队 {len(done)} 个采集 (queued again): {', '.join(f'#{i}' for i in done)}")


@cli.command(help="体检：残留临时文件、无记录的原件、缺失的原件、无任务的采集 (report loose ends; --sweep removes leftovers)")
@click.option("--sweep", "do_sweep", is_flag=True, help="删除超过宽限期的残留文件 (remove leftovers past the grace period)")
@click.option("--grace-minutes", type=float, default=None, help="宽限期，分钟 (grace period; default LEFTOVER_GRACE_SECONDS)")
def doctor(do_sweep: bool, grace_minutes: Optional[float]) -> None:
    from capture import housekeeping

    app = _app()
    _require_schema(app)
    grace = grace_minutes * 60 if grace_minutes is not None else float(app.config["LEFTOVER_GRACE_SECONDS"])
    with _session() as s:
        report = (housekeeping.sweep if do_sweep else housekeeping.inspect)(s, app.config, grace_seconds=grace)
    lines = [
        ("残留临时文件 (temp files left by a kill mid-write)", len(report.temp_files)),
        ("无记录的原件 (originals no row points at)", len(report.orphan_originals)),
        ("宽限期内的残留 (leftovers still within the grace period)", report.young_leftovers),
        ("缺失的原件 (originals a row points at, missing from the store)", len(report.missing_originals)),
        ("已接收但无识别任务的采集 (received captures without a job)", len(report.jobless_captures)),
        ("识别失败的采集 (failed captures; minxin requeue)", report.failed_captures),
    ]
    for label, n in lines:
        click.echo(f"{n:6d}  {label}")
    if not report.checked_store:
        click.echo("        (S3: 只检查了本地缓存 (only the local cache was checked))")
    for sha in report.missing_originals[:20]:
        click.echo(f"  缺失 (missing): {sha}", err=True)
    if do_sweep:
        click.echo(f"已删除 {len(report.removed)} 个残留文件 (removed {len(report.removed)} leftovers)")
    if report.missing_originals:
        _fail("有原件缺失，请从备份恢复 (originals are missing: restore them from a backup)", code=6)


@cli.command("audit-verify", help="检查审计链是否完整 (verify the audit hash chain)")
@click.option("--anchors", "anchors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="记录链头的文件 (anchor file; default DATA_DIR/audit-anchors.tsv)")
@click.option("--no-record", is_flag=True, help="只检查，不记录本次链头 (check only)")
@click.option("--sign-unkeyed", is_flag=True,
              help="升级一次：检查旧版未加密钥的链，完好则用本实例的审计密钥重新签名 "
                   "(once, after upgrading: check the unkeyed chain of earlier versions and re-sign it with the key)")
def audit_verify(anchors_path: Optional[Path], no_record: bool, sign_unkeyed: bool) -> None:
    from core.audit import chain_head, check_anchors, read_anchors, record_anchor, rekey_chain, verify_chain
    from core.models import AuditEvent

    app = _app()
    _require_schema(app)
    anchors_path = anchors_path or Path(app.config["DATA_DIR"]) / "audit-anchors.tsv"
    if sign_unkeyed:
        with _session() as s:
            try:
                n = rekey_chain(s, None, app.config["AUDIT_KEY"].encode("utf-8"))
            except ValueError as exc:
                _fail(f"旧链不完整，未重新签名 (the unkeyed chain is broken; nothing re-signed): {exc}")
            s.commit()
        if anchors_path.exists():  # the old heads name unkeyed hashes
            anchors_path.rename(anchors_path.with_name(anchors_path.name + ".unkeyed"))
        click.echo(f"已用审计密钥重新签名 {n} 条事件 (re-signed {n} events with the audit key)")
    with _session() as s:
        problems = verify_chain(s) + check_anchors(s, read_anchors(anchors_path))
        count = s.query(AuditEvent).count()
        head = chain_head(s)
    if problems:
        for p in problems:
            click.echo(p, err=True)
        _fail(f"审计链有 {len(problems)} 处问题 ({len(problems)} problems in the audit chain)")
    click.echo(f"审计链完整，共 {count} 条事件 (audit chain intact, {count} events)")
    if head is not None:
        # Worth copying off this machine too: a later check proves nothing before it was cut.
        click.echo(f"链头 (head): #{head[0]} {head[1]}")
        if not no_record and record_anchor(anchors_path, head):
            click.echo(f"已记录到 {anchors_path} (recorded)")


@cli.command(help="备份数据库和全部原件到新目录 OUT，运行中也可执行 (back up database and originals)")
@click.argument("out", type=click.Path(file_okay=False))
def backup(out: str) -> None:
    from ops.backup import BackupError, backup as do_backup

    app = _app()
    _require_schema(app)
    try:
        result = do_backup(app.config, out)
    except BackupError as exc:
        _fail(f"备份失败 (backup failed): {exc}")
    tables = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    click.echo(f"备份完成 (backup written): {result.path}")
    click.echo(f"  原件 (originals): {result.originals} 个，{result.bytes / 1048576:.1f} MB")
    click.echo(f"  行数 (rows): {tables}")


@cli.command(help="把备份目录 IN 恢复到一个空实例 (restore a backup into an empty instance)")
@click.argument("source", metavar="IN", type=click.Path(exists=True, file_okay=False))
def restore(source: str) -> None:
    from ops.backup import BackupError, restore as do_restore

    app = _app()
    try:
        result = do_restore(app.config, source)
    except BackupError as exc:
        _fail(f"恢复失败 (restore failed): {exc}")
    click.echo(f"恢复完成 (restored): {app.config['DATABASE_URL']}")
    click.echo(f"  原件 (originals): {result.originals} 个，{result.bytes / 1048576:.1f} MB")
    click.echo(f"  行数 (rows): {', '.join(f'{k} {v}' for k, v in result.counts.items())}")
    if result.audit_problems:
        for p in result.audit_problems:
            click.echo(p, err=True)
        _fail(f"恢复的审计链有 {len(result.audit_problems)} 处问题 (audit chain problems in the backup)；"
              "若整条链都不符，多半是本实例的审计密钥与原实例不同：请把原实例的 audit_key 或 MINXIN_AUDIT_KEY "
              "带过来 (if every event differs, this instance's audit key is not the original one)", code=5)
    click.echo("  审计链完整 (audit chain intact)")


# --- demo ------------------------------------------------------------------------------------


def demo_samples(folder: Path) -> list[tuple[Path, str]]:
    """Every accepted media file under `folder` (by sniffed type, not by name), sorted."""
    from capture.sniff import kind_of, sniff_file

    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        media_type = sniff_file(path)
        if media_type is not None:
            found.append((path, kind_of(media_type)))
    return found


@cli.command(help="演示：建示例县、用户，导入 samples/ 并识别，然后启动网站 (set up and run the demo)")
@click.option("--no-serve", is_flag=True, help="完成后退出，不启动网站 (exit when done)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--samples", "samples_dir", default=None, type=click.Path(file_okay=False),
              help="样例目录，默认为项目的 samples/ (sample folder)")
@click.option("--reset-passwords", is_flag=True, help="为演示用户生成新密码 (new passwords for the demo users)")
@click.option("--timeout", default=0, type=float, help="等待识别的上限秒数 (wait limit in seconds)")
def demo(no_serve: bool, host: str, port: int, samples_dir: Optional[str], reset_passwords: bool,
         timeout: float) -> None:
    from sqlalchemy import select

    from capture.intake import DuplicateCapture, IntakeError
    from capture.storage import get_storage
    from capture.submit import submit
    from jobs import operations as jobs
    from ops.demo import add_demo_units
    from capture.models import Capture
    from diary.models import DiaryEntry
    from org.users import create_user, find_user, set_password

    app = _app()
    click.echo(f"实例目录 (instance folder): {app.instance_path}")
    revision = _upgrade(app)
    click.echo(f"数据库 (database): {app.config['DATABASE_URL']} @ {revision}")
    if app.config.get("RECOGNIZER") == "fake":
        click.echo("注意：MINXIN_RECOGNIZER=fake，使用的是测试用的假识别器 (fake recognizer, for tests only)")

    county = load_demo_county()
    passwords: dict[str, str] = {}
    with _session() as s:
        units = add_demo_units(s, county)
        s.commit()
        click.echo("示例县 (demo county):")
        for name, level, parent in county.units:
            indent = {"county": "  ", "township": "    ", "village": "      "}[level]
            click.echo(f"{indent}{name}")
        demo_users = {}
        for login, name, role, unit in county.people:
            user = find_user(s, login)
            if user is None:
                passwords[login] = secrets.token_urlsafe(12)
                user = create_user(s, login, passwords[login], name, role, units[unit])
            elif reset_passwords:
                passwords[login] = secrets.token_urlsafe(12)
                set_password(s, user, passwords[login])
            demo_users.setdefault(role, user)
            s.commit()
        cadre = demo_users["cadre"]

        # A ledger with items in every state, so the dashboard and public pages show
        # something real; only on the first run.
        from ops.demo import seed_ledger
        from ledger.models import LedgerItem

        if s.scalars(select(LedgerItem).limit(1)).first() is None:
            all_users = [find_user(s, login) for login, *_ in county.people]
            counts = seed_ledger(s, list(units.values()), all_users)
            s.commit()
            click.echo("示例台账 (demo ledger): " + "，".join(f"{k} {v}" for k, v in sorted(counts.items())))

        folder = Path(samples_dir) if samples_dir else (REPO_ROOT / "samples")
        if not folder.is_dir():
            folder = Path.cwd() / "samples"
        samples = demo_samples(folder) if folder.is_dir() else []
        click.echo(f"样例 (samples) in {folder}: {len(samples)} 个文件 (files)")
        storage = get_storage(app.config)
        capture_ids: list[int] = []
        for path, kind in samples:
            rel = path.relative_to(folder)
            try:
                capture = submit(s, storage, cadre, [(path.name, path.read_bytes())],
                                 max_bytes=app.config["MAX_UPLOAD_BYTES"])
                s.commit()
                click.echo(f"  {rel}: 新采集 #{capture.id} ({kind})")
            except DuplicateCapture as exc:
                capture = s.get(Capture, exc.capture_id)
                click.echo(f"  {rel}: 已有采集 #{capture.id}，沿用 (already ingested)")
            except IntakeError as exc:
                click.echo(f"  {rel}: 拒收 (refused): {exc}")
                continue
            if not capture.jobs:
                jobs.enqueue_recognition(s, capture)
            capture_ids.append(capture.id)

    worker = _start_embedded_worker(app)
    if capture_ids:
        click.echo("识别中，首次运行需加载模型 (recognizing; the first run loads the models)…")
        started = time.monotonic()
        wait_for(capture_ids, timeout=timeout)
        click.echo(f"识别用时 {time.monotonic() - started:.0f} 秒 (recognition took)")

    with _session() as s:
        click.echo("采集 (captures):")
        for cid in capture_ids:
            c = s.get(Capture, cid)
            line = f"  #{c.id} {c.kind} {STATUS_LABELS.get(c.status, c.status)}"
            if c.error:
                line += f" — {c.error}"
            click.echo(line)
            if c.entry is not None:
                e = c.entry
                problem = "".join((e.problem or "-").split())  # line breaks of the page
                click.echo(f"      草稿 (draft) #{e.id}: 日期 {e.visit_date or '-'} 地点 {e.place or '-'} "
                           f"受访 {e.interviewee or '-'} 问题 {problem[:40]}")
        waiting = s.scalars(select(Capture).where(Capture.status == CaptureStatus.READY_FOR_REVIEW)).all()
        entries = s.scalars(select(DiaryEntry).where(DiaryEntry.status == "draft")).all()
        click.echo(f"待审核 (review queue): {len(waiting)} 个采集，{len(entries)} 条草稿日记 (draft entries)")

    click.echo("演示用户 (demo users):")
    for login, name, role, unit in county.people:
        pw = passwords.get(login)
        shown = f"密码 (password): {pw}" if pw else "密码已在首次运行时显示；忘记可加 --reset-passwords (password shown on first run)"
        click.echo(f"  {login:<10} {name} {role:<10} {unit}  {shown}")
    if no_serve:
        if worker is not None:
            worker.stop(timeout=5)
        return
    url = f"http://{host}:{port}/"
    click.echo(f"以 sup_glz 登录查看审核队列 (log in as sup_glz for the review queue): {url}review/")
    try:
        _serve(app, host, port, worker=False)  # the worker started above keeps running
    finally:
        if worker is not None:
            worker.stop(timeout=5)


def _add_commands_of_other_parts() -> None:
    """Commands that live beside the code they drive: extraction and the ledger."""
    from recognize.extract.cli import extract_command
    from recognize.pii_cli import redact_command
    from webapp.ledger.commands import COMMANDS

    cli.add_command(extract_command, "extract")
    from webapp.extractor_commands import train_extractor_command

    cli.add_command(train_extractor_command)
    cli.add_command(redact_command, "redact")
    for command in COMMANDS:
        cli.add_command(command)


_add_commands_of_other_parts()


if __name__ == "__main__":
    main()
