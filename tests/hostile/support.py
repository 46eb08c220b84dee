"""Shared pieces of the hostile suites: signing in, media made on the fly, and the checks every
case ends with (nothing half-written, no row left behind). The app and its database come from
conftest (`app`, with a module's `app_settings`, or `make_app(**settings)`)."""
from __future__ import annotations

import io
import math
import re
import struct
import wave
from pathlib import Path

from core import db

PASSWORD = "correct-horse-42"


def close_app(app) -> None:
    """Close an app a test built itself with create_app (conftest's apps close on their own)."""
    db.db_session.remove()
    app.extensions["minxin.engine"].dispose()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def login_client(app, login: str, password: str = PASSWORD):
    """A fresh test client signed in through the real form; returns (client, csrf token)."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    assert resp.status_code == 302, (login, resp.status_code)
    # The CSRF token is rotated at login: the one from before no longer counts.
    return client, csrf_from(client.get("/login").get_data(as_text=True))


# --- media ---------------------------------------------------------------------------------------


class Media:
    """Small valid files of the kinds intake accepts; `n` makes each one distinct."""

    @staticmethod
    def wav(n: int = 1, seconds: float = 0.2) -> bytes:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            frames = int(16000 * seconds)
            w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i * 0.01 * (n + 1))))
                                   for i in range(frames)))
        return buf.getvalue()

    @staticmethod
    def encoded(fmt: str, n: int = 1, seconds: float = 0.3) -> bytes:
        """Audio through PyAV: 'flac', 'ogg' (opus), 'mp3', 'm4a' (aac)."""
        import av
        import numpy as np

        codec = {"flac": "flac", "ogg": "libopus", "mp3": "libmp3lame", "m4a": "aac"}[fmt]
        container_fmt = {"flac": "flac", "ogg": "ogg", "mp3": "mp3", "m4a": "ipod"}[fmt]
        rate = 48000
        buf = io.BytesIO()
        with av.open(buf, "w", format=container_fmt) as out:
            stream = out.add_stream(codec, rate=rate)
            stream.layout = "mono"
            total = int(rate * seconds)
            t = np.arange(total) / rate
            samples = (0.3 * np.sin(2 * np.pi * (300 + 10 * n) * t)).astype(np.float32)
            fmt_name = "flt" if codec != "flac" else "s16"
            if fmt_name == "s16":
                samples = (samples * 32767).astype(np.int16)
            frame_size = 960
            for start in range(0, total, frame_size):
                chunk = samples[start:start + frame_size]
                frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format=fmt_name, layout="mono")
                frame.sample_rate = rate
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
        return buf.getvalue()

    @staticmethod
    def image(fmt: str = "PNG", n: int = 1, size=(48, 32)) -> bytes:
        from PIL import Image

        img = Image.new("RGB", size, ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
        img.putpixel((n % size[0], 0), (255 - (n % 256), 0, 0))
        buf = io.BytesIO()
        img.save(buf, fmt)
        return buf.getvalue()


# --- what a case must leave behind ---------------------------------------------------------------


def data_files(app) -> set[str]:
    """Every file under the data folder, temp files included (relative paths)."""
    root = Path(app.config["DATA_DIR"])
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def temp_leftovers(app) -> list[str]:
    return sorted(f for f in data_files(app) if Path(f).name.startswith(".tmp-"))


ROW_TABLES = ("captures", "capture_files", "jobs", "transcripts", "diary_entries", "audit_events")


def row_counts(engine) -> dict[str, int]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ROW_TABLES}


def chain_problems(engine) -> list[str]:
    from sqlalchemy.orm import Session

    from core.audit import verify_chain

    with Session(engine) as s:
        return verify_chain(s)
