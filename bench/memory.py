"""Peak memory of the web server under the hostile uploads of issue #30 (M2).

Starts the app in a child process (threaded Werkzeug server, SQLite, fake recognizer: what is
measured is the web door, not the recognizers), signs a cadre in, and for each case prints the
server's resident memory when idle and its peak (VmHWM) after the case, both from /proc:

- one ~200 KB PNG of 7071x7071 (just under the 50-megapixel cap)
- the same PNG sent again (a duplicate)
- two different 7000x7000 PNGs sent at once
- a 100 MB JSON body to /api/uploads

Each case runs in a fresh server, so one peak does not hide another. Run before and after a
change (e.g. `git stash`) and compare:

    PYTHONPATH=$PWD python bench/memory.py
"""
from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-42"
SERVE = ("import sys; from werkzeug.serving import run_simple; from webapp import create_app; "
         "run_simple('127.0.0.1', int(sys.argv[1]), create_app(), threaded=True)")


def hostile_png(side: int, seed: int) -> bytes:
    """A white page of side x side with a few strokes: ~200 KB of PNG for 150 MB of RGB."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(img)
    for i in range(12):
        y = 300 + i * (side // 14) + seed
        draw.line((200, y, side - 200, y + seed), fill=(seed % 200, 20, 20), width=6)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _status(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1)) * 1024


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, instance: Path, env: dict):
        self.port = _port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, str(self.port)], cwd=str(ROOT), env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.base + "/login", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        self.session = requests.Session()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.session.get(self.base + "/login").text)[1]
        self.session.post(self.base + "/login", data={"login": "cadre_a", "password": PASSWORD, "csrf_token": token})
        self.token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                               self.session.get(self.base + "/capture/").text)[1]
        time.sleep(0.5)
        self.idle = _status(self.proc.pid, "VmRSS")

    def upload(self, data: bytes, name: str):
        return self.session.post(self.base + "/api/captures", files={"files": (name, data, "image/png")},
                                 headers={"X-CSRFToken": self.token}, timeout=600)

    def peak_over_idle(self) -> int:
        return _status(self.proc.pid, "VmHWM") - self.idle

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="minxin-bench-memory-"))
    env = {**os.environ, "MINXIN_INSTANCE_PATH": str(folder / "instance"), "MINXIN_RECOGNIZER": "fake",
           "MINXIN_INSECURE_COOKIES": "1", "MINXIN_SECRET_KEY": "bench", "MINXIN_AUDIT_KEY": "bench",
           "PYTHONPATH": str(ROOT)}
    os.environ.update({k: env[k] for k in ("MINXIN_INSTANCE_PATH", "MINXIN_SECRET_KEY", "MINXIN_AUDIT_KEY")})
    from core import db
    from org.users import add_org_unit, create_user
    from webapp import create_app

    from ops.migrate import upgrade

    (folder / "instance").mkdir(parents=True)
    upgrade(f"sqlite:///{folder / 'instance' / 'minxin.sqlite'}")
    app = create_app({})
    print("database:", app.config.get("DATABASE_URL"))
    s = db.SessionFactory()
    village = add_org_unit(s, "南荒沟村", "village", add_org_unit(s, "宽甸县", "county"))
    create_user(s, "cadre_a", PASSWORD, "李春生", "cadre", village)
    s.commit()
    s.close()

    one = hostile_png(7071, 1)
    other = hostile_png(7071, 4)
    pair = (hostile_png(7000, 2), hostile_png(7000, 3))
    print(f"files: 7071x7071 PNG {len(one)} bytes; 7000x7000 PNGs {len(pair[0])}, {len(pair[1])} bytes")
    print(f"{'case':44} {'answer':>10} {'seconds':>8} {'idle MB':>8} {'peak over idle MB':>18}")

    def case(label, run):
        server = Server(folder / "instance", env)
        try:
            start = time.monotonic()
            answer = run(server)
            took = time.monotonic() - start
            print(f"{label:44} {answer:>10} {took:8.1f} {server.idle / 2**20:8.0f} "
                  f"{server.peak_over_idle() / 2**20:18.0f}", flush=True)
        finally:
            server.stop()

    case("one 7071x7071 PNG (211 KB class)", lambda srv: str(srv.upload(one, "bomb.png").status_code))

    def twice(srv):
        first = srv.upload(other, "bomb.png").status_code
        before = _status(srv.proc.pid, "VmHWM")
        again = srv.upload(other, "bomb.png").status_code
        return f"{first},{again}" + ("" if _status(srv.proc.pid, "VmHWM") == before else "+")

    case("the same PNG twice (2nd is a duplicate)", twice)

    def both(srv):
        answers = [None, None]

        def send(i):
            answers[i] = srv.upload(pair[i], f"page{i}.png").status_code

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return ",".join(map(str, answers))

    case("two 7000x7000 PNGs at once", both)

    def big_json(srv):
        body = b"[" + b"1," * (50 * 1024 * 1024 - 1) + b"1]"
        return str(srv.session.post(srv.base + "/api/uploads", data=body, timeout=600, headers={
            "X-CSRFToken": srv.token, "Content-Type": "application/json"}).status_code)

    case("100 MB JSON array to /api/uploads", big_json)


if __name__ == "__main__":
    main()
