"""Handwriting OCR benchmark: character error rate and seconds per image, per route, and
how well the photo flags point at the wrong characters.

    python bench/ocr.py [--pages 4] [--all-rendered] [--cleanup-study] [--fit-flags] [--routes NAMES]

Routes, all on the same images in the same run:
- `project v6 (production)`: recognize.handwriting.read_pages as shipped, PP-OCRv6 small from
  the rapidocr wheel run by recognize.handwriting.ppocr_v6 (padding, strips, reading order,
  merging, page turning; the cleanup steps that measured to help);
- `project v5 (before)`: the same pipeline on PaddleOCR PP-OCRv5 mobile (MINXIN_HANDWRITING_ENGINE=ppocr-v5);
- `stock PaddleOCR v5`: PaddleOCR det + rec constructed as plainly as runs offline (same v5
  model folders, its own defaults otherwise: no resizing limit, text-line orientation on);
- `stock rapidocr v6`: rapidocr 3.10.0's own pipeline on its PP-OCRv6 small models (longest
  side 960, classifier off: its defaults read nothing on tight line crops).

Inputs: pages rendered by samples/make_pages.py into a temporary folder (seeds and texts
other than the samples'), as a regression set (`--all-rendered` adds closely ruled, skewed
and printed-form pages); the real, camera-captured handwritten lines in
../shared/eval/handwriting/ (`NAME.jpg` with its reference text in `NAME.txt`); and the real
photographed pages of ../shared/eval/pages/ (manifest.tsv), also CER per page. Both real sets
are development data (their READMEs: evaluation only, never copied into the project).
`--cleanup-study` also runs each cleanup step against production (switched on alone, or
pad/upscale left out) on the rendered pages and the real lines, plus pages turned 90° and 180°.

CER = edit distance / reference length, after NFKC (full-width punctuation becomes
ASCII), traditional -> simplified and removing all whitespace (the real lines and pages also
ignore punctuation, as their READMEs suggest); each route's lines are joined in the order it
returns them, so reading order counts. `empty`: images with text that came back with none.
Flags (bench/ocr_flags.py): the share of wrong characters inside flagged ones against the
share of characters flagged, for production on the real lines and pages; `--fit-flags` fits
recognize/data/handwriting_flags.json on them first (5-fold cross-validation by image).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402
from recognize.handwriting import paddle_v5, pages  # noqa: E402
from recognize.handwriting import read as handwriting  # noqa: E402
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


def route_project(cleanup: pages.Cleanup, engine: str = ""):
    options = replace(OPTIONS, engine=engine) if engine else OPTIONS

    def run(path: Path):
        return handwriting.read_pages_with([path], cleanup, options=options)
    return run


def route_stock():
    from paddleocr import PaddleOCR

    dirs = paddle_v5.ensure_models(OPTIONS.model_cache)
    ocr = PaddleOCR(
        text_detection_model_name=paddle_v5.DET_MODEL,
        text_detection_model_dir=str(dirs[paddle_v5.DET_MODEL]),
        text_recognition_model_name=paddle_v5.REC_MODEL,
        text_recognition_model_dir=str(dirs[paddle_v5.REC_MODEL]),
        textline_orientation_model_name=paddle_v5.ORI_MODEL,
        textline_orientation_model_dir=str(dirs[paddle_v5.ORI_MODEL]),
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

    dirs = paddle_v5.ensure_models(OPTIONS.model_cache)
    rec = TextRecognition(model_name=paddle_v5.REC_MODEL, model_dir=str(dirs[paddle_v5.REC_MODEL]),
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


def route_rapidocr_v6():
    """rapidocr 3.10.0's own pipeline on its bundled PP-OCRv6 small models, with the settings
    the issue measured (its defaults, shortest side 736 and the angle classifier, read nothing
    on tight line crops and took up to 15 s each)."""
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Det.limit_type": "max", "Det.limit_side_len": 960, "Global.use_cls": False,
                              "Global.log_level": "error"})

    def run(path: Path) -> str:
        res = engine(str(path))
        return "\n".join(res.txts or ())
    return run


def real_photo_pages() -> list[tuple[Path, str]]:
    """The photographed pages of ../shared/eval/pages (manifest.tsv; a line break is written \\n)."""
    folder = REAL_DIR.parent / "pages"
    manifest = folder / "manifest.tsv"
    if not manifest.is_file():
        return []
    out = []
    for row in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        name, _, ref = row.partition("\t")
        if (folder / name).is_file():
            out.append((folder / name, ref.replace("\\n", "\n")))
    return out


@dataclass(frozen=True)
class Score:
    cer: float
    seconds: float  # wall, per image
    cpu: float  # CPU seconds of this process per image, all threads
    empty: int  # images with text that came back with none
    per_image: tuple = ()  # (name, errors, reference characters)
    results: tuple = ()  # (reference, RecognizedText) where the route gives one (flags)


def measure(run, items: list[tuple[Path, str]], punctuation: bool = True) -> Score:
    """One warm-up call first, not timed. CPU time is what other users of a shared machine
    cannot inflate."""
    run(items[0][0])
    errors = chars = empty = 0
    seconds = cpu = 0.0
    per_image, results = [], []
    for path, ref in items:
        t, c = time.perf_counter(), time.process_time()
        out = run(path)
        seconds += time.perf_counter() - t
        cpu += time.process_time() - c
        hyp = out if isinstance(out, str) else out.text
        if not isinstance(out, str):
            results.append((ref, out))
        r, h = normalise(ref, punctuation), normalise(hyp, punctuation)
        errors += edit_distance(r, h)
        chars += len(r)
        empty += bool(r) and not h
        per_image.append((path.name, edit_distance(r, h), len(r)))
        if os.environ.get("BENCH_VERBOSE"):
            print(f"  {path.name}: {edit_distance(r, h)} errors\n  {hyp!r}")
    return Score(errors / max(1, chars), seconds / len(items), cpu / len(items), empty,
                 tuple(per_image), tuple(results))


def rotated_copies(items: list[tuple[Path, str]], folder: Path, quarter_turns: int) -> list[tuple[Path, str]]:
    from PIL import Image

    out = []
    for path, ref in items:
        img = Image.open(path).rotate(-90 * quarter_turns, expand=True)
        new = folder / f"{path.stem}_rot{90 * quarter_turns}.jpg"
        img.save(new, quality=85)
        out.append((new, ref))
    return out


def _flag_rows(score: Score, punctuation: bool):
    import ocr_flags

    def norm(text: str) -> str:
        return normalise(text, punctuation)
    return [ocr_flags.label(ref, result, norm) for ref, result in score.results]


def _reflag(labelled) -> None:
    """Flags of stored words again, from the model now in recognize/data (after a fit)."""
    from recognize.handwriting import flags

    model = flags.load()
    for rows, _labels, _errors, words in labelled:
        for row, w in zip(rows, words):
            z = model.bias + sum(a * b for a, b in zip(model.weights, row))
            w["flagged"] = 1 / (1 + 2.718281828459045 ** -z) < model.flag_below


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Handwriting OCR benchmark")
    ap.add_argument("--pages", type=int, default=6, help="rendered pages (default 6)")
    ap.add_argument("--all-rendered", action="store_true", help="also close-ruled, skewed and form pages")
    ap.add_argument("--cleanup-study", action="store_true")
    ap.add_argument("--fit-flags", action="store_true",
                    help="fit recognize/data/handwriting_flags.json on the real lines and pages (5-fold CV)")
    ap.add_argument("--routes", default="", help="comma-separated route names to run (default all)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))

    with tempfile.TemporaryDirectory(prefix="minxin-bench-") as tmp:
        tmp = Path(tmp)
        rendered = render_bench_pages(tmp, args.pages)
        real = real_pages()
        photos = real_photo_pages()
        routes = [
            ("project v6 (production)", route_project(handwriting.DEFAULT_CLEANUP, "ppocr-v6")),
            ("project v5 (before)", route_project(handwriting.DEFAULT_CLEANUP, "ppocr-v5")),
            ("stock PaddleOCR v5", route_stock()),
            ("stock rapidocr v6", route_rapidocr_v6()),
        ]
        if args.routes:
            wanted = [r.strip() for r in args.routes.split(",")]
            routes = [r for r in routes if any(r[0].startswith(w) for w in wanted)]
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
        # (name, items, scored without punctuation)
        sets = [("rendered", rendered, False)]
        if args.all_rendered:
            close = render_bench_pages(tmp, args.pages, first_seed=CLOSE_BENCH_SEED, line_gap=1.25)
            skewed = render_bench_pages(tmp, args.pages, first_seed=SKEWED_BENCH_SEED,
                                        tilt=lambda s: (11 + s % 5) * (1 if s % 2 else -1), grid=lambda s: s % 2 == 0)
            forms = render_bench_pages(tmp, args.pages, first_seed=FORM_BENCH_SEED, form=lambda s: True,
                                       tilt=lambda s: 10.0 if s % 2 else None)
            sets += [("close-ruled", close, False), ("skewed", skewed, False), ("forms", forms, False)]
        if real:
            sets.append(("real lines", real, True))
        if photos:
            sets.append(("real pages", photos, True))
        if args.cleanup_study:
            sets.append(("rendered rot90", rotated_copies(rendered[:2], tmp, 1), False))
            sets.append(("rendered rot180", rotated_copies(rendered[:2], tmp, 2), False))

        print(f"images: {len(rendered)} rendered pages (seeds {FIRST_BENCH_SEED}..{FIRST_BENCH_SEED + len(rendered) - 1}), "
              f"{len(real)} real handwritten lines, {len(photos)} real photographed pages"
              + ("" if real else f" (none found in {REAL_DIR})"))
        print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}"
              " (CER: edit distance / reference characters; real lines and pages ignore punctuation;"
              " empty: images with text read as nothing; s/img wall, cpu: CPU seconds per image, all threads)")
        widths = [max(12, len(name) + 5) for name, _, _ in sets]
        header = f"{'route':<26}" + "".join(f"{name + ' CER':>{w}}{'empty':>6}{'s/img':>6}{'cpu':>6}"
                                            for (name, _, _), w in zip(sets, widths))
        print(header)
        print("-" * len(header), flush=True)
        per_page: dict[str, Score] = {}
        production: dict[str, tuple[Score, bool]] = {}
        for k, (name, run) in enumerate(routes):
            cells = []
            for (set_name, items, no_punct), w in zip(sets, widths):
                if k >= n_main and set_name not in ("rendered", "real lines"):
                    cells.append(f"{'-':>{w}}{'':>6}{'':>6}{'':>6}")  # not run: no figure
                    continue
                sc = measure(run, items, punctuation=not no_punct)
                if set_name == "real pages":
                    per_page[name] = sc
                if k == 0:
                    production[set_name] = (sc, no_punct)
                cells.append(f"{sc.cer * 100:>{w - 1}.2f}%{sc.empty:>6}{sc.seconds:>6.2f}{sc.cpu:>6.2f}")
            print(f"{name:<26}" + "".join(cells), flush=True)
        if per_page:
            print("\nreal pages, CER per page (punctuation ignored):")
            names = list(per_page)
            print(f"{'page':<20}{'chars':>6}" + "".join(f"{n[:22]:>24}" for n in names))
            first = per_page[names[0]].per_image
            for j, (page, _e, chars) in enumerate(first):
                print(f"{page:<20}{chars:>6}" + "".join(
                    f"{per_page[n].per_image[j][1] / max(1, chars) * 100:>23.1f}%" for n in names))
        flagged_sets = {n: v for n, v in production.items() if n in ("real lines", "real pages") and v[0].results}
        if flagged_sets:
            import ocr_flags

            labelled = {n: _flag_rows(sc, not no_punct) for n, (sc, no_punct) in flagged_sets.items()}
            if args.fit_flags:
                from recognize.handwriting import flags

                data = ocr_flags.fit([x for rows in labelled.values() for x in rows], flags.DATA)
                print(f"\nfitted {flags.DATA.relative_to(ROOT)}: {data['fitted_on']}")
                for rows in labelled.values():
                    _reflag(rows)
            print(f"\nflags of {routes[0][0]} (target: >= 80% of wrong characters inside flagged ones,"
                  f" <= 20% of characters flagged):")
            for n, rows in labelled.items():
                caught, share, errs, chars = ocr_flags.score(rows)
                print(f"  {n:<12} wrong characters caught {caught:6.1%} ({errs} errors)   "
                      f"characters flagged {share:6.1%} (of {chars})")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
