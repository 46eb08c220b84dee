"""Train the base sequence model and its calibration shipped in recognize/extract/data/.

    python scripts/train_extractor_model.py [NOTES.jsonl ...]   (or: make extractor-model)

With no arguments: every labelled note of the project (tests/data/extraction_*.jsonl), the
shared dev cases (MINXIN_SHARED_DIR/eval/extraction_dev.jsonl, default ../shared) and the
helpers' notes (MINXIN_BLIND_NOTES/train_*.jsonl, default /work/blind/notes; never blind_*).
Offline and deterministic (fixed folds, crfsuite's L-BFGS): the same notes give the same files.
The rules run with the demo county's org tree, as `minxin extract` does by default.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops.demo_county import load as load_demo_county  # noqa: E402
from recognize.extract import Gazetteer, extract_entry, fitting, vocab  # noqa: E402


def default_paths() -> list[Path]:
    shared = Path(os.environ.get("MINXIN_SHARED_DIR") or ROOT.parent / "shared")
    blind = Path(os.environ.get("MINXIN_BLIND_NOTES") or "/work/blind/notes")
    paths = sorted((ROOT / "tests" / "data").glob("extraction_*.jsonl"))
    paths += [p for p in [shared / "eval" / "extraction_dev.jsonl"] if p.exists()]
    paths += sorted(blind.glob("train_*.jsonl"))  # the blind_* slice is never read
    return paths


def rules_views(cases, gazetteer) -> list[dict]:
    return [extract_entry(c["text"], c["now"], gazetteer, reading=False).to_dict() for c in cases]


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or default_paths()
    assert not any(p.name.startswith("blind_") for p in paths), "the blind slice is not for training"
    cases = fitting.load_cases(paths)
    print(f"{len(cases)} notes from {len(paths)} files")
    gazetteer = Gazetteer(units=load_demo_county().units)
    t0 = time.perf_counter()
    rules = rules_views(cases, gazetteer)
    print(f"rules: {time.perf_counter() - t0:.0f} s")
    cal = fitting.build(cases, rules, vocab.DATA_DIR)
    # what a county's model trains on beside its own entries (the shared eval cases stay out)
    shippable = [c for c in cases if c["set"] != "extraction_dev"]
    fitting.write_base_cases(shippable)
    print(f"wrote {fitting.BASE_NOTES} ({len(shippable)} notes)")
    print(f"threshold {cal['threshold']}; held-out: {cal['held_out']}")
    print(f"wrote {vocab.DATA_DIR / 'sequence.crfsuite'} and {vocab.DATA_DIR / 'calibration.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
