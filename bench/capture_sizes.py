"""Smaller uploads without worse recognition: what the capture page's resizing and Opus cost.

    python bench/capture_sizes.py [--photos] [--audio]

Photos: the capture page shrinks a photo so its long side is at most L px (JPEG q 0.85)
before upload. Which L is safe depends on how tall the handwriting ends up, so each real line
of ../shared/eval/handwriting is shrunk to a line height h (never enlarged) and read by the
project's recognizer (recognize.handwriting.read_pages), on a margin of its own paper; CER per h, side by side with the
lines as photographed. A whole notebook page holds at most about PAGE_LINES text-line heights
along its long side (ruled lines, gaps and margins), so the long side the page needs is
h x PAGE_LINES: the smallest h whose CER does not rise gives the L the browser resizes to.

Audio: each real clip of ../shared/eval/audio is re-encoded as Opus in WebM (PyAV, the
container and codec Chromium's MediaRecorder writes) at 24, 32, 48 and 64 kbit/s and transcribed by the
project's default speech engine; CER and bytes before and after.

The models run on a shared CPU: only CER and bytes are reported, no timings.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SHARED = Path(os.environ.get("MINXIN_SHARED_DIR") or ROOT.parent / "shared") / "eval"
# 30 ruled lines on an A5 page at 1.25 line heights each, plus the margins: about 40 heights.
PAGE_LINES = 40
LINE_HEIGHTS = (None, 64, 48, 40, 32, 24)  # None: as photographed
OPUS_RATES = (64000, 48000, 32000, 24000)


def _on_paper(img):
    """The line as it lies on its page: a margin of one line height of the paper around it (the
    crops are tight, and a photo of a page has paper between the lines)."""
    import numpy as np
    from PIL import ImageOps

    a = np.asarray(img)
    edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    paper = tuple(int(v) for v in np.median(edge, axis=0))
    return ImageOps.expand(img, border=(img.height // 2, img.height, img.height // 2, img.height), fill=paper)


def bench_photos() -> None:
    from ocr import edit_distance, normalise
    from PIL import Image

    from core.settings import Settings
    from recognize.handwriting import read as handwriting
    from recognize.options import PageOptions

    options = PageOptions.from_config(Settings.from_env().as_config())  # MINXIN_MODEL_CACHE, …

    folder = SHARED / "handwriting"
    items = [(p, p.with_suffix(".txt").read_text(encoding="utf-8"))
             for p in sorted(folder.glob("*.jpg")) if p.with_suffix(".txt").exists()] if folder.is_dir() else []
    if not items:
        raise SystemExit(f"no real handwriting in {SHARED / 'handwriting'}")
    heights = sorted(Image.open(p).height for p, _ in items)
    print(f"{len(items)} real lines, heights {heights[0]}-{heights[-1]} px (median {heights[len(heights) // 2]})")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for h in LINE_HEIGHTS:
            errors = chars = size = 0
            for path, ref in items:
                with Image.open(path) as img:
                    img = img.convert("RGB")
                    if h is not None and img.height > h:
                        img = img.resize((max(1, round(img.width * h / img.height)), h), Image.LANCZOS)
                    img = _on_paper(img)
                    buf = io.BytesIO()
                    img.save(buf, "JPEG", quality=85)
                out = Path(tmp) / f"{h}-{path.stem}.jpg"
                out.write_bytes(buf.getvalue())
                size += len(buf.getvalue())
                hyp = handwriting.read_pages([out], options=options).text
                errors += edit_distance(normalise(ref), normalise(hyp))
                chars += len(normalise(ref))
            rows.append((h, errors / max(1, chars), size))
    base = rows[0][1]
    print(f"{'line height':>14} {'page long side':>15} {'CER':>7} {'JPEG bytes (all lines)':>23} {'saved':>7}")
    for h, c, size in rows:
        label = "as taken" if h is None else f"<= {h} px"
        side = "-" if h is None else f"{h * PAGE_LINES} px"
        print(f"{label:>14} {side:>15} {c:7.2%} {size:>23,} {1 - size / rows[0][2]:7.1%}")
    safe = [h for h, c, _ in rows[1:] if c <= base + 1e-9]
    # The smallest height before the first one that reads worse.
    keep = None
    for h, c, _ in rows[1:]:
        if c > base + 1e-9:
            break
        keep = h
    if keep:
        print(f"CER does not rise down to {keep} px line height: long side {keep * PAGE_LINES} px suffices "
              f"(safe heights: {safe})")
    else:
        print("CER rises at the first step: keep photos at full size")


def _opus(src: Path, rate: int) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(str(src)) as inp, av.open(out, "w", format="webm") as dst:
        stream = dst.add_stream("libopus", rate=48000)
        stream.bit_rate = rate
        stream.layout = "mono"
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in inp.decode(audio=0):
            frame.pts = None
            for f in resampler.resample(frame):
                for packet in stream.encode(f):
                    dst.mux(packet)
        for f in resampler.resample(None):
            for packet in stream.encode(f):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return out.getvalue()


def bench_audio() -> None:
    os.environ.setdefault("MINXIN_SHARED_DIR", str(SHARED.parent))
    from asr import corpus_cer, load_manifest

    from core.settings import Settings
    from recognize.speech import transcribe as speech
    from recognize.options import SpeechOptions
    from recognize.speech.text import edit_distance, normalize_for_cer

    options = SpeechOptions.from_config(Settings.from_env().as_config())  # MINXIN_SPEECH_*

    rows = load_manifest()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("original WAV", None)] + [(f"Opus {r // 1000} kbit/s", r) for r in OPUS_RATES]
        for label, rate in variants:
            pairs, size = [], 0
            for row in rows:
                src = Path(row["path"])
                if rate is None:
                    path, n = src, src.stat().st_size
                else:
                    data = _opus(src, rate)
                    path = Path(tmp) / f"{src.stem}-{rate}.webm"
                    path.write_bytes(data)
                    n = len(data)
                size += n
                pairs.append((speech.transcribe_audio(path, options=options).text, row["reference"]))
            results[label] = (corpus_cer(pairs), size)
            errs = [edit_distance(normalize_for_cer(h), normalize_for_cer(r)) for h, r in pairs]
            print(f"  {label}: errors per clip {errs}", flush=True)
    base_size = results["original WAV"][1]
    print(f"{len(rows)} real clips, engine {speech.default_engine(options)} {speech.default_model(options)}")
    print(f"{'encoding':>16} {'CER':>7} {'bytes':>10} {'saved':>8}")
    for label, (c, size) in results.items():
        print(f"{label:>16} {c:7.2%} {size:>10,} {1 - size / base_size:8.1%}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", action="store_true")
    ap.add_argument("--audio", action="store_true")
    args = ap.parse_args(argv)
    both = not (args.photos or args.audio)
    if args.photos or both:
        bench_photos()
    if args.audio or both:
        bench_audio()


if __name__ == "__main__":
    main()
