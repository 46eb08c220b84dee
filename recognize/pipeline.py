"""One entry point for the job runner and the CLI: the right recognizer for a capture's kind."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from recognize.options import PageOptions, SpeechOptions
from recognize.transcript import ModelMissing, ProgressCallback, RecognitionError, Transcript


def transcribe_files(
    paths: Sequence[str | Path],
    kind: str,
    *,
    progress: Optional[ProgressCallback] = None,
    speech: Optional[SpeechOptions] = None,
    pages: Optional[PageOptions] = None,
    **options,
) -> Transcript:
    """`speech` / `pages`: the deployment's options for that recognizer (recognize.options);
    `options`: per-call arguments of transcribe_audio (engine, model, vocabulary, max_seconds)."""
    if not paths:
        raise RecognitionError("没有可识别的文件 (no files to recognize)")
    if kind == "audio":
        try:
            from recognize.speech import transcribe_audio
        except ImportError as exc:
            raise ModelMissing(f"语音识别未安装（{exc}），请运行 make setup，然后运行 `minxin requeue` "
                               f"(speech recognition is not installed)") from exc

        return transcribe_audio(paths[0], progress=progress, options=speech, **options)
    if kind == "pages":
        from recognize.handwriting import read_pages

        return read_pages(list(paths), progress=progress, options=pages, **options)
    raise RecognitionError(f"未知的采集类型 {kind!r} (unknown capture kind)")
