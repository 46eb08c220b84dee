"""Memory bounded by what is read, not by what an image claims (issue #30 M2). The figures are
in bench/memory.py; these tests hold the mechanisms: no full-size pixel buffer for a PNG at
intake, no decoding of a duplicate, per-route body limits."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from capture import checks, intake
from recognize.transcript import RecognitionError


def _png(side: int, color="white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def big_png() -> bytes:
    return _png(4000)  # 16 megapixels, ~50 KB: 48 MB of RGB if decoded


@pytest.fixture
def loads(monkeypatch):
    """Counts full decodes (ImageFile.load) of pictures over a megapixel."""
    from PIL import ImageFile

    seen = []
    real = ImageFile.ImageFile.load

    def load(self):
        if self.width * self.height > 1_000_000:
            seen.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_a_large_png_is_checked_without_decoding_its_pixels(big_png, loads):
    checks.decode_image(big_png)
    assert intake.exif_time(big_png) is None
    # Before: decode_image loaded and converted every pixel, and exif_time decoded the whole
    # PNG looking for an eXIf chunk.
    assert loads == []


def _damaged_idat(data: bytes) -> bytes:
    """The PNG with one byte of its compressed pixels changed and the chunk's CRC made right
    again: only inflating the rows finds it."""
    at = data.index(b"IDAT")
    length = struct.unpack(">I", data[at - 4:at])[0]
    body = bytearray(data[at + 4:at + 4 + length])
    body[len(body) // 2] ^= 0xFF
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)))
    return data[:at + 4] + bytes(body) + crc + data[at + 8 + length:]


def test_damaged_or_short_pixel_data_is_still_refused():
    page = _png(300)
    img = Image.new("RGB", (300, 300))
    img.putdata([(i % 251, (i * 7) % 253, (i * 13) % 255) for i in range(300 * 300)])
    noisy = io.BytesIO()
    img.save(noisy, "PNG")
    with pytest.raises(RecognitionError):
        checks.decode_image(_damaged_idat(noisy.getvalue()))
    # A header claiming more rows than the data holds.
    at = page.index(b"IHDR")
    ihdr = bytearray(page[at + 4:at + 17])
    ihdr[4:8] = struct.pack(">I", 600)
    forged = page[:at + 4] + bytes(ihdr) + struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr))) + page[at + 21:]
    with pytest.raises(RecognitionError):
        checks.decode_image(forged)
    checks.decode_image(page)  # the whole one passes
    interlaced = io.BytesIO()
    Image.new("L", (37, 21), 200).save(interlaced, "PNG", interlace=1)
    checks.decode_image(interlaced.getvalue())


def test_the_same_bytes_again_are_refused_before_decoding(api_client, users, big_png, monkeypatch):
    client, token = api_client
    first = client.post("/api/captures", data={"files": [(io.BytesIO(big_png), "p.png")]},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert first.status_code == 201, first.get_json()
    decoded = []
    real = intake._check_image
    monkeypatch.setattr(intake, "_check_image", lambda data, name: decoded.append(name) or real(data, name))
    again = client.post("/api/captures", data={"files": [(io.BytesIO(big_png), "p.png")]},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert decoded == []  # before: every page was decoded, then found to be a duplicate


@pytest.fixture
def api_client(client, users, login, csrf_token):
    login(users["cadre_a"])
    return client, csrf_token("/capture/")


def test_the_json_api_takes_kilobytes_not_megabytes(api_client):
    client, token = api_client
    body = b"[" + b"1," * (1024 * 1024) + b"1]"  # 2 MB of JSON
    resp = client.post("/api/uploads", data=body, headers={"X-CSRFToken": token},
                       content_type="application/json")
    assert resp.status_code == 413  # before: parsed whole (400 after seconds and ~600 MB)
    # A form is bounded the same way; the upload doors still take files.
    assert client.post("/logout", data={"x": "y" * (2 * 1024 * 1024)}).status_code == 413
    ok = client.post("/api/uploads", json={"name": "a.wav", "size": 10, "sha256": "a" * 64},
                     headers={"X-CSRFToken": token})
    assert ok.status_code == 201


def test_at_most_n_decodes_at_once(monkeypatch):
    """Four uploads' pages checked at the same moment hold at most DECODES_AT_ONCE pictures."""
    import threading
    import time

    now, most = [0], [0]
    lock = threading.Lock()

    def slow(_data):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.2)
        with lock:
            now[0] -= 1
        return None

    monkeypatch.setattr(checks, "_png_rows_problem", slow)
    page = _png(64)
    threads = [threading.Thread(target=checks.decode_image, args=(page,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == checks.DECODES_AT_ONCE
