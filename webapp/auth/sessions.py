"""Server-side login sessions: the signed cookie carries only a random key; the row in
`user_sessions` (its SHA-256) is what makes it valid. Logout, a password change and deactivation
delete the rows, so a copied cookie stops working at once; a session idle longer than
SESSION_IDLE_MINUTES ends too."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from org.models import User, UserSession

PREFIX = "s:"  # Flask-Login's user id in the cookie: "s:<key>"
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def open_session(session: Session, user: User, address: str = "",
                 idle: Optional[dt.timedelta] = None) -> str:
    """A new session row for `user`; returns the key the cookie carries (never stored). The
    user's sessions idle past `idle` (browsers closed without logging out) are dropped."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    if idle is not None:
        session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                  UserSession.last_seen_at < now - idle))
    session.add(UserSession(key_hash=_hash(key), user_id=user.id, created_at=now, last_seen_at=now,
                            address=(address or "")[:64]))
    session.flush()
    return key


def find_user(session: Session, key: str, idle: dt.timedelta) -> Optional[User]:
    """The active user of a live session key, or None (unknown, ended or idle too long)."""
    row = session.scalars(select(UserSession).where(UserSession.key_hash == _hash(key))).first()
    if row is None:
        return None
    now = utcnow()
    if now - row.last_seen_at > idle:
        session.delete(row)
        session.commit()
        return None
    user = row.user
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return user


def close_session(session: Session, key: Optional[str]) -> None:
    if key:
        session.execute(delete(UserSession).where(UserSession.key_hash == _hash(key)))


def close_all(session: Session, user: User) -> int:
    """End every session of `user` (password change, deactivation)."""
    return session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount or 0
