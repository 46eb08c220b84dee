"""Voice-activity detection and windowing shared by both Whisper engines.

Whisper invents sentences on silence and noise ("谢谢观看", subtitle credits). Both engines
therefore only ever see audio that a VAD marked as speech:

1. an energy gate: a recording whose loudest part is below -50 dBFS is silence;
2. Silero VAD (the ONNX model shipped inside the faster-whisper wheel, the same one its
   ``vad_filter`` uses), with long speech runs split below 28 s;
3. speech regions are packed, in order, into windows of at most ``WINDOW_SECONDS`` of
   speech each (silence between them removed), one Whisper call per window. A 20-minute
   meeting is ~40 windows, each reported as progress; a memo of silence makes no call.

``Window.to_original`` maps a time inside the packed window back to the recording.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000
WINDOW_SECONDS = 29.0
# Peak below this (-50 dBFS) is treated as silence before any model runs.
SILENCE_PEAK = 10 ** (-50 / 20)
# Silence inserted between packed regions so Whisper hears a pause there.
GAP_SECONDS = 0.3
EDGE_SECONDS = 1.0


@dataclass
class Window:
    """Speech regions packed into one stretch of audio for one Whisper call."""

    regions: list[tuple[int, int]] = field(default_factory=list)  # sample ranges in the original

    def speech_samples(self) -> int:
        return sum(e - s for s, e in self.regions)

    def audio(self, source: np.ndarray) -> np.ndarray:
        gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = []
        for i, (s, e) in enumerate(self.regions):
            if i:
                parts.append(gap)
            parts.append(source[s:e])
        return np.concatenate(parts).astype(np.float32, copy=False)

    def to_original(self, t: float, *, is_end: bool = False) -> float:
        """Seconds inside the packed window -> seconds in the original recording."""
        gap = int(GAP_SECONDS * SAMPLE_RATE)
        pos = int(round(t * SAMPLE_RATE))
        cursor = 0
        for i, (s, e) in enumerate(self.regions):
            length = e - s
            if i:
                if pos < cursor + gap:  # inside an inserted pause
                    prev_end = self.regions[i - 1][1]
                    return (prev_end if is_end else s) / SAMPLE_RATE
                cursor += gap
            if pos <= cursor + length:
                return (s + max(0, pos - cursor)) / SAMPLE_RATE
            cursor += length
        return self.regions[-1][1] / SAMPLE_RATE


def speech_regions(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """Sample ranges of speech in ``audio`` (16 kHz mono float32); [] for silence."""
    if audio.size == 0 or float(np.max(np.abs(audio))) < SILENCE_PEAK:
        return []
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    # faster-whisper's own vad_filter defaults (2 s of silence ends a region, 0.4 s of
    # padding): splitting at shorter pauses measurably hurt (the meeting clip went from
    # CER 0.28 to 0.40 when cut at 0.5 s pauses: Whisper loses the context of the clause).
    options = VadOptions(
        threshold=0.5,
        min_speech_duration_ms=250,
        max_speech_duration_s=28.0,
        min_silence_duration_ms=2000,
        speech_pad_ms=400,
    )
    stamps = get_speech_timestamps(audio, options, sampling_rate=sample_rate)
    regions = [(int(s["start"]), int(s["end"])) for s in stamps if s["end"] > s["start"]]
    # Silero misses a short first word said right at the start ("好，首先…"): a region that
    # begins or ends within EDGE_SECONDS of the recording's edge is extended to it.
    edge = int(EDGE_SECONDS * sample_rate)
    if regions and regions[0][0] < edge:
        regions[0] = (0, regions[0][1])
    if regions and len(audio) - regions[-1][1] < edge:
        regions[-1] = (regions[-1][0], len(audio))
    return regions


def pack_windows(
    regions: list[tuple[int, int]], *, window_seconds: float = WINDOW_SECONDS
) -> list[Window]:
    """Group consecutive regions into windows of at most ``window_seconds`` of audio."""
    limit = int(window_seconds * SAMPLE_RATE)
    gap = int(GAP_SECONDS * SAMPLE_RATE)
    windows: list[Window] = []
    current = Window()
    used = 0
    for s, e in regions:
        # Split anything longer than a window (Silero's max_speech_duration_s should
        # already have; this keeps the invariant for any caller).
        while e - s > limit:
            if current.regions:
                windows.append(current)
                current, used = Window(), 0
            windows.append(Window([(s, s + limit)]))
            s += limit
        need = (e - s) + (gap if current.regions else 0)
        if current.regions and used + need > limit:
            windows.append(current)
            current, used = Window(), 0
            need = e - s
        current.regions.append((s, e))
        used += need
    if current.regions:
        windows.append(current)
    return windows
