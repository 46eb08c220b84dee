"""Captures from the command line: ingest files, requeue failed ones."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import click

from capture.intake import DuplicateCapture, IntakeError
from capture.storage import get_storage
from capture.submit import submit
from jobs import operations as jobs
from org.users import find_user
from webapp.commands.common import (
    STATUS_LABELS,
    _app,
    _fail,
    _read_file,
    _require_schema,
    _session,
    _start_embedded_worker,
    wait_for,
)


@click.command(help="上传录音或页面照片 (ingest a voice memo or page photos as one capture)")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--cadre", "login", required=True, help="上传者登录名 (uploader's login)")
@click.option("--visit-date", default=None, help="走访日期 YYYY-MM-DD (visit date hint)")
@click.option("--captured-at", default=None, help="拍摄/录音时间 ISO 8601 (capture time)")
@click.option("--wait", is_flag=True, help="等待识别完成并显示进度 (wait for recognition, with progress)")
@click.option("--timeout", default=0, type=float, help="等待上限秒数，0 为不限 (wait limit in seconds)")
def ingest(files: tuple[str, ...], login: str, visit_date: Optional[str], captured_at: Optional[str],
           wait: bool, timeout: float) -> None:
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


@click.command(help="重新识别失败的采集（装好模型、腾出空间之后）(queue failed captures again, after a fix)")
@click.option("--capture", "capture_ids", multiple=True, type=int, help="只处理这些采集号 (only these captures)")
def requeue(capture_ids: tuple[int, ...]) -> None:
    app = _app()
    _require_schema(app)
    with _session() as s:
        done = jobs.requeue_failed(s, capture_ids or None)
    if not done:
        click.echo("没有失败的采集 (no failed captures)")
        return
    click.echo(f"已重新排队 {len(done)} 个采集 (queued again): {', '.join(f'#{i}' for i in done)}")


COMMANDS = (ingest, requeue)
