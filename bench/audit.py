"""Audit events per second on PostgreSQL with 1, 2, 4 and 8 concurrent writers.

    python bench/audit.py                      # 8 s per row, the chain mode of the code on the path
    python bench/audit.py --seconds 4 --mode inline --mode deferred    # both modes side by side

Each writer is a process with its own session: one transaction records one event through
`core.audit.record`, does 3 ms of other work (a sleep: the rest of a request), and commits. After
each row the whole chain is verified (`verify_chain` after `chain_pending`), so a fast row that
broke the chain would show. Run it with the old code first on PYTHONPATH for the "before" line
(its `core.audit` has no modes: the row is labelled "(this code)"). Asserts nothing: the machine
is shared, read the numbers as a ranking and rerun.
"""
from __future__ import annotations

import argparse
import os
import sys
import multiprocessing
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if os.environ.get("PYTHONPATH") is None:
    sys.path.insert(0, str(ROOT))

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _writer(url: str, mode, seconds: float, work_ms: float, barrier, counts, i: int) -> None:
    from sqlalchemy.orm import Session

    from core import audit, db

    audit.use_key(b"bench-audit-key")
    if mode is not None:
        audit.use_mode(mode)
    engine = db.make_engine(url, pool_size=2)
    with Session(engine) as s:
        s.connection()  # connected before the clock starts
        s.rollback()
        barrier.wait()
        stop = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < stop:
            audit.record(s, "bench.write", object_type="Bench", object_id=i)
            time.sleep(work_ms / 1000)
            s.commit()
            n += 1
    counts[i] = n
    engine.dispose()


def run_row(url: str, mode, writers: int, seconds: float, work_ms: float) -> float:
    """Events committed per second by `writers` processes (an app server's or a worker's own
    process each: threads would share one interpreter lock and measure that instead)."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers + 1)
    counts = ctx.Array("i", writers)
    procs = [ctx.Process(target=_writer, args=(url, mode, seconds, work_ms, barrier, counts, i))
             for i in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.perf_counter()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    if any(p.exitcode for p in procs):
        raise SystemExit("a writer failed")
    return sum(counts) / elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0, help="per row")
    ap.add_argument("--work-ms", type=float, default=3.0, help="other work in each transaction")
    ap.add_argument("--writers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2, 4, 8])
    ap.add_argument("--mode", action="append", choices=("inline", "deferred"),
                    help="chain mode(s) to measure (default: the code's own default)")
    args = ap.parse_args(argv)

    import psycopg

    from core import audit, db
    from ops.migrate import upgrade

    audit.use_key(b"bench-audit-key")
    modes = args.mode or [None]
    for mode in modes:
        if mode is not None:
            audit.use_mode(mode)
        name = f"minxin_bench_audit_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            upgrade(url)
            engine = db.make_engine(url)
            label = mode or ("deferred (default)" if hasattr(audit, "chain_pending") else "(this code)")
            print(f"audit chain: {label}; {args.work_ms:g} ms other work per transaction; {args.seconds:g} s per row")
            base = None
            for n in args.writers:
                rate = run_row(url, mode, n, args.seconds, args.work_ms)
                base = base or rate
                from sqlalchemy.orm import Session

                with Session(engine) as s:
                    if hasattr(audit, "chain_pending"):
                        audit.chain_pending(engine)
                    problems = audit.verify_chain(s)
                verdict = "chain intact" if not problems else f"CHAIN BROKEN: {problems[:2]}"
                print(f"writers {n}: {rate:.1f} events/s  ({rate / base:.2f}x one writer; {verdict})")
            engine.dispose()
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
