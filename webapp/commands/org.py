"""The organisation: people and the org tree."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Optional

import click

from core.errors import DomainError
from org.importing import import_units
from org.users import create_user, find_unit
from webapp.commands.common import _app, _fail, _require_schema, _session


@click.command("create-user", help="创建用户 (create a user)")
@click.argument("login")
@click.option("--name", "display_name", required=True, help="姓名 (display name)")
@click.option("--role", type=click.Choice(["cadre", "supervisor", "admin"]), default="cadre", show_default=True)
@click.option("--unit", required=True, help="所属单位名称，如 南荒沟村 (org unit name)")
@click.option("--password", default=None, help="不填则生成并显示一次 (generated and shown once if omitted)")
def create_user_command(login: str, display_name: str, role: str, unit: str, password: Optional[str]) -> None:
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


@click.command("import-orgs", help="从 CSV 导入组织树：name,level,parent (import the org tree)")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_orgs(file: str) -> None:
    app = _app()
    _require_schema(app)
    text = Path(file).read_text(encoding="utf-8-sig")
    with _session() as s:
        try:
            created, existing = import_units(s, text)
        except DomainError as exc:
            s.rollback()
            _fail(str(exc))
        s.commit()
    click.echo(f"已导入 {created} 个单位，{existing} 个已存在 (imported {created} units, {existing} already there)")


COMMANDS = (create_user_command, import_orgs)
