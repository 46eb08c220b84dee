"""What every command of the `minxin` CLI shares: the app it runs in (pushed by the group),
sessions, failing with a message and an exit code, the schema check, progress."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import click
from flask import current_app

from capture.models import Capture
from capture.states import IN_RECOGNITION, CaptureStatus
from core import db
from jobs import operations as jobs
from ops.migrate import current_revision, head_revision, upgrade
from webapp.commands.output import _bar, _fail  # noqa: F401 (the commands' shared names)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def _app():
    """The app the command runs in: the `minxin` group (a FlaskGroup) builds it and pushes its context."""
    return current_app._get_current_object()


def _session():
    return db.SessionFactory()


def _require_schema(app) -> None:
    current = current_revision(app.extensions["minxin.engine"])
    if current != head_revision():
        _fail(f"数据库未初始化或不是最新版本，请先运行 minxin init "
              f"(database not initialised or out of date: run `minxin init`) [{current or '空 (empty)'}]")


def _upgrade(app) -> str:
    engine = app.extensions["minxin.engine"]
    upgrade(engine)
    return current_revision(engine) or ""


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
