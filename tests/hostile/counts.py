"""Counts the hostile suites report: cases tried and handled, faults injected and survived,
permission cells checked.

Each suite calls `report(...)`; the line is printed at once (to the terminal, whatever the
capture setting), kept for the end-of-run summary (tests/conftest.py prints it), and written
to test-output/hostile_counts.txt (one line per suite, the latest run of each).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "test-output" / "hostile_counts.txt"
_lock = threading.Lock()
_seen: dict[str, str] = {}


def report(suite: str, tried: int, passed: int, what: str = "cases", config=None,
           verbs: tuple[str, str] = ("tried", "handled")) -> str:
    line = f"{suite}: {tried} {what} {verbs[0]}, {passed} {verbs[1]}"
    with _lock:
        _seen[suite] = line
        OUT.parent.mkdir(parents=True, exist_ok=True)
        old = {}
        if OUT.exists():
            for raw in OUT.read_text(encoding="utf-8").splitlines():
                if raw.strip():
                    key, _, rest = raw.partition("\t")
                    old[key] = rest
        old[suite] = json.dumps({"tried": tried, "passed": passed, "what": what, "line": line}, ensure_ascii=False)
        OUT.write_text("".join(f"{k}\t{v}\n" for k, v in sorted(old.items())), encoding="utf-8")
    reporter = config.pluginmanager.get_plugin("terminalreporter") if config is not None else None
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(f"[hostile] {line}")
    else:
        print(f"[hostile] {line}")
    return line


def summary_lines() -> list[str]:
    with _lock:
        return [_seen[k] for k in sorted(_seen)]
