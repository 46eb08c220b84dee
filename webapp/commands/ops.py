"""Running an instance: its database, its health, its audit chain, its backups."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from capture import housekeeping
from core.audit import chain_head, chain_pending, check_anchors, read_anchors, record_anchor, rekey_chain, verify_chain
from core.models import AuditEvent
from ops.backup import BackupError
from ops.backup import backup as do_backup
from ops.backup import restore as do_restore
from ops.installation import check_installation
from ops.migrate import current_revision
from webapp.commands.common import _app, _fail, _require_schema, _session, _upgrade


@click.command(help="创建或升级数据库 (create or upgrade the database)")
def init() -> None:
    app = _app()
    revision = _upgrade(app)
    click.echo(f"数据库已就绪 (database ready): {app.config['DATABASE_URL']} @ {revision}")
    click.echo(f"实例目录 (instance folder): {app.instance_path}")


@click.command(help="体检：安装是否完整（解码器、模型、测试工具），残留临时文件、无记录的原件、缺失的原件、无任务的采集 "
                    "(check the installation, then report loose ends; --sweep removes leftovers)")
@click.option("--sweep", "do_sweep", is_flag=True, help="删除超过宽限期的残留文件 (remove leftovers past the grace period)")
@click.option("--grace-minutes", type=float, default=None, help="宽限期，分钟 (grace period; default LEFTOVER_GRACE_SECONDS)")
@click.option("--install/--no-install", "check_install", default=True,
              help="检查安装：每种上传格式的解码器、模型能否加载、测试所需的浏览器和字体 (check the installation)")
@click.option("--no-models", is_flag=True, help="不加载模型 (skip loading the models)")
def doctor(do_sweep: bool, grace_minutes: Optional[float], check_install: bool, no_models: bool) -> None:
    app = _app()
    if check_install:
        checks = check_installation(models=not no_models, cache=app.config.get("MODEL_CACHE"))
        for check in checks:
            click.echo(check.line())
        missing = [c for c in checks if not c.ok]
        click.echo(f"安装检查 (installation): {len(checks) - len(missing)}/{len(checks)} ok")
        if missing:
            _fail(f"安装不完整，缺 {len(missing)} 项，见上 (the installation lacks {len(missing)} things: see above)",
                  code=3)
    if current_revision(app.extensions["minxin.engine"]) is None:
        click.echo("实例：数据库还未创建，运行 minxin init (no database yet: run `minxin init`)")
        return
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


@click.command("audit-verify", help="检查审计链是否完整 (verify the audit hash chain)")
@click.option("--anchors", "anchors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="记录链头的文件 (anchor file; default DATA_DIR/audit-anchors.tsv)")
@click.option("--no-record", is_flag=True, help="只检查，不记录本次链头 (check only)")
@click.option("--sign-unkeyed", is_flag=True,
              help="升级一次：检查旧版未加密钥的链，完好则用本实例的审计密钥重新签名 "
                   "(once, after upgrading: check the unkeyed chain of earlier versions and re-sign it with the key)")
def audit_verify(anchors_path: Optional[Path], no_record: bool, sign_unkeyed: bool) -> None:
    app = _app()
    _require_schema(app)
    anchors_path = anchors_path or Path(app.config["DATA_DIR"]) / "audit-anchors.tsv"
    with _session() as s:
        # Events committed but not chained yet (a writer died between its commit and its chaining).
        chained = chain_pending(s.get_bind())
    if chained:
        click.echo(f"已补链 {chained} 条事件 (chained {chained} events committed but not chained yet)")
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


@click.command(help="备份数据库和全部原件到新目录 OUT，运行中也可执行 (back up database and originals)")
@click.argument("out", type=click.Path(file_okay=False))
def backup(out: str) -> None:
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


@click.command(help="把备份目录 IN 恢复到一个空实例 (restore a backup into an empty instance)")
@click.argument("source", metavar="IN", type=click.Path(exists=True, file_okay=False))
def restore(source: str) -> None:
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


COMMANDS = (init, doctor, audit_verify, backup, restore)
