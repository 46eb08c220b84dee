"""Province scale: every page's server time at a million ledger items, on PostgreSQL and SQLite.

    python bench/scale.py                      # 100 counties × 15 townships × 15 villages, 1,000,000 items
    python bench/scale.py --counties 4 --items 40000 --captures 8000     # a quick look
    python bench/scale.py --db pg --keep       # PostgreSQL only, keep the database for EXPLAIN by hand

Seeds a province (counties × townships × villages; four cadres a village, two supervisors a
township, an admin a county: about 100,000 users), `--items` ledger items spread over the
villages (a tenth held by townships, a twentieth by counties, with the transitions each status
implies), and `--captures` captures with their diary entries. Then, in process with Flask's
test client (server time, no network), requests every page for a county admin, a township
supervisor and a village cadre and prints p50/p95/p99 per page and role side by side for the
two databases, the plan of each page's slowest statement (index or sequential scan), and the
time and peak memory of the county's 台账 export in xlsx and csv. Asserts nothing: the machine
is shared and noisy, so read the numbers as a ranking, and rerun.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-province-2026!"
PG_ADMIN = os.environ.get("MINXIN_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CATEGORIES = ("道路桥梁", "饮水", "住房", "邻里纠纷", "产业发展", "农业技术", "医疗卫生", "教育",
              "社会保障", "环境卫生", "就业", "基础设施", "其他")
# Villagers' names for the search index: about 8,000 names, each reported a few hundred times.
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀英桂兰建国志强玉梅海燕德明春华淑珍国庆凤霞永福宝山文军丽娟"
PROBLEMS = ("村里的路一下雨就泥泞，孩子上学不方便", "自来水冬天冻管，一组十几户吃水难", "老房子后墙裂缝，怕雨季塌",
            "香菇收购款迟迟没结清", "村卫生室缺常用药", "垃圾点没人清运，夏天有味", "低保申请不知道找谁",
            "桥面护栏坏了，晚上走路危险", "蓝莓苗子黄叶，想请技术员来看看", "路灯坏了半年没人修")


@dataclass
class Province:
    counties: list[int] = field(default_factory=list)
    townships: list[int] = field(default_factory=list)
    villages: list[int] = field(default_factory=list)
    parent: dict[int, int] = field(default_factory=dict)
    # one login per role to measure with: (login, unit id)
    logins: dict[str, tuple[str, int]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # villagers' names (search)


def _batches(rows, size=5000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(url: str, args) -> Province:
    """The province, written with bulk inserts (the app's own operations would take hours)."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from capture.models import Capture
    from core import db
    from diary.models import DiaryEntry
    from ledger.models import LedgerItem, LedgerTransition, ledger_item_entries
    from ops.migrate import upgrade
    from org.models import OrgUnit, User

    upgrade(url)
    engine = db.make_engine(url)
    rnd = random.Random(7)
    prov = Province()
    units, path = [], {}
    next_id = 1

    def unit(name, level, parent):
        nonlocal next_id
        uid, next_id = next_id, next_id + 1
        path[uid] = f"{path[parent] if parent else '/'}{uid}/"
        units.append({"id": uid, "name": name, "level": level, "parent_id": parent, "path": path[uid]})
        if parent:
            prov.parent[uid] = parent
        return uid

    for c in range(args.counties):
        cid = unit(f"第{c + 1}县", "county", None)
        prov.counties.append(cid)
        for t in range(args.townships):
            tid = unit(f"第{t + 1}乡", "township", cid)
            prov.townships.append(tid)
            for v in range(args.villages):
                prov.villages.append(unit(f"第{v + 1}村", "village", tid))
    pw = generate_password_hash(PASSWORD)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    users, cadres_of = [], {}
    next_user = 1

    def user(login, name, role, unit_id):
        nonlocal next_user
        users.append({"id": next_user, "login": login, "password_hash": pw, "display_name": name, "role": role,
                      "org_unit_id": unit_id, "active": True, "session_version": 1, "created_at": now})
        next_user += 1
        return next_user - 1

    for cid in prov.counties:
        user(f"admin{cid}", f"县管理员{cid}", "admin", cid)
    for tid in prov.townships:
        for k in range(2):
            user(f"sup{tid}_{k}", f"乡审核{tid}", "supervisor", tid)
    for vid in prov.villages:
        cadres_of[vid] = [user(f"cadre{vid}_{k}", f"村干部{vid}", "cadre", vid) for k in range(4)]
    # the measured users: in the middle of the province, not its first unit
    county = prov.counties[len(prov.counties) // 2]
    township = next(t for t in prov.townships if prov.parent[t] == county)
    village = next(v for v in prov.villages if prov.parent[v] == township)
    prov.logins = {"county admin": (f"admin{county}", county), "township supervisor": (f"sup{township}_0", township),
                   "village cadre": (f"cadre{village}_0", village)}
    with engine.begin() as conn:
        for b in _batches(units):
            conn.execute(insert(OrgUnit), b)
        for b in _batches(users):
            conn.execute(insert(User), b)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # explicit ids: move the sequences past them
            for table in ("org_units", "users"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    names = [s + a + b for s in SURNAMES for a in GIVEN for b in GIVEN[::3]]
    prov.names = names
    statuses = ("open", "in_progress", "in_progress", "escalated", "done", "closed", "closed", "closed", "reopened")
    today = now.date()

    items_of: dict[int, list[int]] = {}  # the items about each village, for the entries' links

    def items():
        for i in range(args.items):
            vid = prov.villages[rnd.randrange(len(prov.villages))]
            items_of.setdefault(vid, []).append(i + 1)
            held = vid if rnd.random() < 0.85 else (prov.parent[vid] if rnd.random() < 0.67 else prov.parent[prov.parent[vid]])
            level = "village" if held == vid else ("township" if held == prov.parent[vid] else "county")
            status = statuses[rnd.randrange(len(statuses))]
            opened = now - dt.timedelta(minutes=rnd.randrange(60 * 24 * 730))
            deadline = (today + dt.timedelta(days=rnd.randrange(-40, 30))) if status in ("in_progress", "reopened") else None
            closed = opened + dt.timedelta(days=rnd.randrange(1, 40)) if status == "closed" else None
            yield {"id": i + 1, "code": f"P{i + 1:07d}", "org_unit_id": held, "level": level, "place_unit_id": vid,
                   "place": "第村", "reporter": names[i % len(names)], "problem": f"{PROBLEMS[i % len(PROBLEMS)]}（{i}）",
                   "category": CATEGORIES[rnd.randrange(len(CATEGORIES))], "status": status, "deadline": deadline,
                   "triage": "deadline" if deadline else None, "result": "已修好" if closed else "",
                   "opened_at": opened, "closed_at": closed, "version": 1, "pii": []}

    def transitions(rows):
        for r in rows:
            yield {"item_id": r["id"], "action": "open", "from_status": None, "to_status": "open",
                   "to_unit_id": r["org_unit_id"], "at": r["opened_at"], "reason": ""}
            if r["deadline"]:
                yield {"item_id": r["id"], "action": "set_deadline", "from_status": "open", "to_status": "in_progress",
                       "to_unit_id": r["org_unit_id"], "at": r["opened_at"] + dt.timedelta(hours=2), "reason": ""}
            if r["closed_at"]:
                yield {"item_id": r["id"], "action": "complete", "from_status": "open", "to_status": "done",
                       "to_unit_id": r["org_unit_id"], "at": r["closed_at"], "reason": ""}

    # The search index as search.index writes it, in bulk: each problem template and name
    # segmented once (LAC), not once a row.
    from search.models import SearchDoc
    from search.words import index_words

    template_words = [index_words([p]) for p in PROBLEMS]
    name_words = {n: index_words([], names=[n]) for n in names}

    def item_docs(rows):
        for r in rows:
            words = f"{template_words[(r['id'] - 1) % len(PROBLEMS)]} {name_words[r['reporter']]} {r['code'].lower()}"
            yield {"kind": "item", "ref_id": r["id"], "org_unit_id": r["org_unit_id"], "owner_id": None,
                   "at": r["opened_at"], "title": f"{r['code']} · 第村 · {r['reporter']}",
                   "body": r["problem"] + ("\n" + r["result"] if r["result"] else ""), "words": words}

    t_cols = {c.name for c in LedgerTransition.__table__.columns}
    with engine.begin() as conn:
        for b in _batches(items(), 10_000):
            conn.execute(insert(LedgerItem), b)
            conn.execute(insert(LedgerTransition), [{k: v for k, v in t.items() if k in t_cols}
                                                    for t in transitions(b)])
            conn.execute(insert(SearchDoc), list(item_docs(b)))

    cap_status = ("ready_for_review",) * 2 + ("confirmed",) * 15 + ("returned", "rejected", "failed")

    def captures():
        for i in range(args.captures):
            vid = prov.villages[rnd.randrange(len(prov.villages))]
            st = cap_status[rnd.randrange(len(cap_status))]
            yield {"id": i + 1, "kind": "audio" if i % 2 else "pages", "status": st,
                   "uploader_id": cadres_of[vid][rnd.randrange(4)], "org_unit_id": vid,
                   "fingerprint": uuid.UUID(int=rnd.getrandbits(128)).hex * 2,
                   "received_at": now - dt.timedelta(minutes=rnd.randrange(60 * 24 * 365)),
                   "progress": 1.0, "version": 1}

    links: list[dict] = []
    next_entry = 1

    def entries(rows):
        nonlocal next_entry
        for c in rows:
            if c["status"] not in ("ready_for_review", "confirmed"):
                continue
            conf = round(rnd.uniform(0.4, 1.0), 2)
            entry_id, next_entry = next_entry, next_entry + 1
            # Most confirmed visits are in the ledger: an item about the village links them.
            about = items_of.get(c["org_unit_id"])
            if c["status"] == "confirmed" and about and rnd.random() < 0.9:
                links.append({"ledger_item_id": about[rnd.randrange(len(about))], "diary_entry_id": entry_id})
            yield {"id": entry_id, "capture_id": c["id"], "cadre_id": c["uploader_id"], "org_unit_id": c["org_unit_id"],
                   "status": "confirmed" if c["status"] == "confirmed" else "draft",
                   "visit_date": c["received_at"].date(), "place": "第村", "interviewee": "",
                   "visit_method": "入户走访", "problem": PROBLEMS[c["id"] % len(PROBLEMS)], "solution": "",
                   "reflections": "", "category": CATEGORIES[c["id"] % len(CATEGORIES)], "pii": [],
                   "confidence": {"problem": conf}, "evidence": {}, "min_confidence": conf,
                   "created_at": c["received_at"], "updated_at": c["received_at"], "version": 1}

    with engine.begin() as conn:
        for b in _batches(captures(), 10_000):
            conn.execute(insert(Capture), b)
            e = list(entries(b))
            if e:
                conn.execute(insert(DiaryEntry), e)
                conn.execute(insert(SearchDoc), [
                    {"kind": "entry", "ref_id": x["id"], "org_unit_id": x["org_unit_id"], "owner_id": x["cadre_id"],
                     "at": x["created_at"], "title": f"{x['visit_date']} · 第村", "body": x["problem"],
                     "words": template_words[x["capture_id"] % len(PROBLEMS)]} for x in e])
            if links:
                conn.execute(insert(ledger_item_entries), links)
                links.clear()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("ledger_items", "ledger_transitions", "captures", "diary_entries", "search_docs"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        # A database in service has been vacuumed (the visibility map lets index-only scans
        # skip the table); this server runs without autovacuum, so the bench does it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        from search.index import ensure_fts

        with engine.begin() as conn:
            ensure_fts(conn)  # the FTS5 table, filled from search_docs (else the first search does it)
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return prov


# --- measuring --------------------------------------------------------------------------------


class StatementLog:
    """The SQL statements one request runs, with their parameters and time."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.on = False
        self.rows: list[tuple[float, str, object]] = []
        self._t = threading.local()

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            self._t.start = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            if self.on and not executemany:
                self.rows.append((time.perf_counter() - self._t.start, statement, parameters))


def _plan_summary(engine, statement: str, parameters) -> str:
    """Scans of the statement's plan: 'Index Scan using ix_… on ledger_items' or 'Seq Scan on …'."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            plan = cur.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            scans: list[str] = []

            def walk(node):
                kind = node.get("Node Type", "")
                if "Scan" in kind and node.get("Relation Name"):
                    idx = f" using {node['Index Name']}" if node.get("Index Name") else ""
                    scans.append(f"{kind}{idx} on {node['Relation Name']}")
                for child in node.get("Plans", ()):
                    walk(child)

            walk(plan["Plan"])
            return f"{plan['Execution Time']:.1f} ms: " + "; ".join(dict.fromkeys(scans))
        cur.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "; ".join(dict.fromkeys(str(r[-1]) for r in cur.fetchall()))


def refresh_recurring(url: str) -> list[tuple[str, float]]:
    """The dashboard's background job, once over the seeded province (as `celery beat` runs it):
    the recurring problems, and the ended months' counts (the "-1 month" page then reads them).
    Returns (unit level, seconds) per unit's clusters."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from core import db
    from ledger import month_counts, rates, recurring
    from ledger.deadlines import local_today
    from ledger.models import RecurringResult
    from org.models import OrgUnit

    engine = db.make_engine(url)
    try:
        with Session(engine) as s:
            recurring.refresh_stale(s, local_today(), commit=True)
            t0 = time.perf_counter()
            n = month_counts.refresh_settled(s, local_today(), rates.RateRules(), months=2, commit=True)
            print(f"  ended months' dashboard counts kept: {n} unit-months in {time.perf_counter() - t0:.1f} s")
            return [tuple(row) for row in s.execute(
                select(OrgUnit.level, RecurringResult.seconds).join(OrgUnit, OrgUnit.id == RecurringResult.unit_id))]
    finally:
        engine.dispose()


def print_recurring(times: dict) -> None:
    for name, rows in times.items():
        for level in ("county", "township"):
            secs = sorted(t for lv, t in rows if lv == level)
            if secs:
                print(f"recurring problems, background job, {name}: {len(secs)} {level} units, "
                      f"median {secs[len(secs) // 2]:.2f} s, max {secs[-1]:.2f} s each")


def pages_for(prov: Province, role: str) -> dict[str, str]:
    from urllib.parse import quote

    login, unit_id = prov.logins[role]
    pages = {"ledger list": "/ledger/", "ledger open": "/ledger/?status=open",
             "ledger 饮水": "/ledger/?category=%E9%A5%AE%E6%B0%B4", "ledger overdue": "/ledger/?overdue=1",
             "ledger page 2": "NEXT:/ledger/", "public unit": f"/public/{unit_id}", "captures": "/capture/",
             # /search: a villager's name, a common word (many hits: newest 50), an item's number
             "search name": f"/search/?q={quote(prov.names[len(prov.names) // 3])}",
             "search word": f"/search/?q={quote('自来水')}", "search number": "/search/?q=P0000001"}
    if role != "village cadre":
        from ledger.deadlines import local_today

        first = local_today().replace(day=1)
        last_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")  # its 逾期 read from the history
        pages |= {"dashboard": "/dashboard/", "dashboard -1 month": f"/dashboard/?month={last_month}",
                  "review queue": "/review/", "review low first": "/review/?low_first=1"}
    return pages


def _next_link(html: str, prefix: str) -> str | None:
    import re

    m = re.search(r'href="(' + re.escape(prefix) + r'\?[^"]*(?:after|cursor)=[^"]+)"', html)
    return m.group(1).replace("&amp;", "&") if m else None


def measure(url: str, prov: Province, repeat: int, plans: bool) -> dict:
    from webapp import create_app

    inst = Path(tempfile.mkdtemp(prefix="minxin-scale-"))
    os.environ["MINXIN_INSTANCE_PATH"] = str(inst)
    # GC_FREEZE: as when served (webapp/gcfreeze.py); TESTING would leave it off.
    app = create_app({"DATABASE_URL": url, "TESTING": True, "GC_FREEZE": True, "WTF_CSRF_ENABLED": False,
                      "RECOGNIZER": "fake", "DATA_DIR": str(inst / "data"), "RATELIMIT_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False})
    engine = app.extensions["minxin.engine"]
    log = StatementLog(engine)
    out: dict = {}
    for role in prov.logins:
        login, _unit = prov.logins[role]
        client = app.test_client()
        r = client.post("/login", data={"login": login, "password": PASSWORD})
        if r.status_code not in (200, 302):
            raise SystemExit(f"login {login}: HTTP {r.status_code}")
        for page, path in pages_for(prov, role).items():
            if path.startswith("NEXT:"):
                first = client.get(path[5:]).get_data(as_text=True)
                path = _next_link(first, path[5:])
                if path is None:
                    out[(role, page)] = {"times": [], "plan": "no next-page link", "status": 0}
                    continue
            times = []
            status = 0
            for k in range(repeat + 2):
                log.rows.clear()
                log.on = k == 1
                t0 = time.perf_counter()
                resp = client.get(path)
                dt_ms = (time.perf_counter() - t0) * 1000
                log.on = False
                status = resp.status_code
                if k >= 2:
                    times.append(dt_ms)
                if k == 1:
                    stmts = list(log.rows)
            plan = ""
            if plans and stmts:
                secs, stmt, params = max(stmts, key=lambda s: s[0])
                try:
                    plan = f"{len(stmts)} stmts, slowest {secs * 1000:.1f} ms → " + _plan_summary(engine, stmt, params)
                except Exception as exc:  # a plan is information; never stop the bench for it
                    plan = f"(no plan: {type(exc).__name__})"
            out[(role, page)] = {"times": times, "plan": plan, "status": status}
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _export_child(url: str, unit_id: int, fmt: str, conn) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from core import db
    from ledger import exports
    from org.models import OrgUnit

    engine = db.make_engine(url)
    with Session(engine) as s:
        unit = s.get(OrgUnit, unit_id)
        # A warm-up export of one village first: imports, compiled statements and the
        # allocator's first arenas are not the export's growth.
        village = s.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path), OrgUnit.level == "village")
                            .order_by(OrgUnit.id).limit(1)).first() or unit
        for _chunk in exports.stream_export(s, village, fmt=fmt):
            pass
        s.expunge_all()
        base = peak = _rss_mb()
        done = threading.Event()

        def watch():  # the export's own peak: RSS sampled while it runs
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, _rss_mb())

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        t0 = time.perf_counter()
        size = sum(len(chunk) for chunk in exports.stream_export(s, unit, fmt=fmt))
        secs = time.perf_counter() - t0
        done.set()
        watcher.join()
        peak = max(peak, _rss_mb())
    conn.send((secs, peak - base, size))


def export_cost(url: str, prov: Province, fmt: str, unit_id: int | None = None) -> tuple[float, float, int]:
    """Seconds, growth of RSS at its peak over the start (MB) and bytes of the county's 台账
    export, in a fresh process so the memory is the export's own."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_export_child, args=(url, unit_id or prov.logins["county admin"][1], fmt, child))
    p.start()
    result = parent.recv()
    p.join()
    return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--townships", type=int, default=15)
    ap.add_argument("--villages", type=int, default=15)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--captures", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=15, help="requests per page and role")
    ap.add_argument("--db", choices=("both", "pg", "sqlite"), default="both")
    ap.add_argument("--no-plans", action="store_true")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    ap.add_argument("--no-pages", action="store_true", help="no province: only the --export-sizes counties")
    ap.add_argument("--export-sizes", type=lambda v: [int(x) for x in v.split(",") if x], default=[],
                    metavar="ROWS,ROWS", help="also export one county of each size, e.g. 100000,1000000")
    args = ap.parse_args(argv)
    os.environ.setdefault("MINXIN_RECOGNIZER", "fake")
    os.environ["MINXIN_QUEUE"] = "embedded"
    os.environ["MINXIN_EMBEDDED_WORKERS"] = "0"

    tmp = Path(tempfile.mkdtemp(prefix="minxin-scale-db-"))
    wanted = [n for n in ("PostgreSQL", "SQLite") if args.db in ("both", {"PostgreSQL": "pg", "SQLite": "sqlite"}[n])]
    dbs: list[tuple[str, str]] = []
    results, exports_out, sized, recurring_times = {}, {}, {}, {}
    if not args.no_pages:
        for name in wanted:
            with database(name, tmp, "scale", args.keep) as url:
                dbs.append((name, url))
                t0 = time.monotonic()
                prov = seed(url, args)
                print(f"{name}: seeded {args.counties * (1 + args.townships * (1 + args.villages))} units, "
                      f"{args.items} items, {args.captures} captures in {time.monotonic() - t0:.0f} s", flush=True)
                recurring_times[name] = refresh_recurring(url)
                results[name] = measure(url, prov, args.repeat, not args.no_plans)
                if not args.no_export:
                    for fmt in ("csv", "xlsx"):
                        exports_out[(name, fmt)] = export_cost(url, prov, fmt)
    # One county of each size (15 × 15 villages, no captures): the export's memory should not
    # grow with its rows.
    for rows in args.export_sizes:
        one = argparse.Namespace(**{**vars(args), "counties": 1, "items": rows, "captures": 0})
        for name in wanted:
            with database(name, tmp, f"export{rows}", False) as url:
                t0 = time.monotonic()
                prov = seed(url, one)
                print(f"{name}: seeded one county of {rows:,} items in {time.monotonic() - t0:.0f} s", flush=True)
                for fmt in ("csv", "xlsx"):
                    sized[(name, rows, fmt)] = export_cost(url, prov, fmt)

    if results:
        print_pages(args, dbs, results)
    print_recurring(recurring_times)
    if exports_out:
        print(f"\ncounty 台账 export (about {args.items // max(1, args.counties):,} rows), streamed")
        for (n, fmt), (secs, peak, size) in exports_out.items():
            print(f"  {n:<10} {fmt:<5} {secs:6.1f} s  peak RSS +{peak:6.1f} MB  {size / 1e6:6.1f} MB written")
    if sized:
        print("\none county's 台账 export by its size, streamed (RSS growth at its peak over the start)")
        for (n, rows, fmt), (secs, peak, size) in sized.items():
            print(f"  {n:<10} {rows:>9,} rows {fmt:<5} {secs:7.1f} s  {rows / max(secs, 1e-9):7.0f} rows/s"
                  f"  peak RSS +{peak:6.1f} MB  {size / 1e6:7.1f} MB written")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


@contextlib.contextmanager
def database(name: str, tmp: Path, label: str, keep: bool):
    """A fresh, empty database (PostgreSQL: created on the local server; SQLite: a file), dropped
    afterwards unless kept."""
    if name == "SQLite":
        url = f"sqlite:///{tmp / (label + '.sqlite')}"
        yield url
        if keep:
            print(f"  kept: {url}")
        else:
            (tmp / (label + ".sqlite")).unlink(missing_ok=True)
        return
    import psycopg

    pg_name = f"minxin_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{pg_name}" ENCODING \'UTF8\' TEMPLATE template0')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    try:
        yield url
    finally:
        if keep:
            print(f"  kept: {url}")
        else:
            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def print_pages(args, dbs, results) -> None:
    names = [n for n, _ in dbs]
    print(f"\nserver time per page (ms, {args.repeat} requests each, in process), "
          f"{args.counties}×{args.townships}×{args.villages} units, {args.items:,} items, {args.captures:,} captures")
    head = f"{'role':<20} {'page':<19}" + "".join(f" {n + ' p50':>15} {'p95':>7} {'p99':>7}" for n in names)
    print(head)
    first = results[names[0]]
    worst = {n: 0.0 for n in names}
    for key in first:
        role, page = key
        line = f"{role:<20} {page:<19}"
        for n in names:
            r = results[n].get(key, {"times": []})
            t = r["times"]
            if r.get("status", 200) not in (200, 0):
                line += f" {'HTTP ' + str(r['status']):>15} {'':>7} {'':>7}"
                continue
            worst[n] = max(worst[n], pct(t, 0.95) if t else 0)
            line += f" {pct(t, .5):>15.1f} {pct(t, .95):>7.1f} {pct(t, .99):>7.1f}"
        print(line)
    print("worst p95: " + ", ".join(f"{n} {worst[n]:.0f} ms" for n in names) + " (target < 200 ms on PostgreSQL)")
    for n in names:  # search alone: every role's search pages together
        t = [x for (role, page), r in results[n].items() if page.startswith("search") for x in r["times"]]
        if t:
            print(f"search ({n}): p50 {pct(t, .5):.1f} ms, p95 {pct(t, .95):.1f} ms over {len(t)} requests")
    if not args.no_plans:
        print("\nslowest statement of each page (PostgreSQL: EXPLAIN ANALYZE BUFFERS; SQLite: EXPLAIN QUERY PLAN)")
        for n in names:
            for (role, page), r in results[n].items():
                print(f"  {n:<10} {role:<20} {page:<19} {r['plan']}")


if __name__ == "__main__":
    raise SystemExit(main())
