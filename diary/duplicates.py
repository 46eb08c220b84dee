"""The same page (or memo) uploaded again, found for the review screen: another capture with a
file of the same bytes (another cadre, or before fingerprints were per uploader), or one whose
transcript says nearly the same (the page photographed again). Only captures the reviewer may
see, and not rejected ones, are named; the newest first."""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import Capture, CaptureFile
from diary.models import Transcript
from org.models import OrgUnit, User
from org.scope import scope_captures

SAME_TEXT = 0.85  # character-bigram overlap above which two transcripts are the same page
WINDOW = dt.timedelta(days=60)  # how far back a photographed-again page is looked for
CANDIDATES = 300  # the most recent captures of the township compared by text


@dataclass(frozen=True)
class Duplicate:
    capture: Capture
    why: str  # same_file | same_text
    similarity: float


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in unicodedata.normalize("NFKC", text or "") if ch.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


def overlap(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def _township(unit: OrgUnit) -> OrgUnit:
    return unit.parent if unit.level == "village" and unit.parent is not None else unit


def find_duplicates(session: Session, capture: Capture, viewer: User, *, limit: int = 5) -> list[Duplicate]:
    found: dict[int, Duplicate] = {}
    hashes = [f.sha256 for f in capture.files]
    if hashes:
        same = session.scalars(scope_captures(
            select(Capture).join(CaptureFile, CaptureFile.capture_id == Capture.id)
            .where(CaptureFile.sha256.in_(hashes), Capture.id != capture.id, Capture.status != "rejected"),
            viewer).order_by(Capture.received_at.desc()).limit(limit)).unique().all()
        for c in same:
            found[c.id] = Duplicate(c, "same_file", 1.0)
    text = capture.transcript.text if capture.transcript is not None else ""
    if len(_bigrams(text)) >= 8:
        area = _township(capture.org_unit)
        since = (capture.received_at or dt.datetime.utcnow()) - WINDOW
        rows = session.execute(scope_captures(
            select(Capture, Transcript.text).join(Transcript, Transcript.capture_id == Capture.id)
            .join(OrgUnit, OrgUnit.id == Capture.org_unit_id)
            .where(OrgUnit.path.startswith(area.path), Capture.id != capture.id, Capture.kind == capture.kind,
                   Capture.status != "rejected", Capture.received_at >= since),
            viewer).order_by(Capture.received_at.desc()).limit(CANDIDATES)).all()
        for other, other_text in rows:
            score = overlap(text, other_text)
            if score >= SAME_TEXT and other.id not in found:
                found[other.id] = Duplicate(other, "same_text", score)
    return sorted(found.values(), key=lambda d: d.capture.received_at or dt.datetime.min, reverse=True)[:limit]
