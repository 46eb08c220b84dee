"""What a kill mid-write leaves in the store, found and (after a grace period) removed:
`.tmp-*` files of writes that never finished, and complete originals no row points at (the
process died between storing the bytes and committing the capture). `minxin doctor` reports
them with the other loose ends (rows pointing at missing files, received captures without a
job); the embedded worker sweeps them every HOUSEKEEPING_SECONDS.

The grace period (file age by mtime) keeps the sweep away from an upload in progress: its
original is written before its row is committed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import Capture, CaptureFile
from capture.states import CaptureStatus
from capture.storage import get_storage
from core import audit
from jobs.models import Job

DEFAULT_GRACE_SECONDS = 3600.0


@dataclass(frozen=True)
class Report:
    temp_files: tuple[str, ...] = ()          # relative to DATA_DIR, older than the grace period
    orphan_originals: tuple[str, ...] = ()    # sha256, no row, older than the grace period
    young_leftovers: int = 0                  # the same kinds, still within the grace period
    missing_originals: tuple[str, ...] = ()   # sha256 a row points at, not in the store
    jobless_captures: tuple[int, ...] = ()
    failed_captures: int = 0
    checked_store: bool = True                # False for S3 (only the local cache is looked at)
    removed: tuple[str, ...] = field(default=())

    @property
    def problems(self) -> int:
        return len(self.temp_files) + len(self.orphan_originals) + len(self.missing_originals) \
            + len(self.jobless_captures)


def _local_root(config: Mapping) -> Optional[Path]:
    return Path(config["DATA_DIR"]) / "originals" if config.get("STORAGE", "local") == "local" else None


def inspect(session: Session, config: Mapping, *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
            now: Optional[float] = None) -> Report:
    now = time.time() if now is None else now
    data_dir = Path(config["DATA_DIR"])
    referenced = set(session.scalars(select(CaptureFile.sha256).distinct()))
    temp, orphans, young, present = [], [], 0, set()
    if data_dir.exists():
        for path in data_dir.rglob(".tmp-*"):
            if path.is_file():
                if now - path.stat().st_mtime > grace_seconds:
                    temp.append(str(path.relative_to(data_dir)))
                else:
                    young += 1
    root = _local_root(config)
    if root is not None and root.exists():
        for path in root.rglob("*"):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue
            present.add(path.name)
            if path.name not in referenced:
                if now - path.stat().st_mtime > grace_seconds:
                    orphans.append(path.name)
                else:
                    young += 1
    missing = sorted(referenced - present) if root is not None else []
    has_job = select(Job.id).where(Job.capture_id == Capture.id).exists()
    jobless = tuple(session.scalars(select(Capture.id).where(Capture.status == CaptureStatus.RECEIVED, ~has_job)
                                    .order_by(Capture.id)))
    failed = session.scalar(select(func.count(Capture.id)).where(Capture.status == CaptureStatus.FAILED)) or 0
    return Report(temp_files=tuple(sorted(temp)), orphan_originals=tuple(sorted(orphans)), young_leftovers=young,
                  missing_originals=tuple(missing), jobless_captures=jobless, failed_captures=failed,
                  checked_store=root is not None)


def sweep(session: Session, config: Mapping, *, grace_seconds: float = DEFAULT_GRACE_SECONDS,
          now: Optional[float] = None) -> Report:
    """Remove the temp files and orphaned originals past the grace period (audited, committed)."""
    report = inspect(session, config, grace_seconds=grace_seconds, now=now)
    data_dir = Path(config["DATA_DIR"])
    temp_removed, originals_removed = [], []
    for rel in report.temp_files:
        try:
            (data_dir / rel).unlink()
            temp_removed.append(rel)
        except FileNotFoundError:
            pass
    storage = get_storage(config)
    for sha in report.orphan_originals:
        # Looked up again just before: an upload of the same bytes may have committed since.
        if session.scalars(select(CaptureFile.id).where(CaptureFile.sha256 == sha)).first() is None:
            storage.delete(sha)
            originals_removed.append(sha)
    if temp_removed or originals_removed:
        audit.record(session, "storage.sweep", object_type="storage",
                     after={"temp_files": temp_removed, "orphan_originals": originals_removed,
                            "grace_seconds": grace_seconds})
        session.commit()
    return Report(**{**report.__dict__, "removed": tuple(temp_removed + originals_removed)})
