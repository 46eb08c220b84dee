"""Intake: check an upload, store its originals, record the Capture.

Order matters: everything that can refuse an upload is checked first (type, size, emptiness,
mixing, corruption, duplicates), then the originals are stored, then the rows are written
with their audit event. If any step fails, the files this call stored are removed and the
transaction is rolled back, so a refusal leaves nothing behind. Recognition starts only after
the capture is committed: a failing recognizer never loses an original. `store_upload` flushes
(`capture.submit.submit` adds the recognition job and the caller commits); `ingest` commits.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from capture import states
from capture.checks import audio_seconds, clean_name, decode_image, max_audio_seconds, max_image_bytes
from capture.models import Capture, CaptureFile
from capture.sniff import kind_of, sniff
from capture.states import CaptureStatus
from capture.storage import Storage, sha256_of
from core.clock import CHINA_TZ
from core.errors import DomainError
from org.models import User

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
MAX_PAGES = 20


class IntakeError(DomainError):
    """An upload refused at intake. `code` names the reason; `status` is the HTTP status."""

    status = 400

    def __init__(self, message: str, code: str = "invalid", status: Optional[int] = None):
        super().__init__(message)
        self.code = code
        if status is not None:
            self.status = status


class DuplicateCapture(IntakeError):
    """The uploader sent the same bytes before; `capture_id` is their existing capture. The web
    and API answer this as success (a retry whose first answer was lost)."""

    def __init__(self, capture_id: int):
        super().__init__(
            f"重复上传：与已有采集 #{capture_id} 内容相同 (duplicate of capture #{capture_id})",
            code="duplicate",
            status=409,
        )
        self.capture_id = capture_id


@dataclass
class CheckedFile:
    name: str
    data: bytes
    media_type: str
    sha256: str


def _check_image(data: bytes, name: str) -> None:
    """Refuse an image that does not decode (truncated, damaged, or only a header)."""
    try:
        from recognize.handwriting.images import check_image
    except ImportError:  # handwriting branch not present: decode with Pillow here
        check_image = _decode_with_pillow
    from recognize.transcript import RecognitionError

    limit = max_image_bytes()
    try:
        check_image(data, limit)
        decode_image(data, limit)  # every pixel, not only the header
    except RecognitionError as exc:
        raise IntakeError(f"图片已损坏或无法读取：{name}（{exc}）(corrupt image)", code="corrupt") from exc


def _decode_with_pillow(data: bytes, _max_bytes: int = 0) -> str:
    from recognize.transcript import RecognitionError

    try:
        from PIL import Image

        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # decodes every pixel: a truncated file fails here
            if img.width < 1 or img.height < 1:
                raise RecognitionError("图片尺寸为零 (empty image)")
            return Image.MIME.get(img.format, "image/" + (img.format or "").lower())
    except RecognitionError:
        raise
    except Exception as exc:
        raise RecognitionError(f"无法解码图片 (cannot decode image): {exc}") from exc


def _probe_audio(data: bytes, name: str) -> Optional[dt.datetime]:
    """Open the container and find one audio stream; returns its recording time if tagged."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise IntakeError(f"文件中没有音频：{name} (no audio stream)", code="corrupt")
            # Decoding one frame proves the stream is not just a header.
            got_frame = False
            for frame in container.decode(audio=0):
                got_frame = True
                break
            if not got_frame:
                raise IntakeError(f"音频为空或已损坏：{name} (no audio frames)", code="corrupt")
            tags = dict(container.metadata or {})
            for stream in container.streams.audio:
                tags.update({k: v for k, v in (stream.metadata or {}).items() if k not in tags})
    except IntakeError:
        raise
    except Exception as exc:
        raise IntakeError(f"音频已损坏或无法解码：{name}（{exc}）(corrupt audio)", code="corrupt") from exc
    for key in ("creation_time", "date", "com.apple.quicktime.creationdate"):
        value = tags.get(key)
        if value:
            parsed = _parse_time(str(value), assume=dt.timezone.utc)
            if parsed is not None:
                return parsed
    return None


def _check_audio_length(data: bytes, name: str) -> None:
    """Refuse a recording longer than MAX_AUDIO_SECONDS now, not after the upload waited for
    recognition."""
    limit = max_audio_seconds()
    try:
        seconds = audio_seconds(data, give_up_after=limit + 1)
    except Exception as exc:
        raise IntakeError(f"无法读取录音时长：{name} (cannot read the recording's length: {exc})",
                          code="corrupt") from exc
    if seconds > limit + 1:
        from recognize.speech.audio import too_long_error

        raise IntakeError(f"{too_long_error(seconds, limit)}：{name}", code="too_long", status=413)


def _parse_time(text: str, assume: dt.tzinfo) -> Optional[dt.datetime]:
    """ISO or EXIF ('2024:05:01 09:30:00') time -> naive UTC, or None."""
    text = text.strip().replace("\x00", "")
    if len(text) >= 19 and text[4] == ":" and text[7] == ":":
        text = text[:4] + "-" + text[5:7] + "-" + text[8:]
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.year < 2000:  # unset camera clocks write 0000 or 1970
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=assume)
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def exif_time(data: bytes) -> Optional[dt.datetime]:
    """DateTimeOriginal (with OffsetTimeOriginal when present) of a photo, as naive UTC."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            if img.format == "PNG" and "exif" not in img.info:
                # Pillow decodes the whole picture looking for an eXIf chunk after the pixels;
                # a camera's PNG (rare) has it before them, where the header read finds it.
                return None
            exif = img.getexif()
            sub = exif.get_ifd(0x8769)  # Exif IFD
            original = sub.get(36867) or sub.get(36868) or exif.get(306)
            offset = sub.get(36881) or sub.get(36880)
    except Exception:
        return None
    if not original:
        return None
    text = str(original)
    if offset:
        text = f"{text}{offset}"
    # Phones write EXIF times in local time without a zone; Kuandian keeps China Standard Time.
    return _parse_time(text, assume=CHINA_TZ)


def fingerprint_of(hashes: Sequence[str], uploader_id: Optional[int] = None) -> str:
    """SHA-256 over the ordered file hashes: the same files again are the same capture. With
    `uploader_id`, only for that uploader: another unit holding the same bytes is none of the
    uploader's business (and must not collide with them)."""
    text = "\n".join(hashes)
    if uploader_id is not None:
        text = f"uploader:{int(uploader_id)}\n{text}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _own_duplicate(session: Session, uploader: User, hashes: Sequence[str]) -> Optional[int]:
    """The uploader's own capture of these files, if any (also one fingerprinted before
    fingerprints were per uploader)."""
    prints = (fingerprint_of(hashes, uploader.id), fingerprint_of(hashes))
    return session.scalars(
        select(Capture.id).where(Capture.fingerprint.in_(prints), Capture.uploader_id == uploader.id)
    ).first()


def check_files(files: Sequence[tuple[str, bytes]], max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[CheckedFile]]:
    """Every refusal that does not need the database; returns (kind, files)."""
    if not files:
        raise IntakeError("没有选择文件 (no file uploaded)", code="no_files")
    checked: list[CheckedFile] = []
    for name, data in files:
        name = clean_name(name)
        if not data:
            raise IntakeError(f"文件为空：{name} (empty file)", code="empty")
        if len(data) > max_bytes:
            raise IntakeError(
                f"文件过大：{name}，{len(data) / 1048576:.1f} MB，上限 {max_bytes / 1048576:.0f} MB "
                f"(file too large)",
                code="too_large",
                status=413,
            )
        media_type = sniff(data)
        if media_type is None:
            raise IntakeError(
                f"不支持的文件类型：{name}（只接受录音或照片）(unsupported file type)",
                code="unknown_type",
                status=415,
            )
        checked.append(CheckedFile(name=name[:255], data=data, media_type=media_type, sha256=sha256_of(data)))
    kinds = {kind_of(f.media_type) for f in checked}
    if len(kinds) > 1:
        raise IntakeError("录音和照片请分开上传 (upload audio and photos separately)", code="mixed")
    kind = kinds.pop()
    if kind == "audio" and len(checked) > 1:
        raise IntakeError("一次只能上传一段录音 (one voice memo per upload)", code="too_many_audio")
    if kind == "pages" and len(checked) > MAX_PAGES:
        raise IntakeError(f"一次最多上传 {MAX_PAGES} 页 (too many pages)", code="too_many_pages")
    if len({f.sha256 for f in checked}) != len(checked):
        raise IntakeError("同一张照片选了两次 (the same file was chosen twice)", code="repeated_file")
    return kind, checked


def store_upload(
    session: Session,
    storage: Storage,
    uploader: User,
    files: Sequence[tuple[str, bytes]],
    captured_at: Optional[dt.datetime] = None,
    visit_date_hint: Optional[dt.date] = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Capture:
    """Check, store and record one upload (flushed; the caller commits). Raises IntakeError
    (DuplicateCapture); a refusal rolls the session back and removes the originals it stored.
    Originals of a transaction the caller then fails to commit are rowless: the housekeeping
    sweep removes them after its grace period."""
    return _store(session, storage, uploader, files, captured_at, visit_date_hint, max_bytes)[0]


def _store(session: Session, storage: Storage, uploader: User, files: Sequence[tuple[str, bytes]],
           captured_at: Optional[dt.datetime], visit_date_hint: Optional[dt.date],
           max_bytes: int) -> tuple[Capture, list[str]]:
    kind, checked = check_files(files, max_bytes)
    # The same bytes again are known by their hash: no decoding for a duplicate.
    existing = _own_duplicate(session, uploader, [f.sha256 for f in checked])
    if existing is not None:
        raise DuplicateCapture(existing)
    metadata_time: Optional[dt.datetime] = None
    if kind == "pages":
        for f in checked:
            _check_image(f.data, f.name)
        metadata_time = exif_time(checked[0].data)
    else:
        metadata_time = _probe_audio(checked[0].data, checked[0].name)
        _check_audio_length(checked[0].data, checked[0].name)

    fingerprint = fingerprint_of([f.sha256 for f in checked], uploader.id)
    existing = _own_duplicate(session, uploader, [f.sha256 for f in checked])
    if existing is not None:
        raise DuplicateCapture(existing)

    if captured_at is not None and captured_at.tzinfo is not None:
        captured_at = captured_at.astimezone(dt.timezone.utc).replace(tzinfo=None)

    stored_here: list[str] = []
    try:
        # The originals first: the rows below only ever point at complete files.
        for f in checked:
            if not storage.exists(f.sha256):
                storage.put(f.data)
                stored_here.append(f.sha256)
        capture = Capture(
            kind=kind,
            uploader=uploader,
            org_unit_id=uploader.org_unit_id,
            fingerprint=fingerprint,
            captured_at=captured_at or metadata_time,
            visit_date_hint=visit_date_hint,
            progress=0.0,
        )
        capture.files = [
            CaptureFile(position=i, sha256=f.sha256, media_type=f.media_type, size=len(f.data), original_name=f.name)
            for i, f in enumerate(checked)
        ]
        states.move(
            session, capture, CaptureStatus.RECEIVED, actor=uploader,
            after={
                "kind": kind,
                "files": [{"sha256": f.sha256, "media_type": f.media_type, "size": len(f.data), "name": f.name}
                          for f in checked],
                "captured_at": capture.captured_at,
                "captured_at_source": "client" if captured_at else ("metadata" if metadata_time else None),
                "visit_date_hint": visit_date_hint,
            },
        )
    except IntegrityError:
        # Another upload of the same bytes won the race.
        session.rollback()
        _remove(session, storage, stored_here)
        other = _own_duplicate(session, uploader, [f.sha256 for f in checked])
        if other is not None:
            raise DuplicateCapture(other)
        raise
    except OSError as exc:
        # The store refused the bytes (disk full, quota, S3 down): nothing of this upload is kept.
        session.rollback()
        _remove(session, storage, stored_here)
        log.error("storing an upload failed: %s", exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise IntakeError("服务器存储空间已满，上传未保存，请稍后再试并通知管理员 "
                              "(server storage is full: upload not stored)", code="storage_full", status=507) from exc
        raise IntakeError(f"服务器暂时无法保存原件，上传未保存，请稍后再试 (storage unavailable: {exc.strerror or exc})",
                          code="storage_unavailable", status=503) from exc
    except BaseException:
        session.rollback()
        _remove(session, storage, stored_here)
        raise
    log.info("capture %s received: %s, %d file(s)", capture.id, kind, len(checked))
    return capture, stored_here


def ingest(
    session: Session,
    storage: Storage,
    uploader: User,
    files: Sequence[tuple[str, bytes]],
    captured_at: Optional[dt.datetime] = None,
    visit_date_hint: Optional[dt.date] = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Capture:
    """Check, store and record one upload, and commit; no recognition is queued (for that,
    `capture.submit.submit`). Raises IntakeError (DuplicateCapture)."""
    capture, stored_here = _store(session, storage, uploader, files, captured_at, visit_date_hint, max_bytes)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        _remove(session, storage, stored_here)
        raise
    return capture


def _remove(session: Session, storage: Storage, hashes: list[str]) -> None:
    """Delete originals this call stored, unless a committed capture points at them
    (a concurrent upload of the same bytes)."""
    for sha in hashes:
        try:
            if session.scalars(select(CaptureFile.id).where(CaptureFile.sha256 == sha)).first() is None:
                storage.delete(sha)
        except Exception:  # pragma: no cover - best effort; the key is content-addressed
            log.exception("could not remove %s after a refused upload", sha)
