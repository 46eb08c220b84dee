"""Training the county's extractor model from its confirmed entries (recognize/extract/learn.py).

Every confirmed diary entry is an example: the transcript it came from and the fields the
supervisor kept (a supervisor's span fixes included).  It trains the clause and category
models, and the county's own sequence model and calibration (``fitting.fit_county``: the base
notes shipped with the package plus these entries).  One model per county, stored in the instance folder
(``<instance>/extractor/county-<id>.pkl`` beside a JSON note of its accuracies), so the
training data never leaves the deployment.  Training is skipped when the confirmed entries
have not changed since the stored model was trained.  ``minxin train-extractor`` runs it; the
embedded worker runs it once a day, Celery beat (``jobs.celery_app``) at scale.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import Capture
from core import audit
from core.periodic import Periodic
from core.settings import Settings
from diary.context import build_gazetteer, units_under, visit_moment
from diary.models import DiaryEntry
from org.models import OrgUnit
from recognize.extract import extract_entry, fitting, learn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    county: str
    examples: int
    skipped: bool  # nothing changed since the stored model
    fields: tuple[str, ...]  # the fields the model now proposes
    accuracy: dict


_model_dir: Optional[Path] = None


def use_model_dir(path: Optional[str | Path]) -> None:
    """Where this process keeps the models (EXTRACTOR_DIR of the settings the composition root
    hands in: MINXIN_EXTRACTOR_DIR, else the instance folder's extractor/)."""
    global _model_dir
    _model_dir = Path(path) if path else None


def model_dir() -> Path:
    """Where the models live (`use_model_dir`; before that, the default: ./instance/extractor)."""
    if _model_dir is not None:
        return _model_dir
    return Settings.from_env({}).extractor_dir


def model_path(county: OrgUnit) -> Path:
    return model_dir() / f"county-{county.id}.pkl"


def model_for(county: OrgUnit) -> Optional[learn.Trained]:
    """The county's trained model, or None (the rules alone)."""
    return learn.load(model_path(county))


def confirmed_examples(session: Session, county: OrgUnit) -> list[learn.Example]:
    """The county's confirmed entries with their transcripts, as training examples."""
    unit_ids = [u.id for u in units_under(session, county)]
    rows = session.scalars(
        select(DiaryEntry).join(Capture, DiaryEntry.capture_id == Capture.id)
        .where(DiaryEntry.status == "confirmed", DiaryEntry.org_unit_id.in_(unit_ids))
        .order_by(DiaryEntry.id)
    )
    out = []
    for entry in rows:
        capture = entry.capture
        text = capture.transcript.text if capture is not None and capture.transcript is not None else ""
        if not text.strip():
            continue
        out.append(learn.Example(
            text, visit_moment(capture).isoformat(timespec="seconds"),
            {"problem": entry.problem or "", "solution": entry.solution or "",
             "reflections": entry.reflections or "", "category": entry.category or "其他",
             # the facts too: the county's calibration learns how often each is right
             "visit_date": entry.visit_date.isoformat() if entry.visit_date else None,
             "place": entry.place or "", "interviewee": entry.interviewee or "",
             "visit_method": entry.visit_method or ""},
        ))
    return out


def train_county(session: Session, county: OrgUnit, *, force: bool = False) -> TrainResult:
    """Train (or skip) the county's model; audited as ``extractor.train``.  The caller commits."""
    examples = confirmed_examples(session, county)
    path = model_path(county)
    fp = learn.fingerprint(examples)
    current = learn.load(path)
    if not force and current is not None and learn.stored_fingerprint(path) == fp:
        return TrainResult(county.name, len(examples), True, current.fields(), current.accuracy)
    gazetteer = build_gazetteer(session, county)

    def rules(ex: learn.Example) -> dict:
        return extract_entry(ex.text, ex.now, gazetteer, reading=False).to_dict()

    trained = fitting.fit_county(learn.train(examples, rules), examples, rules)
    learn.save(trained, path)
    audit.record(session, "extractor.train", county,
                 after={"examples": len(examples), "fields": list(trained.fields()), "accuracy": trained.accuracy})
    session.flush()
    return TrainResult(county.name, len(examples), False, trained.fields(), trained.accuracy)


def counties(session: Session) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)))


def train_all(session: Session, *, force: bool = False) -> list[TrainResult]:
    return [train_county(session, c, force=force) for c in counties(session)]


# --- the schedule ------------------------------------------------------------------------------
DAY = 24 * 3600.0


class DailyTrainer(Periodic):
    """Trains every county's model once a day in the embedded worker's process (a daemon
    thread; the first run a minute after start so that start-up stays quick)."""

    def __init__(self, session_factory, *, every: float = DAY, first_after: float = 60.0):
        super().__init__("minxin-train-extractor", every=every, first_after=first_after)
        self.session_factory = session_factory

    def run_once(self) -> list[TrainResult]:
        session = self.session_factory()
        try:
            results = train_all(session)
            session.commit()
            return results
        except Exception:
            session.rollback()
            log.exception("extractor training failed")
            return []
        finally:
            session.close()


def describe(result: TrainResult) -> str:
    if result.skipped:
        return f"{result.county}: {result.examples} 条已确认日记，未变化，跳过 (unchanged, skipped)"
    acc = ", ".join(
        f"{f} 规则 {a['rules']:.0%} / 模型 {a['model']:.0%}" if a.get("model") is not None else f"{f} 规则 {a['rules']:.0%}"
        for f, a in result.accuracy.items())
    used = "、".join(result.fields) or "无 (none)"
    return f"{result.county}: {result.examples} 条已确认日记 (confirmed entries); {acc}; 采用模型的字段 (model used for): {used}"
