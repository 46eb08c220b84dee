"""Password policy: long enough, not common, not made from the login (zxcvbn's estimate, with
the login as a known input); supervisors and admins, who see and sign off more, need more."""
from __future__ import annotations

from core.errors import DomainError

# role -> (minimum length, minimum zxcvbn score 0..4)
POLICY = {"cadre": (8, 2), "supervisor": (12, 3), "admin": (12, 3)}


def check_policy(password: str, login: str, role: str) -> None:
    """Raise DomainError (with the reason) for a password the role may not have."""
    min_len, min_score = POLICY.get(role, POLICY["admin"])
    password = password or ""
    if len(password) < min_len:
        raise DomainError(f"密码至少 {min_len} 位 (password must have at least {min_len} characters)")
    low, name = password.lower(), (login or "").strip().lower()
    if name and len(name) >= 3 and (name in low or low in name):
        raise DomainError("密码不能包含用户名 (the password must not contain the login)")
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:100], user_inputs=[name] if name else [])
    if result["score"] < min_score:
        raise DomainError("密码太常见或太容易猜，请换一个更长、不常见的密码 "
                          "(password too common or too easy to guess; choose a longer, uncommon one)")
