"""Org units and users: creation, passwords, deactivation."""
from __future__ import annotations

import secrets
from typing import Optional

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit
from core.errors import DomainError  # noqa: F401 (org.users.DomainError: the name callers used)
from org.models import ORG_LEVELS, ROLES, OrgUnit, User, UserSession
from org.passwords import check_policy

# scrypt: a memory-hard KDF (werkzeug's default, spelled out so it cannot drift).
PASSWORD_METHOD = "scrypt"


def add_org_unit(session: Session, name: str, level: str, parent: Optional[OrgUnit] = None) -> OrgUnit:
    if level not in ORG_LEVELS:
        raise DomainError(f"未知的层级 {level!r} (unknown level)")
    existing = session.scalars(
        select(OrgUnit).where(OrgUnit.name == name, OrgUnit.parent_id == (parent.id if parent else None))
    ).first()
    if existing is not None:
        return existing
    unit = OrgUnit(name=name, level=level, parent=parent)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    audit.record(session, "org_unit.create", unit, after={"name": name, "level": level})
    return unit


def find_unit(session: Session, name: str) -> Optional[OrgUnit]:
    return session.scalars(select(OrgUnit).where(OrgUnit.name == name).order_by(OrgUnit.id)).first()


_PARENT_LEVEL = {"township": "county", "village": "township"}


def move_unit(session: Session, unit: OrgUnit, new_parent: OrgUnit, actor: Optional[User] = None) -> None:
    """Move a unit (and everything under it) to another parent, e.g. a village to another
    township after a merger of townships. Scope is the materialised path, so one UPDATE of
    the subtree's paths moves everyone's view: captures, entries and items keep their unit
    id, and "at or under" follows the new path at once."""
    if _PARENT_LEVEL.get(unit.level) != new_parent.level:
        raise DomainError(f"{unit.name} 不能放在 {new_parent.name} 之下 (a {unit.level} goes under a "
                          f"{_PARENT_LEVEL.get(unit.level, 'nothing')})")
    if new_parent.id == unit.parent_id:
        return
    old_path, new_path = unit.path, f"{new_parent.path}{unit.id}/"
    before = {"parent_id": unit.parent_id, "path": old_path}
    session.flush()
    session.execute(
        update(OrgUnit).where(OrgUnit.path.startswith(old_path))
        .values(path=literal(new_path) + func.substr(OrgUnit.path, len(old_path) + 1))
        .execution_options(synchronize_session=False))
    session.execute(update(OrgUnit).where(OrgUnit.id == unit.id).values(parent_id=new_parent.id)
                    .execution_options(synchronize_session=False))
    session.expire_all()  # loaded units under it carry the old path
    audit.record(session, "org_unit.move", unit, before=before, after={"parent_id": new_parent.id, "path": new_path},
                 actor=actor)


def create_user(
    session: Session,
    login: str,
    password: str,
    display_name: str,
    role: str,
    unit: OrgUnit,
    actor: Optional[User] = None,
) -> User:
    if role not in ROLES:
        raise DomainError(f"未知的角色 {role!r} (unknown role)")
    check_policy(password, login, role)
    if session.scalars(select(User).where(User.login == login)).first() is not None:
        raise DomainError(f"用户名 {login} 已存在 (login already exists)")
    user = User(
        login=login,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        display_name=display_name,
        role=role,
        org_unit=unit,
    )
    session.add(user)
    audit.record(
        session, "user.create", user, actor=actor,
        after={"login": login, "role": role, "org_unit": unit.name, "display_name": display_name},
    )
    return user


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


_DUMMY_HASHES: dict[str, str] = {}


def verify_login(user: Optional[User], password: str) -> bool:
    """check_password for a known user; for an unknown one, the same work against a dummy hash,
    so the answer's timing does not tell which logins exist."""
    if user is None:
        dummy = _DUMMY_HASHES.get(PASSWORD_METHOD)
        if dummy is None:
            dummy = _DUMMY_HASHES[PASSWORD_METHOD] = generate_password_hash(
                secrets.token_hex(16), method=PASSWORD_METHOD)
        check_password_hash(dummy, password)
        return False
    return check_password(user, password)


def _end_sessions(session: Session, user: User) -> None:
    if user.id is not None:
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def set_active(session: Session, user: User, active: bool, actor: Optional[User] = None) -> None:
    before = {"active": user.active}
    user.active = active
    user.session_version += 1
    _end_sessions(session, user)  # ends every open session of this user
    audit.record(session, "user.activate" if active else "user.deactivate", user, actor=actor,
                 before=before, after={"active": active})


def set_password(session: Session, user: User, password: str, actor: Optional[User] = None) -> None:
    """New password; ends the user's open sessions."""
    check_policy(password, user.login, user.role)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.session_version += 1
    _end_sessions(session, user)
    audit.record(session, "user.password", user, actor=actor, after={"password": "changed"})


def find_user(session: Session, login: str) -> Optional[User]:
    return session.scalars(select(User).where(User.login == login)).first()
