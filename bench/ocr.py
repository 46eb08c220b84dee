"""Handwriting OCR benchmark: character error rate and seconds per page, per route.

    python bench/ocr.py [--pages 6] [--cleanup-study]

Routes, all on the same images in the same run:
- `project (production)`: recognize.handwriting.read_pages as shipped (ordering, merging,
  page turning; the cleanup steps that measured to help, currently none);
- `project + all cleanup`: the same with every cleanup step of recognize.pages switched on;
- `stock PaddleOCR`: PaddleOCR constructed as plainly as runs offline (same v5 model
  folders, its own defaults otherwise: no resizing limit, text-line orientation on);
- `PP-OCRv4 (rapidocr)`: rapidocr-onnxruntime with its bundled PP-OCRv4 mobile models.

Inputs: pages rendered by samples/make_pages.py into a temporary folder (seeds and texts
other than the samples'), as many again ruled closely (1.25 character heights), and any real handwritten pages in ../shared/eval/handwriting/
(`NAME.jpg` with its reference text in `NAME.txt`). `--cleanup-study` also runs each
cleanup step on its own and all together on the rendered pages, plus pages turned 90° and
180°.

CER = edit distance / reference length, after NFKC (full-width punctuation becomes
ASCII), traditional -> simplified and removing all whitespace; each route's lines are
joined in the order it returns them, so reading order counts.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognize import handwriting, pages  # noqa: E402

REAL_DIR = ROOT.parent / "shared" / "eval" / "handwriting"
FIRST_BENCH_SEED = 1001  # samples/pages use seeds 1..3
CLOSE_BENCH_SEED = 3001


def normalise(text: str) -> str:
    text = handwriting.to_simplified(unicodedata.normalize("NFKC", text))
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
                       line_gap: float | None = None) -> list[tuple[Path, str]]:
    from samples.make_pages import render_page, to_jpeg

    out = []
    for seed in range(first_seed, first_seed + n):
        img, lines = render_page(seed, out_long=out_long, line_gap=line_gap)
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
        return handwriting.read_pages_with([path], cleanup).text
    return run


def route_stock():
    from paddleocr import PaddleOCR

    dirs = handwriting.ensure_models()
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


def route_rapidocr_v4():
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()

    def run(path: Path) -> str:
        result, _ = engine(str(path))
        return "\n".join(text for _box, text, _score in (result or []))
    return run


def measure(run, items: list[tuple[Path, str]]) -> tuple[float, float, float]:
    """(CER over all pages, wall seconds per page, CPU seconds per page of this process,
    all threads); one warm-up call first, not timed. CPU time is what other users of a
    shared machine cannot inflate."""
    run(items[0][0])
    errors = chars = 0
    seconds = cpu = 0.0
    for path, ref in items:
        t, c = time.perf_counter(), time.process_time()
        hyp = run(path)
        seconds += time.perf_counter() - t
        cpu += time.process_time() - c
        errors += edit_distance(normalise(ref), normalise(hyp))
        chars += len(normalise(ref))
        if os.environ.get("BENCH_VERBOSE"):
            print(f"  {path.name}: {edit_distance(normalise(ref), normalise(hyp))} errors\n  {hyp!r}")
    return errors / max(1, chars), seconds / len(items), cpu / len(items)


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
        real = real_pages()
        routes = [
            ("project (production)", route_project(handwriting.DEFAULT_CLEANUP)),
            ("project + all cleanup", route_project(pages.Cleanup(1600, True, True, True))),
            ("stock PaddleOCR v5", route_stock()),
            ("PP-OCRv4 (rapidocr)", route_rapidocr_v4()),
        ]
        if args.cleanup_study:
            base = pages.Cleanup(max_side=0)
            routes += [
                ("  only downscale 1600", route_project(base.but(max_side=1600))),
                ("  only downscale 1280", route_project(base.but(max_side=1280))),
                ("  only find_page", route_project(base.but(find_page=True))),
                ("  only deskew", route_project(base.but(deskew=True))),
                ("  only flatten_light", route_project(base.but(flatten_light=True))),
            ]
        sets = [("rendered", rendered), ("close-ruled", close)]
        if real:
            sets.append(("real", real))
        if args.cleanup_study:
            sets.append(("rendered rot90", rotated_copies(rendered[:2], tmp, 1)))
            sets.append(("rendered rot180", rotated_copies(rendered[:2], tmp, 2)))

        print(f"pages: {len(rendered)} rendered (seeds {FIRST_BENCH_SEED}..{FIRST_BENCH_SEED + len(rendered) - 1}), "
              f"{len(real)} real handwritten" + ("" if real else f" (none found in {REAL_DIR})"))
        print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
        header = f"{'route':<24}" + "".join(f"{name + ' CER':>20}{'s/page':>9}{'cpu s':>7}" for name, _ in sets)
        print(header)
        print("-" * len(header))
        for k, (name, run) in enumerate(routes):
            cells = []
            for set_name, items in sets:
                if k >= 4 and set_name != "rendered":
                    continue  # cleanup variants: upright rendered pages only
                c, s, cpu = measure(run, items)
                cells.append(f"{c * 100:>19.2f}%{s:>9.2f}{cpu:>7.2f}")
            print(f"{name:<24}" + "".join(cells), flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
