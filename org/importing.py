"""The org tree from a CSV file (`name,level,parent`, parents listed before their children)."""
from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from core.errors import DomainError
from org.models import ORG_LEVELS, OrgUnit
from org.users import add_org_unit


def import_units(session: Session, text: str) -> tuple[int, int]:
    """Add every unit of the CSV `text` (audited by add_org_unit; flushed, the caller commits).
    Returns (created, already there). A bad line raises DomainError naming the line; the caller
    rolls back, so a file is imported whole or not at all."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["name", "level"]:
        rows = rows[1:]
    created = existing = 0
    for lineno, row in enumerate(rows, start=1):
        name = row[0].strip()
        level = row[1].strip() if len(row) > 1 else ""
        parent_name = row[2].strip() if len(row) > 2 else ""
        if level not in ORG_LEVELS:
            raise DomainError(f"第 {lineno} 行：层级 {level!r} 无效，应为 county/township/village (line {lineno}: bad level)")
        parent = None
        if parent_name:
            parent = session.query(OrgUnit).filter_by(name=parent_name).order_by(OrgUnit.id).first()
            if parent is None:
                raise DomainError(f"第 {lineno} 行：上级单位 {parent_name} 不存在（须在前面的行里）"
                                  f" (line {lineno}: parent not found; list parents first)")
        before = session.query(OrgUnit).filter_by(name=name, parent_id=parent.id if parent else None).first()
        try:
            add_org_unit(session, name, level, parent)
        except DomainError as exc:
            raise DomainError(f"第 {lineno} 行 (line {lineno}): {exc}") from exc
        if before is None:
            created += 1
        else:
            existing += 1
    return created, existing
