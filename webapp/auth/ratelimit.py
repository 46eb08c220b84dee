"""Login rate limiting: a few failed attempts per login and client address per minute.

Counters live in this process's memory (the embedded default runs one web process). Under
gunicorn with N processes each process counts on its own, so the effective limit is at most
N times as high; that still turns password guessing from thousands of tries a minute into a
handful. A successful login clears the counter of that login and address.

Two limits: per (login, address) — one account guessed from one place — and per address
over all logins, so one client cannot spray passwords across many accounts.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Deque, Dict, Hashable

DEFAULT_PER_LOGIN = 5      # failed attempts per login+address per window
DEFAULT_PER_ADDRESS = 30   # failed attempts per address per window, over all logins
DEFAULT_WINDOW = 60.0      # seconds


class RateLimiter:
    """Sliding-window counters of failures; thread-safe."""

    def __init__(self, limit: int, window: float = DEFAULT_WINDOW, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.limit, self.window, self.clock, self.max_keys = limit, float(window), clock, max_keys
        self._hits: Dict[Hashable, Deque[float]] = {}
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable, now: float) -> Deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def retry_after(self, key: Hashable) -> float:
        """0 when another attempt is allowed now, else seconds until one is."""
        with self._lock:
            now = self.clock()
            hits = self._fresh(key, now)
            if len(hits) < self.limit:
                return 0.0
            return max(hits[0] + self.window - now, 0.001)

    def hit(self, key: Hashable) -> None:
        with self._lock:
            now = self.clock()
            hits = self._fresh(key, now)
            if not hits:
                if len(self._hits) >= self.max_keys:  # bounded memory under a flood of keys
                    self._prune(now)
                self._hits[key] = hits
            hits.append(now)

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in list(self._hits):
            self._fresh(key, now)
        while len(self._hits) >= self.max_keys:
            self._hits.pop(next(iter(self._hits)))


class LoginLimiter:
    """The two limits the login form checks."""

    def __init__(self, per_login: int = DEFAULT_PER_LOGIN, per_address: int = DEFAULT_PER_ADDRESS,
                 window: float = DEFAULT_WINDOW, clock: Callable[[], float] = time.monotonic):
        self.by_login = RateLimiter(per_login, window, clock)
        self.by_address = RateLimiter(per_address, window, clock)

    @staticmethod
    def _key(login: str, address: str) -> tuple[str, str]:
        return ((login or "").strip().lower()[:64], address or "?")

    def retry_after(self, login: str, address: str) -> float:
        return max(self.by_login.retry_after(self._key(login, address)),
                   self.by_address.retry_after(address or "?"))

    def failed(self, login: str, address: str) -> None:
        self.by_login.hit(self._key(login, address))
        self.by_address.hit(address or "?")

    def succeeded(self, login: str, address: str) -> None:
        self.by_login.reset(self._key(login, address))


def limiter_for(app) -> LoginLimiter:
    """The app's limiter, built on first use from LOGIN_RATE_LIMIT / LOGIN_RATE_WINDOW."""
    limiter = app.extensions.get("minxin.login_limiter")
    if limiter is None:
        limiter = LoginLimiter(
            per_login=int(app.config.get("LOGIN_RATE_LIMIT", DEFAULT_PER_LOGIN)),
            per_address=int(app.config.get("LOGIN_RATE_LIMIT_ADDRESS", DEFAULT_PER_ADDRESS)),
            window=float(app.config.get("LOGIN_RATE_WINDOW", DEFAULT_WINDOW)),
        )
        app.extensions["minxin.login_limiter"] = limiter
    return limiter
