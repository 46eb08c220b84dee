"""A deterministic stand-in for Whisper and PaddleOCR, for fast unit tests ONLY.

Chosen by MINXIN_RECOGNIZER=fake. It reads the files, derives a diary text from their
SHA-256 (same bytes, same text), reports progress in steps, and can sleep `delay` seconds in
total so a test can kill the worker in the middle of a job. Files containing the marker
`FAKE-UNRECOGNIZABLE` raise RecognitionError (bad input); files containing `FAKE-CRASH` raise
RuntimeError (a recognizer bug), so tests can drive the failure and retry paths.

Nothing here claims recognition works: tests that do use the real models (marked `slow`).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Optional, Sequence

from recognize.transcript import Piece, ProgressCallback, RecognitionError, RecognizedText

ENGINE = "fake"
MODEL = "fake-1"

_PLACES = ("南荒沟村", "大古岭村", "步达远村", "石柱子村")
_PEOPLE = ("张大爷", "李婶", "王老汉", "赵大姐", "陈会计", "刘奶奶")
_PROBLEMS = (
    ("村里的路一下雨就泥泞，孩子上学不方便", "联系乡交通站，争取硬化道路项目", "道路桥梁"),
    ("自来水管冬天冻裂，吃水困难", "组织维修队入户检查管道并做保温", "饮水"),
    ("种的蓝莓销路不好，价格偏低", "对接县电商中心，拓宽销售渠道", "产业发展"),
    ("老房子墙体开裂，担心住着不安全", "上报危房改造，先安排临时住处", "住房"),
)
from recognize.extract.vocab import VISIT_METHODS as _METHODS  # noqa: E402


def _digest(paths: Sequence[Path]) -> bytes:
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.digest()


def transcribe_files(
    paths: Sequence[str | Path],
    kind: str,
    *,
    progress: Optional[ProgressCallback] = None,
    delay: float = 0.0,
    steps: int = 10,
    **_options,
) -> RecognizedText:
    if not paths:
        raise RecognitionError("没有可识别的文件 (no files to recognize)")
    if kind not in ("audio", "pages"):
        raise RecognitionError(f"未知的采集类型 {kind!r} (unknown capture kind)")
    paths = [Path(p) for p in paths]
    raw = b"".join(p.read_bytes() for p in paths)
    if b"FAKE-UNRECOGNIZABLE" in raw:
        raise RecognitionError("无法识别：测试用的坏输入 (unrecognizable test input)")
    if b"FAKE-CRASH" in raw:
        raise RuntimeError("fake recognizer crashed on purpose")
    started = time.monotonic()
    for i in range(steps):
        if delay:
            time.sleep(delay / steps)
        if progress:
            progress((i + 1) / steps)

    d = _digest(paths)
    place = _PLACES[d[0] % len(_PLACES)]
    person = _PEOPLE[d[1] % len(_PEOPLE)]
    problem, solution, _category = _PROBLEMS[d[2] % len(_PROBLEMS)]
    method = _METHODS[d[3] % len(_METHODS)]
    month, day = 1 + d[4] % 12, 1 + d[5] % 28
    sentences = [
        f"{month}月{day}日上午，到{place}{method}。",
        f"受访对象：{person}。",
        f"反映问题：{problem}。",
        f"解决思路：{solution}。",
        "心得体会：群众的事无小事，要多听多看。",
    ]
    pieces: list[Piece] = []
    if kind == "audio":
        t = 0.0
        for s in sentences:
            length = round(len(s) * 0.25, 2)
            pieces.append(Piece(text=s, confidence=0.9, start=round(t, 2), end=round(t + length, 2)))
            t += length
        return RecognizedText.join(pieces, sep="", engine=ENGINE, model=MODEL, language="zh",
                               seconds=time.monotonic() - started, duration=round(t, 2))
    per_page = max(1, -(-len(sentences) // len(paths)))
    for i, s in enumerate(sentences):
        page, line = divmod(i, per_page)
        page = min(page, len(paths) - 1)
        y = 100 + 80 * line
        pieces.append(Piece(text=s, confidence=0.85, page=page,
                            polygon=[[80, y], [900, y], [900, y + 60], [80, y + 60]]))
    return RecognizedText.join(pieces, sep="\n", engine=ENGINE, model=MODEL, language="zh",
                           seconds=time.monotonic() - started, page_sizes=[(1000, 1400)] * len(paths))
