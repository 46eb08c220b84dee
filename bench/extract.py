"""Score field extraction per set and over all, before (the rules) and after (the sequence model
with calibrated confidence and ``review``), with risk–coverage and ms per note.

    python bench/extract.py [--verbose] [--no-curve] [--quick] [--cases FILE.jsonl ...]

Sets: the shared dev cases, the project's held-out and blind sets (tests/data), and the
helpers' notes (MINXIN_BLIND_NOTES/train_*.jsonl, default /work/blind/notes) by their
``style``.  The blind_* slice there is never read: the lead measures it.

Scoring (shared/eval/README.md, ``recognize.extract.fitting.field_right``): exact for
visit_date, interviewee, visit_method and category; the expected village inside the place;
character F1 >= 0.8 for problem, solution, reflections; pii right when every expected string is
gone from ``redact``.  Columns:

- fields: share of scored fields right; 反映问题: the problem field right;
- unflagged: share of fields not in ``review``; acc unfl: accuracy among them;
- wrong+unfl: fields wrong and not flagged, as a share of all fields (the risk of confirming
  at a glance); ms: milliseconds per note (the whole extract_entry, rules + model).

Rows:
- ``before``: the rules alone; they have no ``review``, so every field is unflagged, and the
  old screen's "sure" (confidence >= 0.8) is shown as ``before@0.8``;
- ``after (LOSO)``: every labelled note read by a sequence model trained on the other folds, its
  confidence calibrated and its threshold chosen on the other folds, the folds leaving one
  style (or one source file) out: figures for a style the model has not seen;
- ``after (shipped)``: the model in recognize/extract/data as shipped; IN-SAMPLE for every set
  it was trained on (all of them, unless --cases names new notes).

Then the learning curve of a county on a style the base model has not seen: one style of the
helpers' notes held out of the base data; the county's model trained on base + N of them
(N = 0, 25, 50), the rest of that style scored.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops.demo_county import load as load_demo_county  # noqa: E402
from recognize.extract import Gazetteer, calibration, extract_entry, fitting, read_and_calibrate, sequence  # noqa: E402
from recognize.extract.textutil import char_f1  # noqa: E402

FIELDS = calibration.FIELDS


def shared_dir() -> Path:
    env = os.environ.get("MINXIN_SHARED_DIR")
    return Path(env) if env else ROOT.parent / "shared"


def blind_dir() -> Path:
    return Path(os.environ.get("MINXIN_BLIND_NOTES") or "/work/blind/notes")


def sets_of(cases: list[dict]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        groups[("style " + c["style"]) if c.get("style") else c["set"]].append(i)
    return dict(groups)


def tally(cases, results, idx, verbose=False, name="") -> dict:
    """results[i] = (got dict, review list, ms)."""
    n = right = prob_n = prob_r = unfl = unfl_r = 0
    ms = 0.0
    fails = []
    for i in idx:
        got, review, t = results[i]
        ms += t
        case = cases[i]
        for fld, exp in case["expected"].items():
            if fld not in FIELDS:
                continue
            ok = fitting.field_right(fld, got, exp, case["text"])
            n += 1
            right += ok
            if fld == "problem":
                prob_n += 1
                prob_r += ok
            if fld not in review:
                unfl += 1
                unfl_r += ok
            if verbose and not ok:
                extra = f" (F1 {char_f1(got.get(fld) or '', exp):.2f})" if fld in calibration.TEXT_FIELDS else ""
                fails.append(f"    {case.get('id', '?')} {fld}{' [review]' if fld in review else ''}: "
                             f"expected {exp!r} got {got.get(fld)!r}{extra}")
    if fails:
        print(f"  failures in {name}:")
        print("\n".join(fails))
    return {"notes": len(idx), "fields": right / max(1, n), "problem": prob_r / max(1, prob_n) if prob_n else None,
            "unflagged": unfl / max(1, n), "acc_unfl": unfl_r / max(1, unfl), "risk": (unfl - unfl_r) / max(1, n),
            "ms": ms / max(1, len(idx))}


def row(label: str, mode: str, r: dict) -> str:
    prob = f"{100 * r['problem']:6.1f}%" if r["problem"] is not None else "      –"
    return (f"  {label:<34} {mode:<16} {r['notes']:>4} {100 * r['fields']:6.1f}% {prob} {100 * r['unflagged']:8.1f}%"
            f" {100 * r['acc_unfl']:7.1f}% {100 * r['risk']:9.2f}% {r['ms']:7.1f}")


def header() -> str:
    return (f"  {'set':<34} {'mode':<16} {'n':>4} {'fields':>7} {'反映问题':>5} {'unflagged':>9} {'acc unfl':>8}"
            f" {'wrong+unfl':>10} {'ms':>7}")


def run_rules(cases, gazetteer):
    cold()
    out, views = [], []
    for c in cases:
        t0 = time.perf_counter()
        d = extract_entry(c["text"], c["now"], gazetteer, reading=False).to_dict()
        ms = (time.perf_counter() - t0) * 1000
        views.append(d)
        out.append((d, [], ms))
    sure = [(d, [f for f in FIELDS if (d["confidence"].get(f) or 0.0) < 0.8], ms) for d, _, ms in out]
    return out, sure, views


def cold() -> None:
    """Forget the per-text caches of the segmenter, so that a second pass is timed as a first."""
    from recognize import ner
    from recognize.extract import names

    ner.tokens.cache_clear()
    names.model_persons.cache_clear()


def run_shipped(cases, gazetteer):
    cold()
    out = []
    for c in cases:
        t0 = time.perf_counter()
        d = extract_entry(c["text"], c["now"], gazetteer).to_dict()
        out.append((d, d["review"], (time.perf_counter() - t0) * 1000))
    return out


def run_cv(cases, views):
    """Out-of-fold readings, calibration fitted on the other folds, threshold on the other folds;
    the folds leave one style (or source file) out, so each reading is of an unseen style."""
    fold = fitting.group_folds(cases)
    oof = fitting.cross_validate(cases, views, fold=fold)
    held = fitting.held_out_probabilities(cases, oof, fold=fold)
    # the threshold of each fold chosen on the other folds' held-out probabilities
    thresholds = {f: fitting.choose_threshold([p for i, _, p, _ in held if fold[i] != f],
                                              [ok for i, _, _, ok in held if fold[i] != f]) for f in set(fold)}
    review: dict[int, list[str]] = defaultdict(list)
    for i, fld, p, _ in held:
        if p < thresholds[fold[i]]:
            review[i].append(fld)
    return [(o["got"], review[i], 0.0) for i, o in enumerate(oof)]


def curve(cases, views, gazetteer, style: str, sizes=(0, 25, 50)) -> None:
    held = [i for i, c in enumerate(cases) if c.get("style") == style]
    base = [i for i, c in enumerate(cases) if c.get("style") != style]
    print(f"\nlearning curve: style {style!r} ({len(held)} notes) held out of the base model; the county's model "
          f"trained on base + the first N of them, the rest scored (scored set shrinks with N)")
    print(header())
    for n in sizes:
        if n >= len(held):
            print(f"  N={n}: only {len(held)} notes of this style")
            break
        county, test = held[:n], held[n:]
        with tempfile.TemporaryDirectory() as tmp:
            ids = base + county * 3  # a county's own notes weigh more than the base data
            fitting.build([cases[i] for i in ids], [views[i] for i in ids], Path(tmp))
            tg = sequence.tagger(Path(tmp) / "sequence.crfsuite")
            cal = calibration.load(Path(tmp) / "calibration.json")
            res = {}
            for i in test:
                t0 = time.perf_counter()
                d = read_and_calibrate(fitting.as_extraction(views[i]), cases[i]["text"], tg, cal,
                                       category_tagger=sequence.tagger(Path(tmp) / "category.crfsuite")).to_dict()
                res[i] = (d, d["review"], (time.perf_counter() - t0) * 1000)
        # ms: the model's part alone (the rules' part is in the table above)
        print(row(f"{style} rest, N={n}", "county model", tally(cases, res, test)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", "-v", action="store_true", help="list every failed field (after, CV)")
    ap.add_argument("--cases", type=Path, action="append", default=[], help="also score this JSONL file (new notes)")
    ap.add_argument("--no-curve", action="store_true", help="skip the learning curve")
    ap.add_argument("--no-cv", action="store_true", help="skip the cross-validated rows")
    ap.add_argument("--curve-style", default=None, help="the style held out for the learning curve")
    args = ap.parse_args(argv)
    gazetteer = Gazetteer(units=load_demo_county().units)
    extract_entry("预热", "2024-01-01T00:00:00", gazetteer)  # imports and caches out of the timing
    paths = sorted((ROOT / "tests" / "data").glob("extraction_*.jsonl"))
    dev = shared_dir() / "eval" / "extraction_dev.jsonl"
    paths += [dev] if dev.exists() else []
    paths += sorted(blind_dir().glob("train_*.jsonl"))
    cases = fitting.load_cases(paths)
    extra = fitting.load_cases(args.cases)
    print(f"{len(cases)} labelled notes ({len(paths)} files); {len(extra)} new notes from --cases")
    rules, sure, views = run_rules(cases + extra, gazetteer)
    shipped = run_shipped(cases + extra, gazetteer)
    cv = None if args.no_cv else run_cv(cases, views[: len(cases)])
    groups = sets_of(cases)
    groups.update({f"new: {k}": [len(cases) + i for i in v] for k, v in sets_of(extra).items()})
    everything = list(range(len(cases)))
    print(header())
    for name, idx in list(groups.items()) + [("ALL labelled", everything)] + ([("ALL new", list(range(len(cases), len(cases) + len(extra))))] if extra else []):
        print(row(name, "before", tally(cases + extra, rules, idx)))
        print(row("", "before@0.8", tally(cases + extra, sure, idx)))
        if cv is not None and idx and idx[0] < len(cases):
            cvres = [(g, rv, shipped[i][2]) for i, (g, rv, _) in enumerate(cv)]
            print(row("", "after (LOSO)", tally(cases, cvres, idx, args.verbose, name)))
        print(row("", "after (shipped)" + ("" if idx and idx[0] >= len(cases) else "*"), tally(cases + extra, shipped, idx)))
    print("  * in-sample: the shipped model was trained on these notes")
    styles = sorted({c["style"] for c in cases if c.get("style")})
    if not args.no_curve and styles:
        curve(cases, views[: len(cases)], gazetteer, args.curve_style or styles[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
