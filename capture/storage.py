"""The content-addressed store of originals.

Keys are the SHA-256 hex digest of the bytes, sharded `ab/cd/abcd…`. A write goes to a temp
file in the destination folder, is flushed to disk, and is renamed into place: a crash leaves
either the whole file or nothing under the key.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Mapping, Protocol, runtime_checkable

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shard(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


@runtime_checkable
class Storage(Protocol):
    def put(self, data: bytes) -> str: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def local_path(self, sha256: str) -> Path: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...


class LocalStorage:
    """Originals in a folder on this machine (the embedded default)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / shard(sha256)

    def put(self, data: bytes) -> str:
        digest = sha256_of(data)
        path = self._path(digest)
        if path.exists() and path.stat().st_size == len(data):
            os.utime(path)  # fresh again: the housekeeping sweep's grace period starts over
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return digest

    def open(self, sha256: str) -> BinaryIO:
        return open(self._path(sha256), "rb")

    def local_path(self, sha256: str) -> Path:
        path = self._path(sha256)
        if not path.exists():
            raise FileNotFoundError(f"original {sha256} not in the store")  # the job says 原件缺失
        return path

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def delete(self, sha256: str) -> None:
        path = self._path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        # Tidy empty shard folders, never the root.
        for parent in (path.parent, path.parent.parent):
            if parent == self.root:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def files(self) -> list[Path]:
        """Every stored original (temp files excluded)."""
        if not self.root.exists():
            return []
        return [p for p in self.root.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")]


def get_storage(config: Mapping) -> Storage:
    """The store configured by MINXIN_STORAGE (`local`, the default, or `s3`)."""
    kind = config.get("STORAGE", "local")
    data_dir = Path(config["DATA_DIR"])
    if kind == "local":
        return LocalStorage(data_dir / "originals")
    if kind == "s3":
        from capture.storage_s3 import S3Storage

        return S3Storage(
            config.get("S3_BUCKET", "minxin-originals"),
            cache_dir=data_dir / "s3-cache",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region_name=config.get("S3_REGION"),
        )
    raise ValueError(f"未知的存储方式 {kind!r} (unknown storage; use local or s3)")
