"""Voice-activity detection and windowing shared by both Whisper engines.

Whisper invents sentences on silence and noise ("谢谢观看", subtitle credits). Both engines
therefore only ever see audio that a VAD marked as speech:

1. an energy gate: a recording whose loudest part is below -50 dBFS is silence;
2. Silero VAD (the ONNX model shipped inside the faster-whisper wheel, the same one its
   ``vad_filter`` uses), with long speech runs split below 28 s;
3. consecutive speech regions are grouped into windows of the recording spanning at most
   ``WINDOW_SECONDS`` (audio kept as recorded), one Whisper call per window; silence
   between windows is skipped. A 20-minute meeting is ~40 windows, each reported as
   progress; a memo of silence makes no call.

``Window.to_original`` maps a time inside a window back to the recording.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000
WINDOW_SECONDS = 29.0
# Peak below this (-50 dBFS) is treated as silence before any model runs.
SILENCE_PEAK = 10 ** (-50 / 20)
EDGE_SECONDS = 1.0


@dataclass
class Window:
    """A stretch of the original recording, <= WINDOW_SECONDS, for one Whisper call.

    The audio is kept as recorded, pauses included: splicing speech regions together made
    Whisper stop after the first splice (it took the cut for the end of the recording).
    Long silences between windows are what gets skipped.
    """

    start: int  # samples
    end: int
    regions: list[tuple[int, int]] = field(default_factory=list)  # speech inside, samples

    def speech_samples(self) -> int:
        return sum(e - s for s, e in self.regions)

    def audio(self, source: np.ndarray) -> np.ndarray:
        return source[self.start : self.end].astype(np.float32, copy=False)

    def to_original(self, t: float) -> float:
        """Seconds inside the window -> seconds in the original recording."""
        return min(self.end, self.start + max(0.0, t) * SAMPLE_RATE) / SAMPLE_RATE

    def rest_after(self, t: float, *, min_speech: float = 2.0) -> "Window | None":
        """The part of this window after ``t`` seconds, if it still holds speech Whisper
        has not transcribed (it sometimes stops early in a window)."""
        cut = self.start + int(t * SAMPLE_RATE)
        rest = [(max(s, cut), e) for s, e in self.regions if e > cut]
        if sum(e - s for s, e in rest) < min_speech * SAMPLE_RATE:
            return None
        return Window(rest[0][0], self.end, rest)


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
    # Silero (as packaged in faster-whisper 1.2) misses some short utterances depending on
    # where they fall in the recording (a 1.8 s clip found at 10 s and 611 s, missed at
    # 100 s and 610 s). Loud stretches well above the noise floor are added back; Whisper's
    # no-speech probability and the clean-up then decide what they hold.
    regions = _merge(regions + energy_regions(audio, sample_rate=sample_rate))
    # Silero misses a short first word said right at the start ("好，首先…"): a region that
    # begins or ends within EDGE_SECONDS of the recording's edge is extended to it.
    edge = int(EDGE_SECONDS * sample_rate)
    if regions and regions[0][0] < edge:
        regions[0] = (0, regions[0][1])
    if regions and len(audio) - regions[-1][1] < edge:
        regions[-1] = (regions[-1][0], len(audio))
    return regions


def energy_regions(
    audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE, frame_ms: int = 30
) -> list[tuple[int, int]]:
    """Stretches >= 0.3 s at least 15 dB above the recording's noise floor (and above
    -45 dBFS), padded by 0.3 s. Stationary noise (hiss, hum) never qualifies."""
    frame = sample_rate * frame_ms // 1000
    n = len(audio) // frame
    if n == 0:
        return []
    power = (audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2).mean(axis=1)
    db = 10 * np.log10(power + 1e-12)
    floor = float(np.percentile(db, 10))
    active = db > max(floor + 15.0, -45.0)
    out: list[tuple[int, int]] = []
    i = 0
    min_frames, pad = int(300 / frame_ms), int(0.3 * sample_rate)
    while i < n:
        if not active[i]:
            i += 1
            continue
        j = i
        while j < n and (active[j] or active[j : j + min_frames].any()):
            j += 1
        if j - i >= min_frames:
            out.append((max(0, i * frame - pad), min(len(audio), j * frame + pad)))
        i = j
    return out


def _merge(regions: list[tuple[int, int]], gap: int = int(0.5 * SAMPLE_RATE)) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(regions):
        if merged and s <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def pack_windows(
    regions: list[tuple[int, int]], *, window_seconds: float = WINDOW_SECONDS
) -> list[Window]:
    """Group consecutive regions into windows spanning at most ``window_seconds``."""
    limit = int(window_seconds * SAMPLE_RATE)
    windows: list[Window] = []
    current: Window | None = None
    for s, e in regions:
        while e - s > limit:  # Silero's max_speech_duration_s should prevent this
            if current:
                windows.append(current)
                current = None
            windows.append(Window(s, s + limit, [(s, s + limit)]))
            s += limit
        if current and e - current.start <= limit:
            current.end = e
            current.regions.append((s, e))
            continue
        if current:
            windows.append(current)
        current = Window(s, e, [(s, e)])
    if current:
        windows.append(current)
    return windows
