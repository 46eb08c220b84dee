"""What the recognizers are told, as frozen options the caller hands in (the job runner, the
CLI; openai-whisper's DecodingOptions is the model). The recognizers never read the
environment: the knobs, their variables and defaults are `core.settings`; `from_config` reads
the config mapping the composition root derived from them (keys SPEECH_*, MODEL_CACHE, …).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from core.settings import config_value, default

DEFAULT_ENGINE = "faster-whisper"  # by measurement: see recognize.speech
DEFAULT_MODEL = default("SPEECH_MODEL")
# None: the threshold fitted with the word-flag model (recognize/speech/flags.py).
FLAG_BELOW = default("SPEECH_FLAG_BELOW")


def model_cache(path: Optional[str | Path] = None) -> Path:
    """The folder model files are built into (MODEL_CACHE; default ~/.cache/minxin/models)."""
    return Path(path or default("MODEL_CACHE")).expanduser()


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None or value == "" else float(value)


@dataclass(frozen=True)
class SpeechOptions:
    engine: str = DEFAULT_ENGINE  # faster-whisper | openai-whisper
    model: str = DEFAULT_MODEL  # a size, or a CTranslate2 folder
    device: str = ""  # empty: CUDA when present, else CPU
    compute: str = ""  # CTranslate2 compute type; empty: float16 on CUDA, int8 on CPU (measured)
    threads: Optional[int] = None  # CPU threads per model; None: the cores, at most 8
    flag_below: Optional[float] = FLAG_BELOW  # words scoring lower are flagged; None: the fitted threshold
    base_prompt: bool = default("SPEECH_BASE_PROMPT")
    vocab_prompt: bool = default("SPEECH_VOCAB_PROMPT")
    hotwords: bool = default("SPEECH_HOTWORDS")
    correct: bool = default("SPEECH_CORRECT")  # the county-vocabulary corrector
    model_cache: Optional[Path] = None  # None: the default cache

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SpeechOptions":
        threads = config_value(config, "ASR_THREADS")
        cache = config_value(config, "MODEL_CACHE")
        return cls(
            engine=str(config_value(config, "SPEECH_ENGINE") or DEFAULT_ENGINE),
            model=str(config_value(config, "SPEECH_MODEL")),
            device=str(config_value(config, "SPEECH_DEVICE")),
            compute=str(config_value(config, "SPEECH_COMPUTE")),
            threads=int(threads) if threads else None,
            flag_below=_optional_float(config_value(config, "SPEECH_FLAG_BELOW")),
            base_prompt=bool(config_value(config, "SPEECH_BASE_PROMPT")),
            vocab_prompt=bool(config_value(config, "SPEECH_VOCAB_PROMPT")),
            hotwords=bool(config_value(config, "SPEECH_HOTWORDS")),
            correct=bool(config_value(config, "SPEECH_CORRECT")),
            model_cache=Path(cache) if cache else None,
        )


@dataclass(frozen=True)
class PageOptions:
    max_image_bytes: int = default("MAX_IMAGE_BYTES")  # larger photos are refused
    model_cache: Optional[Path] = None  # None: the default cache
    engine: str = ""  # ppocr-v6 | ppocr-v5; empty: the measured default (recognize.handwriting.read)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "PageOptions":
        cache = config_value(config, "MODEL_CACHE")
        return cls(max_image_bytes=int(config_value(config, "MAX_IMAGE_BYTES")),
                   model_cache=Path(cache) if cache else None,
                   engine=str(config_value(config, "HANDWRITING_ENGINE") or ""))
