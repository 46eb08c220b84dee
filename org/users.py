"""Org units and users: creation, passwords, deactivation; the county admin's operations on the
web (each checks the admin's reach, changes, audits and flushes; the handler commits)."""
from __future__ import annotations

import secrets
from typing import Optional

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from capture.models import Capture
from core import audit
from core.errors import DomainError  # noqa: F401 (org.users.DomainError: the name callers used)
from core.errors import NotAllowed
from diary.models import DiaryEntry
from ledger.models import LedgerItem
from org.models import ORG_LEVELS, ROLES, OrgUnit, User, UserSession
from org.passwords import check_policy

# scrypt: a memory-hard KDF (werkzeug's default, spelled out so it cannot drift).
PASSWORD_METHOD = "scrypt"


def add_org_unit(session: Session, name: str, level: str, parent: Optional[OrgUnit] = None,
                 actor: Optional[User] = None) -> OrgUnit:
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
    audit.record(session, "org_unit.create", unit, actor=actor,
                 after={"name": name, "level": level, "parent_id": parent.id if parent else None})
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
    *,
    must_change_password: bool = False,
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
        must_change_password=must_change_password,
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
    user.must_change_password = False
    _end_sessions(session, user)
    audit.record(session, "user.password", user, actor=actor, after={"password": "changed"})


def find_user(session: Session, login: str) -> Optional[User]:
    return session.scalars(select(User).where(User.login == login)).first()


# --- the county admin on the web -------------------------------------------------------------
# Every operation below takes the acting admin and refuses (NotAllowed, answered as 404) a user
# or unit outside the admin's own unit: the admin of a county acts on that county only.

ROLE_NAMES = {"cadre": "干部", "supervisor": "审核人", "admin": "管理员"}
_LOGIN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")
# A one-time password: 4 groups of 4 from an alphabet without look-alikes (≈ 80 bits).
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def require_admin_over(actor: Optional[User], unit: OrgUnit) -> None:
    if actor is None or actor.role != "admin" or not actor.active or not unit.is_within(actor.org_unit):
        raise NotAllowed("不在您的管理范围内 (outside your administration)")


def temporary_password(login: str = "", role: str = "admin") -> str:
    """A one-time password that passes the strictest policy (shown once to the admin)."""
    while True:
        groups = ["".join(secrets.choice(_TEMP_ALPHABET) for _ in range(4)) for _ in range(4)]
        password = "-".join(groups)
        try:
            check_policy(password, login, role)
        except DomainError:
            continue
        return password


def _clean_login(login: str) -> str:
    login = (login or "").strip().lower()
    if not 3 <= len(login) <= 64 or set(login) - _LOGIN_CHARS:
        raise DomainError("用户名须为 3 至 64 位小写字母、数字或 _ . - "
                          "(a login has 3 to 64 lower-case letters, digits, _ . or -)")
    return login


def _clean_name(name: str, what: str = "姓名", limit: int = 64) -> str:
    name = (name or "").strip()
    if not name or len(name) > limit:
        raise DomainError(f"请填写{what}（最多 {limit} 字） ({what} is required, at most {limit} characters)")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise DomainError(f"未知的角色 {role!r} (unknown role)")
    return role


def register_user(session: Session, actor: User, login: str, display_name: str, role: str,
                  unit: OrgUnit) -> tuple[User, str]:
    """The admin creates a user with a one-time password (returned, shown once); the user must
    choose their own at the first sign-in."""
    require_admin_over(actor, unit)
    login, display_name, role = _clean_login(login), _clean_name(display_name), _check_role(role)
    password = temporary_password(login, role)
    user = create_user(session, login, password, display_name, role, unit, actor=actor,
                       must_change_password=True)
    session.flush()
    return user, password


def reset_password(session: Session, actor: User, user: User) -> str:
    """A new one-time password (returned, shown once): the user's sessions end and they must
    choose their own at the next sign-in."""
    require_admin_over(actor, user.org_unit)
    password = temporary_password(user.login, user.role)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.session_version += 1
    user.must_change_password = True
    _end_sessions(session, user)
    audit.record(session, "user.password_reset", user, actor=actor, after={"must_change_password": True})
    session.flush()
    return password


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """Anyone changes their own password, with the current one (or the one-time one)."""
    if not check_password(user, current or ""):
        raise DomainError("当前密码不正确 (the current password is wrong)")
    if new == current:
        raise DomainError("新密码不能与当前密码相同 (the new password must differ from the current one)")
    set_password(session, user, new, actor=user)
    session.flush()


def deactivate(session: Session, actor: User, user: User) -> None:
    require_admin_over(actor, user.org_unit)
    if user.id == actor.id:
        raise DomainError("不能停用自己的账号 (you cannot deactivate yourself)")
    if user.active:
        set_active(session, user, False, actor=actor)
    session.flush()


def reactivate(session: Session, actor: User, user: User) -> None:
    require_admin_over(actor, user.org_unit)
    if not user.active:
        set_active(session, user, True, actor=actor)
    session.flush()


def update_user(session: Session, actor: User, user: User, *, display_name: Optional[str] = None,
                role: Optional[str] = None, unit: Optional[OrgUnit] = None) -> None:
    """Change a user's name, role or unit. A new role or unit changes what they may see, so
    their open sessions end."""
    require_admin_over(actor, user.org_unit)
    if unit is not None:
        require_admin_over(actor, unit)
    before = {"display_name": user.display_name, "role": user.role, "org_unit": user.org_unit.full_name}
    if display_name is not None:
        user.display_name = _clean_name(display_name)
    if role is not None and role != user.role:
        if user.id == actor.id:
            raise DomainError("不能修改自己的角色 (you cannot change your own role)")
        user.role = _check_role(role)
    if unit is not None and unit.id != user.org_unit_id:
        if user.id == actor.id:
            raise DomainError("不能修改自己的单位 (you cannot change your own unit)")
        user.org_unit = unit
    after = {"display_name": user.display_name, "role": user.role, "org_unit": user.org_unit.full_name}
    if after == before:
        return
    if (before["role"], before["org_unit"]) != (after["role"], after["org_unit"]):
        user.session_version += 1
        _end_sessions(session, user)
    b, a = audit.diff(before, after)
    audit.record(session, "user.update", user, actor=actor, before=b, after=a)
    session.flush()


def create_unit(session: Session, actor: User, name: str, parent: OrgUnit) -> OrgUnit:
    """A new township under the county, or a village under a township."""
    require_admin_over(actor, parent)
    level = {"county": "township", "township": "village"}.get(parent.level)
    if level is None:
        raise DomainError("村以下不能再设单位 (nothing goes under a village)")
    name = _clean_name(name, "单位名称")
    if session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id == parent.id, OrgUnit.name == name)).first():
        raise DomainError(f"{parent.name}下已有{name} ({name} already exists there)")
    return add_org_unit(session, name, level, parent, actor=actor)


def rename_unit(session: Session, actor: User, unit: OrgUnit, name: str) -> None:
    require_admin_over(actor, unit)
    name = _clean_name(name, "单位名称")
    if name == unit.name:
        return
    if session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id == unit.parent_id, OrgUnit.name == name,
                                                OrgUnit.id != unit.id)).first():
        raise DomainError(f"同级已有{name} ({name} already exists there)")
    before = {"name": unit.name}
    unit.name = name
    audit.record(session, "org_unit.rename", unit, actor=actor, before=before, after={"name": name})
    session.flush()


def relocate_unit(session: Session, actor: User, unit: OrgUnit, new_parent: OrgUnit) -> None:
    """Move a unit within the admin's county (move_unit does the paths)."""
    require_admin_over(actor, unit)
    require_admin_over(actor, new_parent)
    if unit.id == actor.org_unit_id:
        raise DomainError("不能移动本级单位 (you cannot move your own unit)")
    move_unit(session, unit, new_parent, actor=actor)
    session.flush()


LIVE_ITEM_STATES = ("open", "in_progress", "escalated", "done", "reopened")


def unit_holdings(session: Session, unit: OrgUnit) -> dict[str, int]:
    """What keeps a unit from vanishing: units under it, people, live items, and any record
    that names it (entries, captures, closed items keep their history)."""
    def count(stmt) -> int:
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    item_unit = (LedgerItem.org_unit_id == unit.id) | (LedgerItem.place_unit_id == unit.id)
    return {
        "下级单位": count(select(OrgUnit.id).where(OrgUnit.parent_id == unit.id)),
        "人员": count(select(User.id).where(User.org_unit_id == unit.id)),
        "在办事项": count(select(LedgerItem.id).where(item_unit, LedgerItem.status.in_(LIVE_ITEM_STATES))),
        "台账记录": count(select(LedgerItem.id).where(item_unit)),
        "日记": count(select(DiaryEntry.id).where(
            (DiaryEntry.org_unit_id == unit.id) | (DiaryEntry.place_unit_id == unit.id))),
        "上传": count(select(Capture.id).where(Capture.org_unit_id == unit.id)),
    }


def remove_unit(session: Session, actor: User, unit: OrgUnit) -> None:
    """A unit made by mistake, with nothing in it, can go; one with people, units under it or
    any record cannot (merge townships with a move instead)."""
    require_admin_over(actor, unit)
    if unit.id == actor.org_unit_id or unit.parent_id is None:
        raise DomainError("不能删除本级单位 (you cannot remove your own unit)")
    held = {k: v for k, v in unit_holdings(session, unit).items() if v}
    if held:
        what = "、".join(f"{k} {v}" for k, v in held.items())
        raise DomainError(f"{unit.name}还有{what}，不能删除 ({unit.name} still has people, units or records)")
    audit.record(session, "org_unit.remove", unit, actor=actor,
                 before={"name": unit.name, "level": unit.level, "parent_id": unit.parent_id})
    session.delete(unit)
    session.flush()
