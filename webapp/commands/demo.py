"""`minxin demo`: the demo county, its users and ledger, the samples recognized, the site served."""
from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Optional

import click

from capture.intake import DuplicateCapture, IntakeError
from capture.models import Capture
from capture.sniff import kind_of, sniff_file
from capture.states import CaptureStatus
from capture.storage import get_storage
from capture.submit import submit
from diary.models import DiaryEntry
from jobs import operations as jobs
from ops.demo import add_demo_units
from ops.demo_county import load as load_demo_county
from org.users import create_user, find_user, set_password
from webapp.commands.common import REPO_ROOT, STATUS_LABELS, _app, _session, _start_embedded_worker, _upgrade, wait_for
from webapp.commands.run import _serve


def demo_samples(folder: Path) -> list[tuple[Path, str]]:
    """Every accepted media file under `folder` (by sniffed type, not by name), sorted."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        media_type = sniff_file(path)
        if media_type is not None:
            found.append((path, kind_of(media_type)))
    return found


@click.command(help="演示：建示例县、用户，导入 samples/ 并识别，然后启动网站 (set up and run the demo)")
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
        from ledger.models import LedgerItem
        from ops.demo import seed_ledger

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


COMMANDS = (demo,)
