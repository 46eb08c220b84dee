"""Backup and restore: the database and the originals, consistent while the app runs.

`minxin backup OUT` writes a folder:

    OUT/
      manifest.json        what is in the backup, with SHA-256 of every file (written last)
      database.sqlite      SQLite: a snapshot taken with the online backup API
      database.pgdump      PostgreSQL: `pg_dump -Fc` (pg_dump must be on PATH)
      originals/ab/cd/<sha256>   every original a capture points at, by content hash

Consistency while running: the database snapshot is taken first, in one step (SQLite's backup
API copies a consistent image even while other connections write; pg_dump runs in one
snapshot transaction). Originals are then copied for exactly the capture files in that
snapshot. Originals are content-addressed, immutable, and stored before the rows that point
at them, so every row in the snapshot has its file; uploads arriving after the snapshot are
simply not in this backup. The backup is assembled in a temporary folder next to OUT and
renamed into place at the end, so OUT either is a complete backup or does not exist.

`minxin restore IN` checks the manifest and every hash first, refuses a target database that
already holds data, restores the database, puts the originals into the configured storage
(local folder or S3) and verifies the audit chain of the result.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url

from capture.storage import get_storage
from core.audit import check_anchors, read_anchors, verify_chain
from core.settings import child_environment

FORMAT = "minxin-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
ORIGINALS = "originals"
# The heads earlier audit-verify runs recorded (DATA_DIR/audit-anchors.tsv): without them a
# restored log could have lost its last events unnoticed.
ANCHORS = "audit-anchors.tsv"
# Tables counted in the manifest (compared after a restore).
COUNTED = ("org_units", "users", "captures", "capture_files", "transcripts", "diary_entries",
           "ledger_items", "ledger_transitions", "jobs", "audit_events")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (Chinese first)."""


@dataclass
class Result:
    path: Path
    originals: int = 0
    bytes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    audit_problems: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dialect(url: str) -> str:
    return make_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份 (an in-memory database cannot be backed up)")
    return Path(database)


def _counts(conn: Connection) -> dict[str, int]:
    names = set(inspect(conn).get_table_names())
    return {table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in COUNTED if table in names}


def _referenced_hashes(conn: Connection) -> list[str]:
    return sorted(set(conn.execute(text("SELECT DISTINCT sha256 FROM capture_files")).scalars()))


def _revision(conn: Connection) -> Optional[str]:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _describe(conn: Connection) -> tuple[dict[str, int], list[str], Optional[str]]:
    return _counts(conn), _referenced_hashes(conn), _revision(conn)


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"找不到 {tool}，PostgreSQL 的备份和恢复需要它；请安装 postgresql-client "
                          f"({tool} not on PATH: install postgresql-client)")
    return path


def _pg_env_and_dsn(url: str) -> tuple[dict, str]:
    u = make_url(url)
    env = child_environment(**({"PGPASSWORD": u.password} if u.password else {}))
    dsn = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return env, dsn


# --- backup --------------------------------------------------------------------------------------


def backup(config: Mapping[str, Any], out: str | Path) -> Result:
    """Write a complete backup of the configured instance to the new folder `out`."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"目标已存在且不为空：{out} (backup target exists and is not empty)")
    url = config["DATABASE_URL"]
    kind = _dialect(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        # The anchors before the snapshot: every head they name is in it.
        anchors = Path(config["DATA_DIR"]) / ANCHORS
        if anchors.exists():
            shutil.copyfile(anchors, work / ANCHORS)
        if kind == "sqlite":
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupError(f"数据库文件不存在：{source} (database file missing)")
            db_file = work / SQLITE_FILE
            src = sqlite3.connect(str(source), timeout=30)
            dst = sqlite3.connect(str(db_file))
            try:
                src.backup(dst)  # a consistent image, even while other connections write
            finally:
                dst.close()
                src.close()
            snapshot = create_engine(f"sqlite:///{db_file}")
            try:
                with snapshot.connect() as conn:
                    counts, hashes, revision = _describe(conn)
            finally:
                snapshot.dispose()
        elif kind == "postgresql":
            # One snapshot for the dump and for the list of originals: a REPEATABLE READ
            # transaction exports it, pg_dump --snapshot reads exactly the same rows.
            env, dsn = _pg_env_and_dsn(url)
            db_file = work / PG_FILE
            pg_dump = _need("pg_dump")
            live = create_engine(url)
            try:
                with live.connect() as conn:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                    with conn.begin():
                        snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                        counts, hashes, revision = _describe(conn)
                        run = subprocess.run([pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot_id}",
                                              "-f", str(db_file), dsn], env=env, capture_output=True, text=True)
                        if run.returncode != 0:
                            raise BackupError(f"pg_dump 失败 (pg_dump failed): {run.stderr.strip()}")
            finally:
                live.dispose()
        else:
            raise BackupError(f"不支持的数据库 {kind} (unsupported database)")

        storage = get_storage(config)
        files = []
        total = 0
        for sha in hashes:
            dest = work / ORIGINALS / sha[:2] / sha[2:4] / sha
            dest.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            size = 0
            try:
                with storage.open(sha) as src_fh, open(dest, "wb") as dst_fh:
                    for block in iter(lambda: src_fh.read(1 << 20), b""):
                        h.update(block)
                        size += len(block)
                        dst_fh.write(block)
            except FileNotFoundError:
                raise BackupError(f"原件缺失：{sha}（数据库指向它，存储里没有）(original missing from storage)") from None
            if h.hexdigest() != sha:
                raise BackupError(f"原件已损坏：{sha} 的内容与其哈希不符 (original corrupt in storage)")
            files.append({"sha256": sha, "size": size})
            total += size

        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "database": {"kind": kind, "file": db_file.name, "sha256": _sha256_file(db_file),
                         "revision": revision},
            "counts": counts,
            "originals": files,
        }
        if (work / ANCHORS).exists():
            manifest["anchors"] = {"file": ANCHORS, "sha256": _sha256_file(work / ANCHORS)}
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Result(path=out, originals=len(files), bytes=total, counts=counts)


# --- restore -------------------------------------------------------------------------------------


def read_manifest(source: str | Path) -> dict:
    """The manifest of a backup folder, after checking every file against its hash."""
    source = Path(source)
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"不是完整的备份（缺少 {MANIFEST}）：{source} (not a complete backup)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"备份清单已损坏 (manifest unreadable): {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"未知的备份格式 {manifest.get('format')!r} (unknown backup format)")
    db = manifest["database"]
    db_file = source / db["file"]
    if not db_file.is_file() or _sha256_file(db_file) != db["sha256"]:
        raise BackupError(f"备份中的数据库文件缺失或已损坏：{db['file']} (database file missing or corrupt)")
    for f in manifest["originals"]:
        sha = f["sha256"]
        p = source / ORIGINALS / sha[:2] / sha[2:4] / sha
        if not p.is_file() or _sha256_file(p) != sha:
            raise BackupError(f"备份中的原件缺失或已损坏：{sha} (original missing or corrupt in backup)")
    return manifest


def _target_is_empty(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    if not names - {"alembic_version"}:
        return True
    with engine.connect() as conn:
        for table in ("users", "org_units", "captures", "audit_events"):
            if table in names and conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one():
                return False
    return True


def restore(config: Mapping[str, Any], source: str | Path) -> Result:
    """Restore the backup folder `source` into the configured, empty instance."""
    from sqlalchemy.orm import Session

    source = Path(source)
    manifest = read_manifest(source)
    url = config["DATABASE_URL"]
    kind = _dialect(url)
    if kind != manifest["database"]["kind"]:
        raise BackupError(f"备份来自 {manifest['database']['kind']}，目标是 {kind}：请恢复到同类数据库 "
                          f"(backup and target databases differ)")
    engine = create_engine(url)
    try:
        if not _target_is_empty(engine):
            raise BackupError("目标实例已有数据，恢复只写入空实例；请换一个新的实例目录或数据库 "
                              "(the target instance already holds data: restore into an empty one)")
    finally:
        engine.dispose()

    db_file = source / manifest["database"]["file"]
    if kind == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(str(db_file))
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        env, dsn = _pg_env_and_dsn(url)
        run = subprocess.run([_need("pg_restore"), "--no-owner", "--clean", "--if-exists", "-d", dsn,
                              str(db_file)], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise BackupError(f"pg_restore 失败 (pg_restore failed): {run.stderr.strip()}")

    storage = get_storage(config)
    total = 0
    for f in manifest["originals"]:
        sha = f["sha256"]
        data = (source / ORIGINALS / sha[:2] / sha[2:4] / sha).read_bytes()
        if storage.put(data) != sha:  # put hashes what it stores
            raise BackupError(f"写入原件失败：{sha} (storing an original failed)")
        total += len(data)


    anchors: list = []
    if manifest.get("anchors"):
        saved = source / manifest["anchors"]["file"]
        if not saved.exists() or _sha256_file(saved) != manifest["anchors"]["sha256"]:
            raise BackupError(f"备份中的审计链头文件缺失或已改动 (audit anchors missing or altered): {saved}")
        anchors = read_anchors(saved)
        dest = Path(config["DATA_DIR"]) / ANCHORS
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, dest)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = _counts(conn)
        with Session(engine) as s:
            problems = verify_chain(s) + check_anchors(s, anchors)
    finally:
        engine.dispose()
    if counts != manifest["counts"]:
        raise BackupError(f"恢复后的行数与备份不符 (row counts differ after restore): {counts} != {manifest['counts']}")
    return Result(path=source, originals=len(manifest["originals"]), bytes=total, counts=counts,
                  audit_problems=problems)
