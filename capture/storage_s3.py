"""Originals in an S3-compatible bucket, for deployments where web and workers run on
different machines (MINXIN_STORAGE=s3).

Same protocol as the local store (`capture.storage.Storage`): keys are the SHA-256 of the
bytes, sharded `ab/cd/abcd…`. S3 writes are all-or-nothing, so a crash never leaves half an
object. `local_path` downloads into a local cache folder (temp file, checked against its
hash, then renamed into place) because the recognizers read plain files.

Credentials and region come from boto3's usual sources (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, ~/.aws); the endpoint from MINXIN_S3_ENDPOINT_URL
(MinIO, Ceph, a cloud provider's S3, or moto's server in tests).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Optional

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _check_key(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def shard(sha256: str) -> str:
    """`abcd…` -> `ab/cd/abcd…`, the same layout as the local folder."""
    _check_key(sha256)
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class S3Storage:
    """Content-addressed originals in one bucket (optionally under a key prefix)."""

    def __init__(
        self,
        bucket: str,
        cache_dir: str | Path,
        *,
        endpoint_url: Optional[str] = None,
        prefix: str = "",
        client=None,
        region_name: Optional[str] = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.cache_dir = Path(cache_dir)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                # S3_REGION of the settings (AWS_DEFAULT_REGION), handed in by get_storage
                region_name=region_name or "us-east-1",
                config=Config(
                    retries={"max_attempts": 5, "mode": "standard"},
                    # path-style works with MinIO, Ceph and moto without DNS per bucket
                    s3={"addressing_style": "path"},
                ),
            )
        self.client = client

    @classmethod
    def from_config(cls, config) -> "S3Storage":
        data_dir = Path(config.get("DATA_DIR") or ".")
        return cls(
            config.get("S3_BUCKET") or "minxin-originals",
            config.get("S3_CACHE_DIR") or data_dir / "s3-cache",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            prefix=config.get("S3_PREFIX") or "",
            region_name=config.get("S3_REGION"),
        )

    # --- helpers --------------------------------------------------------------------

    def key(self, sha256: str) -> str:
        return self.prefix + shard(sha256)

    def _cache_path(self, sha256: str) -> Path:
        return self.cache_dir / shard(sha256)

    @staticmethod
    def _is_missing(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in ("404", "NoSuchKey", "NotFound") or status == 404

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (deployment and test setup)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not self._is_missing(exc):
                raise
            self.client.create_bucket(Bucket=self.bucket)

    # --- the Storage protocol -------------------------------------------------------

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.exists(sha256):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(sha256),
                Body=data,
                ContentLength=len(data),
                ContentType="application/octet-stream",
                Metadata={"sha256": sha256},
            )
        return sha256

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if self._is_missing(exc):
                return False
            raise
        return True

    def local_path(self, sha256: str) -> Path:
        """A local copy of the original: from the cache, or downloaded into it now."""
        from botocore.exceptions import ClientError

        path = self._cache_path(sha256)
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".part-", dir=path.parent)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as tmp:
                try:
                    body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
                except ClientError as exc:
                    if self._is_missing(exc):
                        raise FileNotFoundError(f"original {sha256} not in s3://{self.bucket}") from exc
                    raise
                for chunk in iter(lambda: body.read(1 << 20), b""):
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            if digest.hexdigest() != sha256:
                raise IOError(f"original {sha256} in s3://{self.bucket} does not match its hash")
            os.replace(tmp_name, path)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise
        return path

    def open(self, sha256: str) -> BinaryIO:
        """A seekable file (the cached copy), so the web app can answer range requests."""
        return open(self.local_path(sha256), "rb")

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        try:
            self._cache_path(sha256).unlink()
        except FileNotFoundError:
            pass


class S3Chunks:
    """The chunks of unfinished resumable uploads (capture/uploads.py) as objects under
    `uploads/<upload id>/` in the bucket of originals, where every app server reaches them.

    Not S3's multipart upload: its parts must be at least 5 MiB (all but the last), and a phone
    on a weak link sends 256 KiB chunks; each chunk is one all-or-nothing object instead, and the
    finished file is read back in order (intake reads it whole anyway)."""

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = (prefix.strip("/") + "/" if prefix.strip("/") else "") + "uploads/"

    @classmethod
    def from_config(cls, config) -> "S3Chunks":
        store = S3Storage.from_config(config)
        return cls(store.client, store.bucket, config.get("S3_PREFIX") or "")

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentLength=len(data),
                               ContentType="application/octet-stream")

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def drop(self, upload_id: str) -> None:
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.prefix}{upload_id}/")
        for obj in listed.get("Contents", []):
            self.client.delete_object(Bucket=self.bucket, Key=obj["Key"])


__all__ = ["S3Chunks", "S3Storage", "shard"]
