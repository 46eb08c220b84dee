"""The real services the `scale` tests run against: PostgreSQL, Redis, moto's S3 server.

Each is used if it answers, started if it does not (with the commands from the environment
notes), and the test is skipped with the reason only if it can be neither reached nor
started. Every test session gets a database of its own (`minxin_test_<random>`, dropped
afterwards) and a Redis key prefix of its own, so parallel runs do not collide.

Import the fixtures into a test module with `from scale_services import *`.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

PG_HOST = os.environ.get("MINXIN_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MINXIN_TEST_PG_PORT", "5432"))
PG_ADMIN_DB = os.environ.get("MINXIN_TEST_PG_DB", "test")
REDIS_HOST = os.environ.get("MINXIN_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("MINXIN_TEST_REDIS_PORT", "6379"))
ROOT = Path(__file__).resolve().parent.parent


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return predicate()


# --- PostgreSQL ---------------------------------------------------------------------


def _pg_users() -> list[str]:
    users = [os.environ.get("MINXIN_TEST_PG_USER") or "", "postgres", "root"]
    return [u for i, u in enumerate(users) if u and u not in users[:i]]


def _pg_connect(dbname: str = PG_ADMIN_DB):
    import psycopg

    last = None
    for user in _pg_users():
        try:
            return psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=dbname, user=user, connect_timeout=3, autocommit=True
            ), user
        except psycopg.OperationalError as exc:
            last = exc
    raise last  # type: ignore[misc]


def start_postgres() -> str:
    """Reach PostgreSQL, starting the local cluster if it is down. Returns the user that works."""
    try:
        conn, user = _pg_connect()
        conn.close()
        return user
    except Exception as first:  # noqa: BLE001 - any failure means: try to start it
        reason = f"PostgreSQL at {PG_HOST}:{PG_PORT} not reachable ({first})"
    if PG_HOST in ("127.0.0.1", "localhost") and shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir():
        versions = sorted(os.listdir("/etc/postgresql"))
        if versions:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                capture_output=True,
                timeout=60,
            )
            if _wait(lambda: _port_open(PG_HOST, PG_PORT), 30):
                for _ in range(20):
                    try:
                        conn, user = _pg_connect()
                        conn.close()
                        return user
                    except Exception as exc:  # noqa: BLE001
                        reason = f"PostgreSQL started but refuses connections ({exc})"
                        time.sleep(0.5)
    pytest.skip(f"{reason}; could not start it")


def create_database() -> tuple[str, str]:
    """A fresh database; returns (its name, the SQLAlchemy URL)."""
    user = start_postgres()
    name = f"minxin_test_{secrets.token_hex(4)}"
    conn, _ = _pg_connect()
    with conn:
        conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
    return name, f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    conn, _ = _pg_connect()
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url():
    """A SQLAlchemy URL to an empty PostgreSQL database of this test's own."""
    name, url = create_database()
    yield url
    drop_database(name)


# --- Redis --------------------------------------------------------------------------


def start_redis() -> None:
    import redis

    def ping() -> bool:
        try:
            return bool(redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2).ping())
        except redis.RedisError:
            return False

    if ping():
        return
    if REDIS_HOST in ("127.0.0.1", "localhost") and shutil.which("redis-server"):
        subprocess.run(
            [
                "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
            ],
            capture_output=True,
            timeout=30,
        )
        if _wait(ping, 15):
            return
    pytest.skip(f"Redis at {REDIS_HOST}:{REDIS_PORT} not reachable and could not be started")


@pytest.fixture
def redis_broker():
    """(broker URL, key prefix): every key this test's Celery uses lives under the prefix."""
    import redis

    start_redis()
    prefix = f"minxin_test_{secrets.token_hex(4)}:"
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
    yield url, prefix
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    if keys:
        client.delete(*keys)


# --- S3 (moto's server mode) --------------------------------------------------------


@pytest.fixture
def s3_endpoint(tmp_path, monkeypatch):
    """A moto S3 server on 127.0.0.1 in a subprocess; yields its endpoint URL."""
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(exe).exists():
        pytest.skip("moto_server not installed (pip install 'moto[server]')")
    port = free_port()
    log = open(tmp_path / "moto.log", "wb")
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        if not _wait(lambda: _port_open("127.0.0.1", port) or proc.poll() is not None, 30) or proc.poll() is not None:
            pytest.skip(f"moto_server did not start: {(tmp_path / 'moto.log').read_text()[-500:]}")
        # Dummy credentials: moto accepts any; never real ones.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# --- media the intake accepts (unique bytes per seed) -------------------------------


def make_wav(seed: int, seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A short mono tone; `seed` changes the pitch, so each seed is a different upload."""
    import io
    import math
    import struct
    import wave

    freq = 220 + 7 * (seed % 300)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(int(seconds * rate))
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def make_page(seed: int, text: str = "民心日记") -> bytes:
    """A notebook page as a JPEG with a line of text and the seed written on it."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (400, 560), (250, 248, 240))
    draw = ImageDraw.Draw(img)
    for y in range(60, 560, 40):
        draw.line([(20, y), (380, y)], fill=(200, 210, 230))
    draw.text((30, 70), f"{text} #{seed}", fill=(20, 20, 60))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


__all__ = [
    "free_port",
    "create_database",
    "drop_database",
    "start_postgres",
    "start_redis",
    "pg_url",
    "redis_broker",
    "s3_endpoint",
    "ROOT",
    "make_wav",
    "make_page",
]
