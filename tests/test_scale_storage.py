"""S3Storage against a real S3-compatible server (moto's server mode on 127.0.0.1)."""
from __future__ import annotations

import hashlib

import pytest
from scale_services import *  # noqa: F401,F403 - fixtures

pytestmark = pytest.mark.scale


@pytest.fixture
def make_storage(s3_endpoint, tmp_path):
    from capture.storage_s3 import S3Storage

    def _make(machine: str, bucket: str = "minxin-originals", prefix: str = "") -> S3Storage:
        store = S3Storage(bucket, tmp_path / machine / "cache", endpoint_url=s3_endpoint, prefix=prefix)
        store.ensure_bucket()
        return store

    return _make


def test_put_then_read_back_on_another_machine(make_storage):
    web, worker = make_storage("web"), make_storage("worker")
    data = "村里的路一下雨就没法走".encode() * 1000
    sha = web.put(data)

    assert sha == hashlib.sha256(data).hexdigest()
    assert web.exists(sha) and worker.exists(sha)
    key = web.key(sha)
    assert key == f"{sha[:2]}/{sha[2:4]}/{sha}"
    # The object is really in the bucket under the sharded key.
    obj = web.client.get_object(Bucket="minxin-originals", Key=key)
    assert obj["Body"].read() == data

    # The worker, with an empty cache of its own, gets a local file with the same bytes.
    path = worker.local_path(sha)
    assert path.is_file() and path.read_bytes() == data
    assert path.is_relative_to(worker.cache_dir)
    with worker.open(sha) as fh:
        fh.seek(10)
        assert fh.read(5) == data[10:15]
    # No temp files are left beside the cached copy.
    assert [p.name for p in path.parent.iterdir()] == [sha]


def test_put_is_idempotent_and_delete_removes_object_and_cache(make_storage):
    store = make_storage("one")
    sha1 = store.put(b"page one")
    sha2 = store.put(b"page one")
    assert sha1 == sha2
    listed = store.client.list_objects_v2(Bucket="minxin-originals")
    assert [o["Key"] for o in listed.get("Contents", [])] == [store.key(sha1)]

    cached = store.local_path(sha1)
    store.delete(sha1)
    assert not store.exists(sha1)
    assert not cached.exists()
    with pytest.raises(FileNotFoundError):
        store.local_path(sha1)


def test_missing_original_raises_file_not_found(make_storage):
    store = make_storage("one")
    with pytest.raises(FileNotFoundError):
        store.local_path(hashlib.sha256(b"never stored").hexdigest())
    assert not store.exists(hashlib.sha256(b"never stored").hexdigest())


def test_corrupt_object_is_refused_and_not_cached(make_storage):
    store = make_storage("one")
    sha = hashlib.sha256(b"the real bytes").hexdigest()
    store.client.put_object(Bucket="minxin-originals", Key=store.key(sha), Body=b"other bytes")
    with pytest.raises(IOError, match="does not match"):
        store.local_path(sha)
    folder = store.cache_dir / sha[:2] / sha[2:4]
    assert list(folder.iterdir()) == []


def test_keys_must_be_sha256(make_storage):
    store = make_storage("one")
    for bad in ("../../etc/passwd", "ABC", "g" * 64, ""):
        with pytest.raises(ValueError):
            store.local_path(bad)
        with pytest.raises(ValueError):
            store.exists(bad)


def test_prefix_keeps_two_deployments_apart_in_one_bucket(make_storage):
    a = make_storage("a", bucket="shared", prefix="county-a")
    b = make_storage("b", bucket="shared", prefix="county-b/")
    sha = a.put(b"only in county a")
    assert a.exists(sha)
    assert not b.exists(sha)
    assert a.key(sha).startswith("county-a/") and b.key(sha).startswith("county-b/")


def test_from_config_uses_the_app_settings(s3_endpoint, tmp_path):
    from capture.storage_s3 import S3Storage

    store = S3Storage.from_config(
        {"S3_BUCKET": "from-config", "S3_ENDPOINT_URL": s3_endpoint, "DATA_DIR": str(tmp_path / "data")}
    )
    store.ensure_bucket()
    sha = store.put(b"x")
    assert store.cache_dir == tmp_path / "data" / "s3-cache"
    assert store.local_path(sha).read_bytes() == b"x"
