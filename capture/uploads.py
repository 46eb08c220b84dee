"""Resumable uploads: one file sent in chunks, kept where every app server sees it until a
capture is made of it.

A phone on a hillside loses its signal mid-upload; the bytes already received stay and the next
attempt continues from `offset`, on whichever app server the load balancer picks. The state of
an upload is a database row (`ResumableUpload`: offset, the running chain hash, the chunks held,
the one writer now); the chunks' bytes are in a `ChunkStore` every server reaches (the S3 bucket
when MINXIN_STORAGE=s3, a shared folder otherwise).

Sending a chunk is three short steps, each committed by the request before the next:
1. `claim`: one atomic UPDATE ... WHERE offset = <the offset the chunk names> AND nobody writes
   (or the writer's lease ran out). Exactly one of any number of concurrent tries of a chunk,
   on any server, gets it; the others are told 409 (`busy`, or `offset` once it has moved).
2. `receive`: the chunk is read (bounded), checked against its SHA-256, and stored under a key
   of its own: a try that loses its claim never touches the chunks of the one that won.
3. `settle`: one UPDATE ... WHERE writer = <this claim> moves the offset, the chain hash and the
   list of chunks together. When the offset reaches the size the whole file is read back from
   the store and must hash to the declared SHA-256 ("complete" means verified); if it does not,
   the upload is reset to nothing (never resumed as it was).
The protocol is documented in docs/UPLOADS.md.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Protocol

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from capture.checks import clean_name
from capture.models import ResumableUpload
from capture.storage_s3 import S3Chunks
from core.clock import utcnow
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
# A writer's claim runs out after this: a server that died mid-chunk blocks its upload no longer.
# Longer than the slowest chunk (8 MiB at 64 kbit/s is ~17 minutes; the page sends 256 KiB).
LEASE_SECONDS = 20 * 60


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
    verified: bool = False
    capture_id: Optional[int] = None

    @property
    def complete(self) -> bool:
        return self.verified and self.offset == self.size

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "size": self.size, "sha256": self.sha256,
                "offset": self.offset, "complete": self.complete, "capture_id": self.capture_id,
                "chunk_size": CHUNK_BYTES}


def _view(row: ResumableUpload) -> Upload:
    offset = row.size if row.capture_id is not None else row.offset
    return Upload(id=row.id, user_id=row.user_id, name=row.name, size=row.size, sha256=row.sha256,
                  offset=offset, verified=bool(row.verified) or row.capture_id is not None,
                  capture_id=row.capture_id)


# --- where the chunks' bytes live ---------------------------------------------------------

class ChunkStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, keys: list[str]) -> None: ...

    def drop(self, upload_id: str) -> None: ...


class FolderChunks:
    """Chunks as files in a folder every app server mounts (NFS, a shared disk), or this
    machine's own folder for a single server. A write goes to a temp file and is renamed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        upload_id, _, name = key.partition("/")
        if not _ID.match(upload_id) or not re.fullmatch(r"[0-9]+-[A-Za-z0-9_-]+", name):
            raise ValueError(f"not a chunk key: {key!r}")
        return self.root / upload_id / name

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, keys: list[str]) -> None:
        folders = set()
        for key in keys:
            path = self._path(key)
            path.unlink(missing_ok=True)
            folders.add(path.parent)
        for folder in folders:
            for stray in folder.glob(".tmp-*"):
                stray.unlink(missing_ok=True)
            try:
                folder.rmdir()
            except OSError:
                pass

    def drop(self, upload_id: str) -> None:
        """Everything kept for the upload, settled or not."""
        if not _ID.match(upload_id):
            raise ValueError(f"not an upload id: {upload_id!r}")
        folder = self.root / upload_id
        for path in folder.glob("*"):
            path.unlink(missing_ok=True)
        try:
            folder.rmdir()
        except OSError:
            pass


def chunk_store(config, instance_path: str | Path) -> ChunkStore:
    """The S3 bucket of originals (under `uploads/`) with MINXIN_STORAGE=s3, else the folder
    MINXIN_UPLOADS_DIR (shared between app servers), else `<instance>/uploads`."""
    if config.get("STORAGE", "local") == "s3":
        return S3Chunks.from_config(config)
    return FolderChunks(config.get("UPLOADS_DIR") or Path(instance_path) / "uploads")


# --- the operations (each flushes; the request commits between them) ------------------------

def _row(session: Session, user_id: int, upload_id: str, *, fresh: bool = True) -> ResumableUpload:
    """Someone else's upload answers like a missing one."""
    if not isinstance(upload_id, str) or not _ID.match(upload_id):
        raise UploadError("没有这个上传 (no such upload)", "no_upload", 404)
    stmt = select(ResumableUpload).where(ResumableUpload.id == upload_id, ResumableUpload.user_id == int(user_id))
    if fresh:  # another server may have moved it since this session last looked
        stmt = stmt.execution_options(populate_existing=True)
    row = session.scalar(stmt)
    if row is None:
        raise UploadError("没有这个上传 (no such upload)", "no_upload", 404)
    return row


def start(session: Session, store: ChunkStore, user_id: int, name: str, size, sha256: str,
          max_bytes: int) -> Upload:
    """A new upload of `size` bytes hashing to `sha256`. The same user starting the same file
    again (a reloaded page) gets the unfinished upload back, to resume it."""
    name = clean_name(name)
    sha256 = (sha256 or "").lower()
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise UploadError("缺少或错误的文件校验值 sha256 (sha256 must be 64 hex digits)", "bad_sha256")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise UploadError(f"文件为空：{name} (empty file)", "empty")
    if size > max_bytes:
        raise UploadError(f"文件过大：{name}，{size / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB "
                          "(file too large)", "too_large", 413)
    user_id = int(user_id)
    sweep(session, store, user_id=user_id)
    same = session.scalar(select(ResumableUpload).where(
        ResumableUpload.user_id == user_id, ResumableUpload.sha256 == sha256, ResumableUpload.size == size,
        ResumableUpload.capture_id.is_(None)).order_by(ResumableUpload.updated_at.desc()).limit(1))
    if same is not None:
        return _view(same)
    held = session.scalar(select(func.count()).select_from(ResumableUpload).where(
        ResumableUpload.user_id == user_id, ResumableUpload.capture_id.is_(None)))
    if held >= MAX_OPEN:
        raise UploadError(f"未完成的上传过多（{MAX_OPEN} 个），请先发送或等待清理 (too many unfinished uploads)",
                          "too_many_uploads", 429)
    now = utcnow()
    row = ResumableUpload(id=secrets.token_urlsafe(18), user_id=user_id, name=name, size=size, sha256=sha256,
                          offset=0, chain="", parts=[], verified=False, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _view(row)


def get(session: Session, user_id: int, upload_id: str) -> Upload:
    return _view(_row(session, user_id, upload_id))


def new_claim() -> str:
    return secrets.token_urlsafe(12)


def claim(session: Session, user_id: int, upload_id: str, offset: int, token: str) -> Upload:
    """Make `token` the one writer of the upload at `offset`, atomically in the database every
    server shares. Refused (409) when the upload is elsewhere, complete, or someone writes it."""
    current = _row(session, user_id, upload_id)
    if current.capture_id is not None or current.verified:
        raise UploadError("这个文件已经传完 (upload already complete)", "complete", 409, _view(current).offset)
    now = utcnow()
    won = session.execute(
        update(ResumableUpload)
        .where(ResumableUpload.id == current.id, ResumableUpload.offset == offset,
               ResumableUpload.verified.is_(False), ResumableUpload.capture_id.is_(None),
               or_(ResumableUpload.writer.is_(None),
                   ResumableUpload.writer_since < now - dt.timedelta(seconds=LEASE_SECONDS)))
        .values(writer=token, writer_since=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    row = _row(session, user_id, upload_id)
    if won == 1:
        return _view(row)
    if row.offset != offset:
        raise UploadError(f"续传位置不对：服务器已有 {row.offset} 字节 (offset mismatch)", "offset", 409, row.offset)
    raise UploadError("这个文件正在由另一个请求写入，请稍后再试 (another request is writing this upload)",
                      "busy", 409, row.offset)


def receive(store: ChunkStore, up: Upload, token: str, chunk_sha256: Optional[str], stream: BinaryIO,
            length: Optional[int], checksum: Optional[tuple[str, bytes]] = None) -> tuple[int, str, str]:
    """Read the claimed chunk from `stream`, check it, and keep it under a key of its own.
    Returns (length, key, the chunk's SHA-256). Nothing of a chunk too long, cut off or corrupt
    is kept. `chunk_sha256` is required by this app's protocol; tus (`chunk_sha256=None`)
    checks `checksum` (algorithm, digest) when the client sends one: the whole file's hash is
    checked at the end either way."""
    if chunk_sha256 is not None:
        chunk_sha256 = chunk_sha256.lower()
        if not _SHA256.match(chunk_sha256):
            raise UploadError("缺少分块校验值 (X-Chunk-SHA256 required)", "bad_sha256", 400, up.offset)
    room = min(MAX_CHUNK_BYTES, up.size - up.offset)
    if length is not None and length > room:
        raise UploadError("分块过大 (chunk too large)", "chunk_too_large", 413, up.offset)
    pieces: list[bytes] = []
    got = 0
    while True:
        piece = stream.read(min(READ_BYTES, room + 1 - got))
        if not piece:
            break
        got += len(piece)
        if got > room:
            raise UploadError("分块过大 (chunk too large)", "chunk_too_large", 413, up.offset)
        pieces.append(piece)
    data = b"".join(pieces)
    actual = hashlib.sha256(data).hexdigest()
    if got == 0 or (length is not None and got != length) or (chunk_sha256 is not None and actual != chunk_sha256):
        raise UploadError("分块不完整或校验不符，请重发 (chunk incomplete or corrupt)", "chunk_corrupt", 400,
                          up.offset)
    if checksum is not None and hashlib.new(checksum[0], data).digest() != checksum[1]:
        raise UploadError("分块校验不符，请重发 (checksum mismatch)", "checksum", 460, up.offset)
    key = f"{up.id}/{up.offset:012d}-{token}"
    store.put(key, data)
    return got, key, actual


def settle(session: Session, store: ChunkStore, user_id: int, upload_id: str, token: str, length: int,
           chunk_sha256: str, key: str) -> Upload:
    """Move the upload past the chunk `token` received, if `token` still holds it. At the end
    the whole file must hash to the declared SHA-256; if not, the upload starts over."""
    row = _row(session, user_id, upload_id)
    if row.writer != token:
        store.delete([key])  # the lease ran out and another writer took over
        raise UploadError("这个文件正在由另一个请求写入，请稍后再试 (another request is writing this upload)",
                          "busy", 409, row.offset)
    parts = list(row.parts or []) + [[row.offset, length, chunk_sha256.lower(), key]]
    offset = row.offset + length
    chain = hashlib.sha256((row.chain + chunk_sha256.lower()).encode()).hexdigest()
    verified = False
    if offset == row.size:
        digest = hashlib.sha256()
        for piece in _pieces(store, parts):
            digest.update(piece)
        if digest.hexdigest() != row.sha256:
            # The whole does not match what the client declared: start over rather than keep bad bytes.
            _reset(session, row, token)
            session.flush()
            store.delete([p[3] for p in parts])
            raise UploadError("文件校验不符，请重新上传 (file does not match its sha256)", "file_corrupt", 400, 0)
        verified = True
    moved = session.execute(
        update(ResumableUpload)
        .where(ResumableUpload.id == row.id, ResumableUpload.writer == token, ResumableUpload.offset == row.offset)
        .values(offset=offset, chain=chain, parts=parts, verified=verified, writer=None, writer_since=None,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    if moved != 1:
        store.delete([key])
        now = _row(session, user_id, upload_id)
        raise UploadError("这个文件正在由另一个请求写入，请稍后再试 (another request is writing this upload)",
                          "busy", 409, now.offset)
    return _view(_row(session, user_id, upload_id))


def _reset(session: Session, row: ResumableUpload, token: str) -> None:
    session.execute(
        update(ResumableUpload).where(ResumableUpload.id == row.id, ResumableUpload.writer == token)
        .values(offset=0, chain="", parts=[], verified=False, writer=None, writer_since=None, updated_at=utcnow())
        .execution_options(synchronize_session=False))


def release(session: Session, upload_id: str, token: str) -> None:
    """Give the claim up (the chunk was refused or the connection dropped): the upload stays
    where it was, free for the next try at once."""
    session.execute(
        update(ResumableUpload).where(ResumableUpload.id == upload_id, ResumableUpload.writer == token)
        .values(writer=None, writer_since=None).execution_options(synchronize_session=False))
    session.flush()


def _pieces(store: ChunkStore, parts: list) -> Iterator[bytes]:
    at = 0
    for offset, length, sha, key in parts:
        data = store.get(key)
        if offset != at or len(data) != length or hashlib.sha256(data).hexdigest() != sha:
            raise UploadError("上传的分块已损坏，请重新上传 (a stored chunk is damaged)", "file_corrupt", 400, 0)
        at += length
        yield data


def read_complete(session: Session, store: ChunkStore, user_id: int, upload_id: str) -> tuple[Upload, bytes]:
    """The bytes of a finished upload, to hand to intake (checked against the declared hash again)."""
    row = _row(session, user_id, upload_id)
    up = _view(row)
    if not up.complete or up.capture_id is not None:
        raise UploadError(f"文件尚未传完：{up.name}（{up.offset}/{up.size} 字节）(upload not complete)",
                          "incomplete", 409, up.offset)
    data = b"".join(_pieces(store, row.parts))
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise UploadError("文件校验不符，请重新上传 (file does not match its sha256)", "file_corrupt", 400, 0)
    return up, data


def mark_used(session: Session, store: ChunkStore, user_id: int, upload_id: str, capture_id: int) -> None:
    """The upload became capture `capture_id`: drop its chunks (the store of originals has the
    bytes), keep the row so a retry whose answer was lost is told which capture it made."""
    row = _row(session, user_id, upload_id)
    row.capture_id = int(capture_id)
    row.parts = []
    row.updated_at = utcnow()
    session.flush()
    store.drop(row.id)


def sweep(session: Session, store: ChunkStore, now: Optional[dt.datetime] = None,
          keep_seconds: float = KEEP_SECONDS, user_id: Optional[int] = None) -> int:
    """Remove uploads untouched for `keep_seconds` (one user's, or all); returns how many.
    Chunks a dead writer stored but never settled go with their upload."""
    cutoff = (now or utcnow()) - dt.timedelta(seconds=keep_seconds)
    stmt = select(ResumableUpload).where(ResumableUpload.updated_at < cutoff,
                                         or_(ResumableUpload.writer.is_(None),
                                             ResumableUpload.writer_since < cutoff))
    if user_id is not None:
        stmt = stmt.where(ResumableUpload.user_id == int(user_id))
    stale = list(session.scalars(stmt))
    for row in stale:
        store.drop(row.id)
    if stale:
        session.execute(delete(ResumableUpload).where(ResumableUpload.id.in_([r.id for r in stale]))
                        .execution_options(synchronize_session=False))
        session.flush()
    return len(stale)


def terminate(session: Session, store: ChunkStore, user_id: int, upload_id: str) -> None:
    """The client gives the upload up (tus termination): its row and chunks go. One that
    already made a capture is kept (a retry is told which capture it made)."""
    row = _row(session, user_id, upload_id)
    if row.capture_id is not None:
        raise UploadError("这个文件已经传完 (upload already complete)", "complete", 409, row.size)
    session.execute(delete(ResumableUpload).where(ResumableUpload.id == row.id)
                    .execution_options(synchronize_session=False))
    session.flush()
    store.drop(row.id)
