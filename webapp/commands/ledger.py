"""The ledger's commands:

    minxin export-ledger --unit 古楼子乡 --format xlsx --out 台账.xlsx [--public]
    minxin ledger-daily [--date 2024-03-01] [--dry-run]   (also 催办 and 督办, ledger.notifications)
    minxin recurring-refresh     (the dashboard's recurring problems and settled months, for cron without Celery beat)
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from core.db import session_scope
from ledger import deadlines, exports, month_counts, rates, recurring
from org.users import find_unit
from webapp.commands.common import _app


@click.command("export-ledger")
@click.option("--unit", "unit_name", required=True, help="单位名称 (unit name), e.g. 古楼子乡")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public", is_flag=True, help="公示版：只含已销号事项，隐去个人信息 (closed items, PII redacted)")
def export_ledger(unit_name: str, fmt: str, out: Path, public: bool) -> None:
    """导出台账 (export the ledger of a unit and the units under it)."""
    app = _app()
    with app.app_context(), session_scope() as session:
        unit = find_unit(session, unit_name.strip())
        if unit is None:
            raise click.ClickException(f"找不到单位「{unit_name}」 (no such unit)")
        n = exports.count_for(session, unit, public=public)
        tmp = out.with_name(out.name + ".part")
        with tmp.open("wb") as f:
            for chunk in exports.stream_export(session, unit, fmt=fmt, public=public):
                f.write(chunk)
    tmp.replace(out)
    click.echo(f"已导出 {n} 件事项到 {out} (exported {n} items)")


@click.command("ledger-daily")
@click.option("--date", "date_", default=None, help="按哪一天计算 (YYYY-MM-DD; default: today in China)")
@click.option("--dry-run", is_flag=True, help="只列出，不发送通知 (list only, send nothing)")
def ledger_daily(date_: str | None, dry_run: bool) -> None:
    """台账每日提醒：逾期和3日内到期的事项，按单位发送通知 (daily due/overdue notices)."""
    try:
        today = dt.date.fromisoformat(date_) if date_ else None
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--date") from None
    app = _app()
    channel = None if dry_run else deadlines.channel_from_config(app.config)
    recipients = deadlines.recipients_from_config(app.config)
    with app.app_context(), session_scope() as session:
        result = deadlines.run_daily(session, today=today, channel=channel, recipients=recipients)
        for unit_due in result.units:
            click.echo(f"{unit_due.unit.full_name}: 逾期 {len(unit_due.overdue)} 件, 3日内到期 {len(unit_due.due_soon)} 件")
        if not dry_run:
            from ledger import notifications

            reminders = notifications.run_reminders(session, result.today, app.config)
            for item in reminders.urged:
                click.echo(f"催办 {item.code}: {item.org_unit.name}，时限 {item.deadline.isoformat()}")
            for sup in reminders.supervised:
                click.echo(f"督办 {sup.item.code}: 逾期 {sup.working_days} 个工作日，报 {sup.supervisor.name}")
    for name, to in result.sent:
        click.echo(f"已通知 {name}: {', '.join(to)}")
    for name in result.unaddressed:
        click.echo(f"未发送 {name}: 没有配置通知渠道或收件人 (no channel or recipients)")
    for name, err in result.failed:
        click.echo(f"发送失败 {name}: {err}", err=True)
    if result.failed:
        raise SystemExit(1)


@click.command("recurring-refresh")
def recurring_refresh() -> None:
    """重新计算各县、乡的共性问题（只算事项有变动的），并保存已结束月份的统计
    (refresh the dashboard's recurring-problem clusters; keep settled months' counts)."""
    app = _app()
    today = deadlines.local_today()
    with app.app_context(), session_scope() as session:
        done = recurring.refresh_stale(session, today, commit=True)
        months = month_counts.refresh_settled(session, today, rates.RateRules.from_config(app.config), commit=True)
    click.echo(f"已重新计算 {len(done)} 个单位的共性问题，保存 {months} 个单位月份的统计 "
               f"(refreshed {len(done)} units' clusters, kept {months} unit-months)")


COMMANDS = (export_ledger, ledger_daily, recurring_refresh)
