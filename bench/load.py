"""Load benchmark: a burst of captures through the web API into the recognition workers.

    python bench/load.py                         # real models (Whisper, PaddleOCR)
    python bench/load.py --recognizer fake       # quick: the fake recognizer, --fake-delay s/job

Scenarios, side by side:
  embedded  SQLite, `minxin serve` (web + in-process worker thread), the embedded default
  celery×1  PostgreSQL, gunicorn, Redis, 1 Celery worker process
  celery×N  PostgreSQL, gunicorn, Redis, N Celery worker processes (--workers 1,2,4)

Each scenario gets a fresh database with --ledger-items (default 100,000) ledger items bulk
inserted, one warm-up capture per worker (models load once per process; not measured), then
the burst: --captures uploads (real clips from ../shared/eval/audio and rendered notebook
pages, repeated with a few bytes changed so none is refused as a duplicate) posted back to
back through POST /api/captures. While the workers are busy a second client keeps loading
the review queue and the ledger list. Printed per scenario: jobs per minute, upload-to-ready
latency p50/p90/p99 (Capture.received_at to Job.finished_at), upload request latency, and the
review queue / ledger list request latencies.

Only 127.0.0.1 is used: PostgreSQL 127.0.0.1:5432 (database `test` for admin), Redis
127.0.0.1:6379 (under a key prefix of this run).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PASSWORD = "bench-password-42"
AUDIO_DIR = ROOT.parent / "shared" / "eval" / "audio"


# --- inputs ---------------------------------------------------------------------------


def _clips() -> list[tuple[str, bytes]]:
    paths = sorted(AUDIO_DIR.glob("*.wav")) if AUDIO_DIR.is_dir() else []
    if not paths:
        alt = Path("/work/shared/eval/audio")
        paths = sorted(alt.glob("*.wav")) if alt.is_dir() else []
    if not paths:
        raise SystemExit(f"no clips in {AUDIO_DIR}")
    return [(p.name, p.read_bytes()) for p in paths]


def _pages() -> list[tuple[str, bytes]]:
    found = sorted((ROOT / "samples" / "pages").glob("*.jpg"))
    if found:
        return [(p.name, p.read_bytes()) for p in found]
    from PIL import Image, ImageDraw, ImageFont

    font_path = next(
        (p for p in ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Light.ttf",
                     "/usr/share/fonts/truetype/arphic/ukai.ttc") if Path(p).exists()),
        None,
    )
    font = ImageFont.truetype(font_path, 40) if font_path else ImageFont.load_default()
    texts = [
        ["3月5日上午，到南荒沟村入户走访。", "受访对象：张大爷。", "反映问题：村里的路一下雨就泥泞。",
         "解决思路：联系乡交通站硬化道路。", "心得体会：群众的事无小事。"],
        ["4月2日下午，在大古岭村集体座谈。", "反映问题：自来水管冬天冻裂。", "解决思路：组织维修队入户检查。",
         "心得体会：要多听多看。"],
    ]
    pages = []
    for i, lines in enumerate(texts):
        img = Image.new("RGB", (1000, 1400), (250, 248, 240))
        draw = ImageDraw.Draw(img)
        for y in range(120, 1400, 70):
            draw.line([(40, y + 55), (960, y + 55)], fill=(190, 200, 225), width=2)
        for j, line in enumerate(lines):
            draw.text((60, 120 + 70 * j), line, fill=(25, 25, 70), font=font)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=88)
        pages.append((f"page{i + 1}.jpg", buf.getvalue()))
    return pages


def _vary_wav(data: bytes, n: int) -> bytes:
    """The same clip with its last two samples nudged by n: inaudible, a different hash."""
    with wave.open(io.BytesIO(data)) as r:
        params, frames = r.getparams(), bytearray(r.readframes(r.getnframes()))
    frames[-4:] = (n & 0xFFFFFFFF).to_bytes(4, "little")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setparams(params)
        w.writeframes(bytes(frames))
    return out.getvalue()


def _vary_jpeg(data: bytes, n: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.open(io.BytesIO(data)).convert("RGB")
    ImageDraw.Draw(img).text((img.width - 120, img.height - 40), f"#{n}", fill=(120, 120, 120))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def burst_files(count: int, start: int) -> list[tuple[str, bytes]]:
    clips, pages = _clips(), _pages()
    out = []
    for i in range(count):
        n = start + i
        if i % 2 == 0:
            name, data = clips[(i // 2) % len(clips)]
            out.append((f"{n}-{name}", _vary_wav(data, n)))
        else:
            name, data = pages[(i // 2) % len(pages)]
            out.append((f"{n}-{name}", _vary_jpeg(data, n)))
    return out


# --- services ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, ledger_items: int) -> None:
    """Org tree, users, and `ledger_items` ledger items in one bulk insert."""
    from sqlalchemy import insert

    from core import db
    from core.clock import utcnow
    from ledger.models import LedgerItem
    from ops.demo import add_demo_units
    from ops.demo_county import load as load_demo_county
    from ops.migrate import upgrade
    from org.users import create_user

    upgrade(url)
    engine = db.make_engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        units = add_demo_units(s)
        villages = [u for u in units.values() if u.level == "village"]
        # the demo's first cadre and its admin, under the bench's own logins
        people = load_demo_county().people
        for login, role in (("cadre", "cadre"), ("admin", "admin")):
            person = next(p for p in people if p.role == role)
            create_user(s, login, PASSWORD, person.name, role, units[person.unit])
        s.commit()
        village_ids = [v.id for v in villages]
    categories = ("道路桥梁", "饮水", "住房", "产业发展", "医疗卫生", "其他")
    statuses = ("open", "open", "in_progress", "done", "closed")
    now = utcnow()
    batch = 10_000
    with engine.begin() as conn:
        for start in range(0, ledger_items, batch):
            rows = []
            for i in range(start, min(start + batch, ledger_items)):
                rows.append({
                    "code": f"B{i:08d}",
                    "org_unit_id": village_ids[i % 4],
                    "level": "village",
                    "place_unit_id": village_ids[i % 4],
                    "place": "",
                    "problem": f"第{i}号问题：村里的路一下雨就泥泞，孩子上学不方便",
                    "category": categories[i % len(categories)],
                    "status": statuses[i % len(statuses)],
                    "opened_at": now - dt.timedelta(minutes=i),
                    "version": 1,
                    "pii": [],
                })
            conn.execute(insert(LedgerItem), rows)
    engine.dispose()


def create_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"minxin_bench_{secrets.token_hex(4)}"
    with psycopg.connect(host="127.0.0.1", dbname="test", user="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", dbname="test", user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Proc:
    def __init__(self, name: str, argv: list[str], env: dict, logdir: Path):
        self.name = name
        self.log_path = logdir / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=str(ROOT), env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not start:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def wait_http(base: str, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/login", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"web app at {base} did not answer")


# --- the client -------------------------------------------------------------------------


def login(base: str, user: str):
    import requests

    http = requests.Session()
    html = http.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    resp = http.post(base + "/login", data={"login": user, "password": PASSWORD, "csrf_token": token},
                     allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text[:300]
    html = http.get(base + "/capture/", timeout=30).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    http.headers["X-CSRFToken"] = match.group(1) if match else token
    return http


def upload(http, base: str, name: str, data: bytes) -> tuple[int, float]:
    t0 = time.perf_counter()
    resp = http.post(base + "/api/captures", files={"files": (name, data)}, timeout=300)
    elapsed = time.perf_counter() - t0
    if resp.status_code != 201:
        raise SystemExit(f"upload refused: {resp.status_code} {resp.text[:300]}")
    return resp.json()["id"], elapsed


def wait_ready(http, base: str, ids: list[int], timeout: float) -> dict[int, str]:
    pending, final = set(ids), {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for cid in list(pending):
            state = http.get(f"{base}/api/captures/{cid}", timeout=30).json()
            if state["status"] not in ("received", "recognizing"):
                final[cid] = state["status"]
                pending.discard(cid)
        time.sleep(0.5)
    for cid in pending:
        final[cid] = "timeout"
    return final


@dataclass
class Result:
    name: str
    jobs: int = 0
    ready: int = 0
    jobs_per_minute: float = 0.0
    latency: list[float] = field(default_factory=list)
    upload: list[float] = field(default_factory=list)
    review: list[float] = field(default_factory=list)
    ledger: list[float] = field(default_factory=list)
    ledger_path: str = ""
    note: str = ""


def probe(base: str, paths: dict[str, str], stop: threading.Event, out: dict[str, list[float]]) -> None:
    http = login(base, "admin")
    while not stop.is_set():
        for key, path in paths.items():
            t0 = time.perf_counter()
            resp = http.get(base + path, timeout=120)
            if resp.status_code == 200:
                out[key].append(time.perf_counter() - t0)
        time.sleep(0.2)


def ledger_list_path(base: str) -> str:
    http = login(base, "admin")
    for path in ("/ledger/", "/ledger/items"):
        if http.get(base + path, timeout=120).status_code == 200:
            return path
    return ""


def measure(name: str, url: str, base: str, workers: int, args, counter: list[int]) -> Result:
    from sqlalchemy import select

    from capture.models import Capture
    from core import db
    from jobs.models import Job

    res = Result(name)
    cadre = login(base, "cadre")
    # Warm-up: one voice memo and one page per worker (models load once per process).
    warm = burst_files(2 * workers, counter[0])
    counter[0] += len(warm)
    warm_ids = [upload(cadre, base, n, d)[0] for n, d in warm]
    wait_ready(cadre, base, warm_ids, args.timeout)

    res.ledger_path = ledger_list_path(base)
    paths = {"review": "/review/"}
    if res.ledger_path:
        paths["ledger"] = res.ledger_path
    samples: dict[str, list[float]] = {k: [] for k in paths}
    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(base, paths, stop, samples), daemon=True)

    files = burst_files(args.captures, counter[0])
    counter[0] += len(files)
    prober.start()
    ids = []
    for n, d in files:
        cid, elapsed = upload(cadre, base, n, d)
        ids.append(cid)
        res.upload.append(elapsed)
    final = wait_ready(cadre, base, ids, args.timeout)
    stop.set()
    prober.join()
    res.review, res.ledger = samples.get("review", []), samples.get("ledger", [])

    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Capture.id, Capture.received_at, Job.finished_at, Job.status)
            .join(Job, Job.capture_id == Capture.id).where(Capture.id.in_(ids))
        ).all()
    engine.dispose()
    done = [r for r in rows if r.status == "done" and r.finished_at]
    res.jobs, res.ready = len(ids), sum(1 for s in final.values() if s == "ready_for_review")
    res.latency = [(r.finished_at - r.received_at).total_seconds() for r in done]
    if done:
        span = (max(r.finished_at for r in done) - min(r.received_at for r in rows)).total_seconds()
        res.jobs_per_minute = len(done) * 60.0 / span if span > 0 else 0.0
    bad = {k: v for k, v in final.items() if v != "ready_for_review"}
    if bad:
        res.note = f"not ready: {bad}"
    return res


def base_env(tmp: Path, args) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINXIN_")}
    env.update({
        "MINXIN_INSTANCE_PATH": str(tmp / "instance"),
        "MINXIN_DATA_DIR": str(tmp / "data"),
        "MINXIN_SECRET_KEY": "bench-" + secrets.token_hex(8),
        "MINXIN_INSECURE_COOKIES": "1",
        "MINXIN_RECOGNIZER": args.recognizer,
        "MINXIN_FAKE_DELAY": str(args.fake_delay),
        "PYTHONPATH": str(ROOT),
    })
    return env


def run_embedded(args, counter) -> Result:
    tmp = Path(tempfile.mkdtemp(prefix="minxin-bench-embedded-"))
    url = f"sqlite:///{tmp / 'minxin.sqlite'}"
    procs = []
    try:
        t0 = time.monotonic()
        seed(url, args.ledger_items)
        print(f"  embedded: {args.ledger_items} ledger items in SQLite in {time.monotonic() - t0:.1f} s", flush=True)
        env = {**base_env(tmp, args), "MINXIN_DATABASE_URL": url, "MINXIN_QUEUE": "embedded"}
        port = free_port()
        web = Proc("embedded-web", [sys.executable, "-c", "from webapp.cli import main; main()", "serve",
                                    "--host", "127.0.0.1", "--port", str(port)], env, tmp)
        procs.append(web)
        base = f"http://127.0.0.1:{port}"
        wait_http(base)
        return measure("embedded (SQLite, 1 worker thread)", url, base, 1, args, counter)
    finally:
        for p in procs:
            p.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def run_celery(n_workers: int, args, counter) -> Result:
    tmp = Path(tempfile.mkdtemp(prefix=f"minxin-bench-celery{n_workers}-"))
    name, url = create_pg_database()
    prefix = f"minxin_bench_{secrets.token_hex(4)}:"
    procs = []
    try:
        t0 = time.monotonic()
        seed(url, args.ledger_items)
        print(f"  celery×{n_workers}: {args.ledger_items} ledger items in PostgreSQL in {time.monotonic() - t0:.1f} s",
              flush=True)
        env = {**base_env(tmp, args), "MINXIN_DATABASE_URL": url, "MINXIN_QUEUE": "celery",
               "MINXIN_BROKER_URL": "redis://127.0.0.1:6379/0",
               "MINXIN_CELERY_KEY_PREFIX": prefix}
        for i in range(n_workers):
            w = Proc(f"celery{n_workers}-worker{i}", [
                sys.executable, "-m", "celery", "-A", "jobs.celery_app", "worker", "-Q", "speech,handwriting",
                "-c", "1", "-n", f"bench{i}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
                "-l", "info"], {**env, "MINXIN_INSTANCE_PATH": str(tmp / f"w{i}")}, tmp)
            procs.append(w)
        port = free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        web = Proc(f"celery{n_workers}-web", [gunicorn, "-w", str(args.web_processes), "--threads", "4",
                                             "-b", f"127.0.0.1:{port}", "--timeout", "300",
                                             "webapp:create_app()"], env, tmp)
        procs.append(web)
        for w in procs[:-1]:
            w.wait_for(" ready.")
        base = f"http://127.0.0.1:{port}"
        wait_http(base)
        return measure(f"celery×{n_workers} (PostgreSQL, Redis)", url, base, n_workers, args, counter)
    finally:
        for p in procs:
            p.stop()
        drop_pg_database(name)
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379)
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


# --- report ---------------------------------------------------------------------------


def pct(values: list[float], q: float) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    if len(values) == 1:
        return f"{values[0]:.2f}"
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return f"{values[lo] + (values[hi] - values[lo]) * (k - lo):.2f}"


def report(results: list[Result], args) -> None:
    rows = [("jobs (ready / sent)", lambda r: f"{r.ready} / {r.jobs}"),
            ("jobs per minute", lambda r: f"{r.jobs_per_minute:.1f}")]
    for label, attr in (("upload→ready s", "latency"), ("upload request s", "upload"),
                        ("review queue GET s", "review"), ("ledger list GET s", "ledger")):
        for q in (0.5, 0.9, 0.95, 0.99):
            rows.append((f"{label} p{int(q * 100)}", lambda r, a=attr, q=q: pct(getattr(r, a), q)))
    rows.append(("review/ledger GETs sampled", lambda r: f"{len(r.review)} / {len(r.ledger)}"))
    width = max(len(r.name) for r in results) + 2
    print()
    print(f"recognizer={args.recognizer}" + (f" (fake delay {args.fake_delay}s/job)" if args.recognizer == "fake" else "")
          + f", burst of {args.captures} captures (audio and pages alternating), {args.ledger_items} ledger items, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'':28}" + "".join(f"{r.name:>{width}}" for r in results))
    for label, fn in rows:
        print(f"{label:28}" + "".join(f"{fn(r):>{width}}" for r in results))
    for r in results:
        if not r.ledger_path:
            print(f"note: {r.name}: no ledger list view in this build; ledger list not measured")
        if r.note:
            print(f"note: {r.name}: {r.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recognizer", choices=("real", "fake"), default="real")
    parser.add_argument("--fake-delay", type=float, default=3.0, help="seconds per job with --recognizer fake")
    parser.add_argument("--captures", type=int, default=8, help="captures in the burst")
    parser.add_argument("--ledger-items", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2", help="Celery worker process counts to run")
    parser.add_argument("--web-processes", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--no-embedded", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800, help="give up waiting for the burst after this")
    parser.add_argument("--keep", action="store_true", help="keep temp folders and logs")
    args = parser.parse_args()

    subprocess.run(["bash", str(ROOT / ".ci" / "services.sh")], check=False)
    counter = [int(time.time()) % 100000 * 1000]
    results = []
    if not args.no_embedded:
        print("embedded default …", flush=True)
        results.append(run_embedded(args, counter))
    for n in [int(x) for x in args.workers.split(",") if x.strip()]:
        print(f"celery with {n} worker process(es) …", flush=True)
        results.append(run_celery(n, args, counter))
    report(results, args)


if __name__ == "__main__":
    main()
