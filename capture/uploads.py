"""Resumable uploads: one file sent in chunks, kept on disk until a capture is made of it.

A phone on a hillside loses its signal mid-upload; the bytes already received stay here and the
next attempt continues from `offset`. Each upload belongs to one user and lives in
`<root>/<user id>/<upload id>/`: `meta.json` (name, declared size and SHA-256, and the capture
made of it) and `data.part` (the bytes so far). A chunk is appended only at the current offset
and only if it hashes to the SHA-256 the client sent with it; the whole file must hash to the
declared SHA-256 before it can become a capture. The protocol is documented in docs/UPLOADS.md.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Optional

from core.errors import DomainError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CHUNK_BYTES = 256 * 1024  # what the client is told to send; a phone on 64 kbit/s sends one in ~30 s
MAX_CHUNK_BYTES = 8 * 1024 * 1024
READ_BYTES = 64 * 1024
# Unfinished uploads are kept this long after their last chunk (a cadre may be offline for days).
KEEP_SECONDS = 14 * 24 * 3600
# Unfinished uploads one user may hold at once: a phone's outbox, not a disk to fill.
MAX_OPEN = 50


class UploadError(DomainError):
    status = 400

    def __init__(self, message: str, code: str, status: int = 400, offset: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.offset = offset


@dataclass(frozen=True)
class Upload:
    id: str
    user_id: int
    name: str
    size: int
    sha256: str
    offset: int
    created: float
    capture_id: Optional[int] = None

    @property
    def complete(self) -> bool:
        return self.offset == self.size

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "size": self.size, "sha256": self.sha256,
                "offset": self.offset, "complete": self.complete, "capture_id": self.capture_id,
                "chunk_size": CHUNK_BYTES}


def _folder(root: Path, user_id: int, upload_id: str) -> Path:
    if not _ID.match(upload_id or ""):
        raise UploadError("没有这个上传 (no such upload)", "no_upload", 404)
    return Path(root) / str(int(user_id)) / upload_id


def _read_meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UploadError("没有这个上传 (no such upload)", "no_upload", 404) from exc


def _write_meta(folder: Path, meta: dict) -> None:
    tmp = folder / ".meta.json.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / "meta.json")


def _state(folder: Path, meta: dict) -> Upload:
    part = folder / "data.part"
    offset = part.stat().st_size if part.exists() else (meta["size"] if meta.get("capture_id") else 0)
    return Upload(id=folder.name, user_id=meta["user_id"], name=meta["name"], size=meta["size"],
                  sha256=meta["sha256"], offset=offset, created=meta["created"], capture_id=meta.get("capture_id"))


def start(root: Path, user_id: int, name: str, size: int, sha256: str, max_bytes: int) -> Upload:
    """A new upload of `size` bytes hashing to `sha256`. The same user starting the same file
    again (a reloaded page) gets the unfinished upload back, to resume it."""
    name = (name or "").strip()[:255] or "未命名"
    sha256 = (sha256 or "").lower()
    if not _SHA256.match(sha256):
        raise UploadError("缺少或错误的文件校验值 sha256 (sha256 must be 64 hex digits)", "bad_sha256")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise UploadError(f"文件为空：{name} (empty file)", "empty")
    if size > max_bytes:
        raise UploadError(f"文件过大：{name}，{size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB "
                          "(file too large)", "too_large", 413)
    mine = Path(root) / str(int(user_id))
    if mine.is_dir():
        _sweep_folder(mine, time.time(), KEEP_SECONDS)
        for folder in mine.iterdir():
            try:
                meta = _read_meta(folder)
            except UploadError:
                continue
            if meta["sha256"] == sha256 and meta["size"] == size and not meta.get("capture_id"):
                return _state(folder, meta)
    if mine.is_dir() and sum(1 for _ in mine.iterdir()) >= MAX_OPEN:
        raise UploadError(f"未完成的上传过多（{MAX_OPEN} 个），请先发送或等待清理 (too many unfinished uploads)",
                          "too_many_uploads", 429)
    upload_id = secrets.token_urlsafe(18)
    folder = mine / upload_id
    folder.mkdir(parents=True, mode=0o700)
    (folder / "data.part").touch(mode=0o600)
    meta = {"user_id": int(user_id), "name": name, "size": size, "sha256": sha256, "created": time.time()}
    _write_meta(folder, meta)
    return _state(folder, meta)


def get(root: Path, user_id: int, upload_id: str) -> Upload:
    """Someone else's upload answers like a missing one."""
    folder = _folder(root, user_id, upload_id)
    return _state(folder, _read_meta(folder))


def append(root: Path, user_id: int, upload_id: str, offset: int, chunk_sha256: str,
           stream: BinaryIO, length: Optional[int]) -> Upload:
    """Append the chunk read from `stream` at `offset`. Refused, keeping what was there, when
    the offset is not where the upload stands (409, with the offset to resume from), the chunk
    is longer than declared or than the file, or its bytes do not hash to `chunk_sha256`."""
    folder = _folder(root, user_id, upload_id)
    current = _state(folder, _read_meta(folder))
    if current.capture_id is not None or current.complete:
        raise UploadError("这个文件已经传完 (upload already complete)", "complete", 409, current.offset)
    if offset != current.offset:
        raise UploadError(f"续传位置不对：服务器已有 {current.offset} 字节 (offset mismatch)", "offset", 409,
                          current.offset)
    chunk_sha256 = (chunk_sha256 or "").lower()
    if not _SHA256.match(chunk_sha256):
        raise UploadError("缺少分块校验值 (X-Chunk-SHA256 required)", "bad_sha256")
    room = min(MAX_CHUNK_BYTES, current.size - current.offset)
    if length is not None and length > room:
        raise UploadError("分块过大 (chunk too large)", "chunk_too_large", 413, current.offset)
    # Read under the limit into a side file: a cut connection or a bad chunk leaves data.part as it was.
    side = folder / ".chunk.tmp"
    digest = hashlib.sha256()
    got = 0
    try:
        with open(side, "wb") as out:
            while True:
                piece = stream.read(min(READ_BYTES, room + 1 - got))
                if not piece:
                    break
                got += len(piece)
                if got > room:
                    raise UploadError("分块过大 (chunk too large)", "chunk_too_large", 413, current.offset)
                digest.update(piece)
                out.write(piece)
    except BaseException:
        # Too long, or the connection dropped mid-chunk: the upload stays where it was.
        side.unlink(missing_ok=True)
        raise
    if got == 0 or (length is not None and got != length) or digest.hexdigest() != chunk_sha256:
        side.unlink(missing_ok=True)
        raise UploadError("分块不完整或校验不符，请重发 (chunk incomplete or corrupt)", "chunk_corrupt", 400,
                          current.offset)
    with open(side, "rb") as src, open(folder / "data.part", "ab") as part:
        shutil.copyfileobj(src, part)
        part.flush()
        os.fsync(part.fileno())
    side.unlink(missing_ok=True)
    after = replace(current, offset=current.offset + got)
    if after.complete and _file_sha256(folder / "data.part") != after.sha256:
        # The whole does not match what the client declared: start over rather than keep bad bytes.
        (folder / "data.part").write_bytes(b"")
        raise UploadError("文件校验不符，请重新上传 (file does not match its sha256)", "file_corrupt", 400, 0)
    return after


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for piece in iter(lambda: fh.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def read_complete(root: Path, user_id: int, upload_id: str) -> tuple[Upload, bytes]:
    """The bytes of a finished upload, to hand to intake."""
    up = get(root, user_id, upload_id)
    if not up.complete or up.capture_id is not None:
        raise UploadError(f"文件尚未传完：{up.name}（{up.offset}/{up.size} 字节）(upload not complete)",
                          "incomplete", 409, up.offset)
    folder = _folder(root, user_id, upload_id)
    return up, (folder / "data.part").read_bytes()


def mark_used(root: Path, user_id: int, upload_id: str, capture_id: int) -> None:
    """The upload became capture `capture_id`: drop its bytes (the store has them), keep the
    record so a retry whose answer was lost is told which capture it made."""
    folder = _folder(root, user_id, upload_id)
    meta = _read_meta(folder)
    meta["capture_id"] = int(capture_id)
    meta["used"] = time.time()
    _write_meta(folder, meta)
    (folder / "data.part").unlink(missing_ok=True)


def sweep(root: Path, now: Optional[float] = None, keep_seconds: float = KEEP_SECONDS) -> int:
    """Remove uploads untouched for `keep_seconds`; returns how many. Starting an upload sweeps
    that user's own; this is for a periodic sweep of all."""
    now = time.time() if now is None else now
    root = Path(root)
    if not root.is_dir():
        return 0
    return sum(_sweep_folder(d, now, keep_seconds) for d in root.iterdir() if d.is_dir())


def _sweep_folder(user_dir: Path, now: float, keep_seconds: float) -> int:
    removed = 0
    for folder in user_dir.iterdir():
        try:
            newest = max((p.stat().st_mtime for p in folder.iterdir()), default=folder.stat().st_mtime)
        except OSError:
            continue
        if now - newest > keep_seconds:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
