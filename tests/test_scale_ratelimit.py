"""Login limits shared by every web process: two processes (as gunicorn's workers are) count
failed logins in the same Redis, so N processes do not mean N times the tries. With the memory
default each process would count alone (the embedded setup runs one)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scale_services import redis_broker  # noqa: F401

pytestmark = pytest.mark.scale
REPO = Path(__file__).resolve().parents[1]

WORKER = """
import re, sys
from webapp import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "DATA_DIR": sys.argv[2], "RECOGNIZER": "fake",
                  "SESSION_COOKIE_SECURE": False, "RATELIMIT_STORAGE": sys.argv[3], "RATELIMIT_KEY_PREFIX": sys.argv[4],
                  "LOGIN_LIMIT_ACCOUNT_CLIENT": "5 per minute"})
c = app.test_client()
out = []
for _ in range(3):
    tok = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
    out.append(c.post("/login", data={"login": "cadre_a", "password": "wrong-guess", "csrf_token": tok},
                      environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code)
print(",".join(map(str, out)))
"""


def _run(app, tmp_path, storage, prefix):
    proc = subprocess.run([sys.executable, "-c", WORKER, app.config["DATABASE_URL"], app.config["DATA_DIR"], storage,
                           prefix], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO), "MINXIN_INSTANCE_PATH": str(tmp_path / "inst")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_two_web_processes_share_the_login_counters_in_redis(app, users, tmp_path, redis_broker):  # noqa: F811
    url, prefix = redis_broker
    first = _run(app, tmp_path, url, prefix)
    second = _run(app, tmp_path, url, prefix)
    assert first == "401,401,401"
    assert second == "401,401,429"  # the 6th failure overall, whichever process took it


def test_the_storage_follows_the_deployment():
    from webapp.auth.ratelimit import storage_uri

    assert storage_uri({"QUEUE": "embedded"}) == "memory://"
    assert storage_uri({"QUEUE": "celery", "BROKER_URL": "redis://r:6379/0"}) == "redis://r:6379/0"
    assert storage_uri({"QUEUE": "embedded", "RATELIMIT_STORAGE": "redis://x:6379/2"}) == "redis://x:6379/2"
