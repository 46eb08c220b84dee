"""The recognition pipeline: validate -> transcribe -> extract -> PII, one typed result.

`recognize_files(paths, kind, context, ...) -> Recognition` runs the stages in order on a
capture's files; `recognize_transcript(transcript, context)` runs extract and PII on a
transcript in hand. Nothing here touches a database: what the extractor needs of the county
(its org tree and cadres, the learned model, the moment relative dates count from) comes in
as an `ExtractionContext` read beforehand, so the caller can run the long recognition with no
transaction open and write the `Recognition` afterwards in one short one.

`transcribe_files(paths, kind, **kw) -> RecognizedText` (validate and transcribe only) is the entry
point of the CLI's `minxin transcribe` and the default transcriber.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Optional, Sequence

from recognize import privacy
from recognize.extract import Extraction, Gazetteer, calibrate_pii, extract_entry, pii_known
from recognize.options import PageOptions, SpeechOptions
from recognize.transcript import ModelMissing, ProgressCallback, RecognitionError, RecognizedText

KINDS = ("audio", "pages")

# (paths, kind, progress, vocabulary) -> RecognizedText: the models, or recognize.fake in tests.
Transcriber = Callable[..., RecognizedText]


@dataclass(frozen=True)
class OrgSnapshot:
    """The county's org tree as the extractor's gazetteer needs it, read before recognition:
    units `(name, level, parent_name)` and the cadres' display names."""

    units: tuple[tuple[str, str, Optional[str]], ...] = ()
    cadre_names: tuple[str, ...] = ()

    def gazetteer(self) -> Gazetteer:
        return Gazetteer(list(self.units), list(self.cadre_names))


@dataclass(frozen=True)
class ExtractionContext:
    """What the extract stage reads a transcript against."""

    org: OrgSnapshot
    # Local time (China) relative dates (今天, 昨天, 上周三) are counted from.
    now: dt.datetime
    # The county's learned model (`recognize.extract.learn.Trained`), or None for the rules alone.
    model: Any = None


@dataclass(frozen=True)
class EntryFields:
    """The draft's fields as the extractor proposed them; `visit_date` is a date."""

    visit_date: Optional[dt.date] = None
    visit_time: Optional[str] = None
    place: Optional[str] = None  # as the diary writes it: village and group (南荒沟村三组)
    place_village: Optional[str] = None  # the village alone, for the org tree
    place_township: Optional[str] = None
    place_group: Optional[str] = None
    place_known: bool = False
    interviewee: str = ""
    visit_method: str = ""
    problem: str = ""
    solution: str = ""
    reflections: str = ""
    category: str = ""
    confidence: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    evidence: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))
    proposed_by: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # the fields whose calibrated confidence is below the review threshold
    review: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recognition:
    """One capture recognized: what the job writes (transcript rows, the draft entry)."""

    transcript: RecognizedText
    extraction: EntryFields
    pii: tuple[str, ...] = ()
    # Things a reviewer may want to know that are not errors (logged by the job).
    warnings: tuple[str, ...] = ()


# --- stages ------------------------------------------------------------------------------------


def validate(paths: Sequence[str | Path], kind: str) -> None:
    """Input no recognizer can take: RecognitionError with the message shown on the capture."""
    if not paths:
        raise RecognitionError("没有可识别的文件 (no files to recognize)")
    if kind not in KINDS:
        raise RecognitionError(f"未知的采集类型 {kind!r} (unknown capture kind)")


def _models(paths: Sequence[str | Path], kind: str, progress: Optional[ProgressCallback] = None,
            vocabulary=()) -> RecognizedText:
    """The default transcriber: the real models, with the county's vocabulary for speech."""
    options = {"vocabulary": vocabulary} if vocabulary and kind == "audio" else {}
    return transcribe_files(paths, kind, progress=progress, **options)


def transcribe(paths: Sequence[str | Path], kind: str, *, transcriber: Optional[Transcriber] = None,
               progress: Optional[ProgressCallback] = None, vocabulary=()) -> RecognizedText:
    return (transcriber or _models)(list(paths), kind, progress, vocabulary)


def extract(text: str, context: ExtractionContext) -> EntryFields:
    """The entry's fields from the transcript text (PII is the next stage's)."""
    ex = extract_entry(text, context.now, context.org.gazetteer(), model=context.model, with_pii=False)
    return _typed(ex)


def find_pii(text: str, fields: EntryFields) -> tuple[str, ...]:
    """PII in the transcript; the interviewee always counts."""
    return tuple(privacy.find_pii(text, known=pii_known(fields)))


def _typed(ex: Extraction) -> EntryFields:
    return EntryFields(
        # The extractor writes the date as ISO for `minxin extract --json`; typed once, here.
        visit_date=dt.date.fromisoformat(ex.visit_date) if ex.visit_date else None,
        visit_time=ex.visit_time,
        place=ex.place,
        place_village=ex.place_village,
        place_township=ex.place_township,
        place_group=ex.place_group,
        place_known=ex.place_known,
        interviewee=ex.interviewee,
        visit_method=ex.visit_method,
        problem=ex.problem,
        solution=ex.solution,
        reflections=ex.reflections,
        category=ex.category,
        confidence=MappingProxyType(dict(ex.confidence)),
        evidence=MappingProxyType({k: (int(v[0]), int(v[1])) for k, v in ex.evidence.items()}),
        proposed_by=MappingProxyType(dict(ex.proposed_by)),
        review=tuple(ex.review),
    )


def _with_pii_confidence(fields: EntryFields, found: Sequence[str], model=None) -> EntryFields:
    # The draft carries the detector's confidence beside the fields', calibrated the same way.
    conf, doubt = calibrate_pii(found, fields.interviewee, model)
    return replace(fields, confidence=MappingProxyType({**fields.confidence, "pii": conf}),
                   review=fields.review + (("pii",) if doubt else ()))


def _warnings(transcript: RecognizedText, fields: EntryFields) -> tuple[str, ...]:
    out = []
    if not transcript.text.strip():
        out.append("没有识别出文字 (no text recognized)")
    if "visit_date" not in fields.evidence:
        out.append("文中没有走访日期，暂用采集日期 (no visit date in the text: the capture's date is proposed)")
    if fields.place and not fields.place_known:
        out.append(f"地点 {fields.place} 不在组织架构中 (place not in the org tree)")
    return tuple(out)


# --- the pipeline --------------------------------------------------------------------------------


def recognize_transcript(transcript: RecognizedText, context: ExtractionContext) -> Recognition:
    """Extract and PII on a transcript in hand (tests, a transcript from elsewhere)."""
    fields = extract(transcript.text, context)
    found = find_pii(transcript.text, fields)
    fields = _with_pii_confidence(fields, found, context.model)
    return Recognition(transcript=transcript, extraction=fields, pii=found,
                       warnings=_warnings(transcript, fields))


def recognize_files(
    paths: Sequence[str | Path],
    kind: str,
    context: ExtractionContext,
    *,
    transcriber: Optional[Transcriber] = None,
    progress: Optional[ProgressCallback] = None,
    vocabulary=(),
) -> Recognition:
    """validate -> transcribe -> extract -> PII. Raises RecognitionError for input that cannot
    be recognized, ModelMissing when a model is not installed."""
    validate(paths, kind)
    transcript = transcribe(paths, kind, transcriber=transcriber, progress=progress, vocabulary=vocabulary)
    return recognize_transcript(transcript, context)


def transcribe_files(
    paths: Sequence[str | Path],
    kind: str,
    *,
    progress: Optional[ProgressCallback] = None,
    speech: Optional[SpeechOptions] = None,
    pages: Optional[PageOptions] = None,
    **options,
) -> RecognizedText:
    """`speech` / `pages`: the deployment's options for that recognizer (recognize.options);
    `options`: per-call arguments of transcribe_audio (engine, model, vocabulary, max_seconds)."""
    validate(paths, kind)
    if kind == "audio":
        try:
            from recognize.speech import transcribe_audio
        except ImportError as exc:
            raise ModelMissing(f"语音识别未安装（{exc}），请运行 make setup，然后运行 `minxin requeue` "
                               f"(speech recognition is not installed)") from exc

        return transcribe_audio(paths[0], progress=progress, options=speech, **options)
    from recognize.handwriting import read_pages

    return read_pages(list(paths), progress=progress, options=pages, **options)
