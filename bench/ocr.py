"""Handwriting OCR benchmark: character error rate and seconds per image, per route.

    python bench/ocr.py [--pages 6] [--cleanup-study]

Routes, all on the same images in the same run:
- `project (production)`: recognize.handwriting.read_pages as shipped (padding, strips,
  reading order, merging, page turning; the cleanup steps that measured to help);
- `project + all cleanup`: the same with every cleanup step of recognize.pages switched on;
- `stock PaddleOCR v5`: PaddleOCR det + rec constructed as plainly as runs offline (same v5
  model folders, its own defaults otherwise: no resizing limit, text-line orientation on);
- `stock v5 rec alone`: PaddleOCR's TextRecognition on the whole picture, for the line
  images only (on a page it has no meaning);
- `PP-OCRv4 (rapidocr)`: rapidocr-onnxruntime with its bundled PP-OCRv4 mobile models.

Inputs: pages rendered by samples/make_pages.py into a temporary folder (seeds and texts
other than the samples'), as a regression set: ruled as most are, ruled closely (1.25
character heights), skewed 11-15 degrees (every other one on squared paper) and printed
forms with a header and a label column (every other one tilted); and the real,
camera-captured handwritten lines in ../shared/eval/handwriting/ (`NAME.jpg` with its
reference text in `NAME.txt`). `--cleanup-study` also runs each cleanup step against production
(switched on alone, or pad/upscale left out) on the ordinary rendered pages and the real
lines, plus pages turned 90° and 180°.

CER = edit distance / reference length, after NFKC (full-width punctuation becomes
ASCII), traditional -> simplified and removing all whitespace (the real lines also ignore
punctuation, as their README says); each route's lines are joined in the order it returns
them, so reading order counts. `empty`: images with text that came back with none.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402
from recognize.handwriting import pages  # noqa: E402
from recognize.handwriting import read as handwriting
from recognize.options import PageOptions  # noqa: E402

# The deployment's page options (MINXIN_MODEL_CACHE, MINXIN_MAX_IMAGE_BYTES, through core.settings).
OPTIONS = PageOptions.from_config(Settings.from_env().as_config())

# MINXIN_SHARED_DIR, else ../shared beside the checkout (a worktree one level deeper finds
# it a level up)
REAL_DIR = next((d / "eval" / "handwriting" for d in
                 ([Path(os.environ["MINXIN_SHARED_DIR"])] if os.environ.get("MINXIN_SHARED_DIR") else [])
                 + [ROOT.parent / "shared", ROOT.parent.parent / "shared"]
                 if (d / "eval" / "handwriting").is_dir()),
                ROOT.parent / "shared" / "eval" / "handwriting")
FIRST_BENCH_SEED = 1001  # samples/pages use seeds 1..3
CLOSE_BENCH_SEED = 3001
SKEWED_BENCH_SEED = 4001
FORM_BENCH_SEED = 5101


def normalise(text: str, punctuation: bool = True) -> str:
    text = handwriting.to_simplified(unicodedata.normalize("NFKC", text))
    if not punctuation:  # how the real lines are scored (their README): marks ignored
        return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZ" and not ch.isspace())
    return "".join(text.split())


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))


def render_bench_pages(folder: Path, n: int, first_seed: int = FIRST_BENCH_SEED, out_long: int = 2400,
                       line_gap: float | None = None, **kinds) -> list[tuple[Path, str]]:
    """`kinds`: per-seed page options for samples.make_pages.render_page (tilt, grid, form),
    each a function of the seed."""
    from samples.make_pages import render_page, to_jpeg

    out = []
    for seed in range(first_seed, first_seed + n):
        extra = {k: f(seed) for k, f in kinds.items()}
        img, lines = render_page(seed, out_long=out_long, line_gap=line_gap, **extra)
        path = folder / f"bench_{seed}{'' if line_gap is None else '_close'}.jpg"
        path.write_bytes(to_jpeg(img, seed))
        out.append((path, "\n".join(lines)))
    return out


def real_pages() -> list[tuple[Path, str]]:
    if not REAL_DIR.is_dir():
        return []
    out = []
    for img in sorted(REAL_DIR.iterdir()):
        ref = img.with_suffix(".txt")
        if img.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".heic") and ref.exists():
            out.append((img, ref.read_text(encoding="utf-8")))
    return out


def route_project(cleanup: pages.Cleanup):
    def run(path: Path) -> str:
        return handwriting.read_pages_with([path], cleanup, options=OPTIONS).text
    return run


def route_stock():
    from paddleocr import PaddleOCR

    dirs = handwriting.ensure_models(OPTIONS.model_cache)
    ocr = PaddleOCR(
        text_detection_model_name=handwriting.DET_MODEL,
        text_detection_model_dir=str(dirs[handwriting.DET_MODEL]),
        text_recognition_model_name=handwriting.REC_MODEL,
        text_recognition_model_dir=str(dirs[handwriting.REC_MODEL]),
        textline_orientation_model_name=handwriting.ORI_MODEL,
        textline_orientation_model_dir=str(dirs[handwriting.ORI_MODEL]),
        # the two document models are not shipped in any wheel: off, everything else default
        use_doc_orientation_classify=False,
        use_doc_unwarping=False,
        engine="onnxruntime",
    )

    def run(path: Path) -> str:
        return "\n".join(ocr.predict(str(path))[0]["rec_texts"])
    return run


def route_stock_rec_alone():
    """Stock PaddleOCR's recognizer alone on the whole picture (no detection): what a user
    of PaddleOCR would run on an image that is one line. Pages get no figure."""
    from paddleocr import TextRecognition

    dirs = handwriting.ensure_models(OPTIONS.model_cache)
    rec = TextRecognition(model_name=handwriting.REC_MODEL, model_dir=str(dirs[handwriting.REC_MODEL]),
                          engine="onnxruntime")

    def run(path: Path) -> str:
        return "".join(r["rec_text"] for r in rec.predict(str(path)))
    return run


def route_rapidocr_v4():
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def run(path: Path) -> str:
        result, _ = engine(str(path))
        return "\n".join(text for _box, text, _score in (result or []))
    return run


@dataclass(frozen=True)
class Score:
    cer: float
    seconds: float  # wall, per image
    cpu: float  # CPU seconds of this process per image, all threads
    empty: int  # images with text that came back with none


def measure(run, items: list[tuple[Path, str]], punctuation: bool = True) -> Score:
    """One warm-up call first, not timed. CPU time is what other users of a shared machine
    cannot inflate."""
    run(items[0][0])
    errors = chars = empty = 0
    seconds = cpu = 0.0
    for path, ref in items:
        t, c = time.perf_counter(), time.process_time()
        hyp = run(path)
        seconds += time.perf_counter() - t
        cpu += time.process_time() - c
        r, h = normalise(ref, punctuation), normalise(hyp, punctuation)
        errors += edit_distance(r, h)
        chars += len(r)
        empty += bool(r) and not h
        if os.environ.get("BENCH_VERBOSE"):
            print(f"  {path.name}: {edit_distance(r, h)} errors\n  {hyp!r}")
    return Score(errors / max(1, chars), seconds / len(items), cpu / len(items), empty)


def rotated_copies(items: list[tuple[Path, str]], folder: Path, quarter_turns: int) -> list[tuple[Path, str]]:
    from PIL import Image

    out = []
    for path, ref in items:
        img = Image.open(path).rotate(-90 * quarter_turns, expand=True)
        new = folder / f"{path.stem}_rot{90 * quarter_turns}.jpg"
        img.save(new, quality=85)
        out.append((new, ref))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Handwriting OCR benchmark")
    ap.add_argument("--pages", type=int, default=6, help="rendered pages (default 6)")
    ap.add_argument("--cleanup-study", action="store_true")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="minxin-bench-") as tmp:
        tmp = Path(tmp)
        rendered = render_bench_pages(tmp, args.pages)
        # closely ruled notebooks: lines 1.25 character heights apart, not 1.55-1.75
        close = render_bench_pages(tmp, args.pages, first_seed=CLOSE_BENCH_SEED, line_gap=1.25)
        # skewed 11-15 degrees either way, every other one on squared paper; printed forms,
        # every other one tilted
        skewed = render_bench_pages(tmp, args.pages, first_seed=SKEWED_BENCH_SEED,
                                    tilt=lambda s: (11 + s % 5) * (1 if s % 2 else -1), grid=lambda s: s % 2 == 0)
        forms = render_bench_pages(tmp, args.pages, first_seed=FORM_BENCH_SEED, form=lambda s: True,
                                   tilt=lambda s: 10.0 if s % 2 else None)
        real = real_pages()
        routes = [
            ("project (production)", route_project(handwriting.DEFAULT_CLEANUP)),
            ("project + all cleanup", route_project(handwriting.DEFAULT_CLEANUP.but(
                max_side=1600, find_page=True, deskew=True, flatten_light=True))),
            ("stock PaddleOCR v5", route_stock()),
            ("stock v5 rec alone", route_stock_rec_alone()),
            ("PP-OCRv4 (rapidocr)", route_rapidocr_v4()),
        ]
        n_main = len(routes)
        if args.cleanup_study:
            # each step against production: switched on alone, or (pad, upscale) left out
            prod = handwriting.DEFAULT_CLEANUP
            routes += [
                ("  - pad", route_project(prod.but(pad=False))),
                ("  - upscale", route_project(prod.but(min_side=0))),
                ("  + downscale 1600", route_project(prod.but(max_side=1600))),
                ("  + find_page", route_project(prod.but(find_page=True))),
                ("  + deskew", route_project(prod.but(deskew=True))),
                ("  + flatten_light", route_project(prod.but(flatten_light=True))),
            ]
        # (name, items, lines: one written line per image, scored without punctuation)
        sets = [("rendered", rendered, False), ("close-ruled", close, False), ("skewed", skewed, False),
                ("forms", forms, False)]
        if real:
            sets.append(("real lines", real, True))
        if args.cleanup_study:
            sets.append(("rendered rot90", rotated_copies(rendered[:2], tmp, 1), False))
            sets.append(("rendered rot180", rotated_copies(rendered[:2], tmp, 2), False))

        print(f"images: {len(rendered)} rendered pages (seeds {FIRST_BENCH_SEED}..{FIRST_BENCH_SEED + len(rendered) - 1}), "
              f"{len(close)} close-ruled, {len(skewed)} skewed, {len(forms)} printed forms, "
              f"{len(real)} real handwritten lines"
              + ("" if real else f" (none found in {REAL_DIR})"))
        print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}"
              " (CER: edit distance / reference characters; real lines ignore punctuation;"
              " empty: images with text read as nothing)")
        widths = [max(12, len(name) + 5) for name, _, _ in sets]
        header = f"{'route':<24}" + "".join(f"{name + ' CER':>{w}}{'empty':>6}{'s/img':>6}{'cpu':>6}"
                                            for (name, _, _), w in zip(sets, widths))
        print(header)
        print("-" * len(header), flush=True)
        for k, (name, run) in enumerate(routes):
            cells = []
            for (set_name, items, lines), w in zip(sets, widths):
                if (k >= n_main and set_name != "rendered" and set_name != "real lines") or (
                        name == "stock v5 rec alone" and not lines):
                    cells.append(f"{'-':>{w}}{'':>6}{'':>6}{'':>6}")  # not run: no figure
                    continue
                sc = measure(run, items, punctuation=not lines)
                cells.append(f"{sc.cer * 100:>{w - 1}.2f}%{sc.empty:>6}{sc.seconds:>6.2f}{sc.cpu:>6.2f}")
            print(f"{name:<24}" + "".join(cells), flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
