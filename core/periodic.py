"""A job run at a fixed interval in a daemon thread of this process: what `celery beat` does at
scale, for the embedded worker that `minxin serve` runs (the extractor's daily training, the
dashboard's background counts). The first run comes `first_after` seconds after start so that
start-up stays quick; a run that raises is logged and the next one comes on time."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Optional

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, job: Optional[Callable[[], Any]] = None, *, every: float,
                 first_after: float = 60.0):
        self.name = name
        self.job = job
        self.every = every
        self.first_after = first_after
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def run_once(self) -> Any:
        try:
            return self.job() if self.job is not None else None
        except Exception:
            log.exception("%s failed", self.name)
            return None

    def _loop(self) -> None:
        wait = self.first_after
        while not self._stop.wait(wait):
            self.run_once()
            wait = self.every

    def start(self) -> "Periodic":
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
