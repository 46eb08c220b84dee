"""The organisation: units (县 → 乡/镇 → 村), users and their signed-in sessions."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base

# --- organisation -------------------------------------------------------------------

ORG_LEVELS = ("county", "township", "village")


class OrgUnit(Base):
    """县 → 乡/镇 → 村. Names are kept exactly as written in Chinese."""

    __tablename__ = "org_units"
    # "At or under this unit" is `path LIKE '/1/4/%'`: PostgreSQL uses a btree for a prefix LIKE
    # only with pattern ops (outside the C collation); SQLite gets a plain index.
    __table_args__ = (UniqueConstraint("parent_id", "name"),
                      Index("ix_org_units_path_prefix", "path", postgresql_ops={"path": "varchar_pattern_ops"}))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # county | township | village
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_units.id"), index=True)
    # Materialised path "/1/4/9/" so "at or under this unit" is one LIKE query.
    path: Mapped[str] = mapped_column(String(255), default="/")

    parent: Mapped[Optional["OrgUnit"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["OrgUnit"]] = relationship(back_populates="parent", order_by="OrgUnit.id")

    def is_within(self, other: "OrgUnit") -> bool:
        """True if self is `other` or lies under it."""
        return self.path.startswith(other.path)

    def ancestors(self) -> list["OrgUnit"]:
        chain, unit = [], self.parent
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    @property
    def full_name(self) -> str:
        return "".join(u.name for u in reversed([self, *self.ancestors()]))

    def __repr__(self) -> str:
        return f"<OrgUnit {self.level} {self.name}>"


# --- people -------------------------------------------------------------------------

ROLES = ("cadre", "supervisor", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="cadre")
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on deactivation or password change; sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # A one-time password from the admin: the user chooses their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.login} {self.role}>"


class UserSession(Base):
    """A signed-in browser. The cookie carries a random key, the row its SHA-256; deleting the
    row (logout, password change, deactivation, idle timeout) ends the session server-side."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = relationship()
