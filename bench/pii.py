"""How much of what is personal the redactor masks, and how much of the ordinary text it keeps.

    python bench/pii.py [--n 1500] [--seed 14] [--show 10]

The corpus comes from bench/pii_corpus.py (ordinary phrasing, every number spelling, house-number
forms, sentences with nothing personal).  A personal string counts as masked when it is gone from
``redact(text)`` (what a public page shows) and, for numbers, no run of its last six digits in any
spelling is left; an ordinary word (village, township, crop, amount, date, count) counts as kept
when it is still there verbatim.  Targets: 100% of numbers, >= 99% of names, >= 98% kept.
Times are wall-clock on a shared machine: noisy.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pii_corpus import sentences  # noqa: E402

from recognize.pii import _copy, redact  # noqa: E402

KINDS = ("name", "mobile", "landline", "id", "bank_card", "house_number", "plate")


def _digits(s: str) -> str:
    return "".join(ch for ch in _copy(s, digits=True).text if ch.isdigit())


def masked(kind: str, pii: str, out: str) -> bool:
    if pii in out or pii.replace(" ", "") in out:
        return False
    if kind in ("mobile", "landline", "id", "bank_card"):
        tail = _digits(pii)[-6:]
        return tail not in _digits(out)
    if kind in ("house_number", "plate"):
        tail = _digits(pii)
        return not tail or tail not in _digits(out)
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--show", type=int, default=0, help="print this many misses of each kind")
    args = ap.parse_args(argv)
    corpus = sentences(args.n, args.seed)
    total: dict[str, int] = defaultdict(int)
    hit: dict[str, int] = defaultdict(int)
    kept = keep_total = 0
    misses: dict[str, list] = defaultdict(list)
    redact("预热")  # load LAC once, outside the timing
    t0 = time.perf_counter()
    outs = [redact(s["text"]) for s in corpus]
    elapsed = time.perf_counter() - t0
    for s, out in zip(corpus, outs):
        for pii, kind in s["pii"]:
            total[kind] += 1
            if masked(kind, pii, out):
                hit[kind] += 1
            else:
                misses[kind].append((s["text"], out))
        for word in s["keep"]:
            keep_total += 1
            if word in out:
                kept += 1
            else:
                misses["kept"].append((s["text"], out))
    print(f"corpus: {len(corpus)} sentences (seed {args.seed}), "
          f"{sum(1 for s in corpus if not s['pii'])} with nothing personal")
    print(f"{'kind':<14}{'strings':>8}{'masked':>8}{'share':>9}")
    for kind in KINDS:
        n = total.get(kind, 0)
        print(f"{kind:<14}{n:>8}{hit.get(kind, 0):>8}{(hit.get(kind, 0) / n if n else 0):>9.1%}")
    numbers = [k for k in KINDS if k != "name"]
    n_num = sum(total[k] for k in numbers)
    print(f"{'all numbers':<14}{n_num:>8}{sum(hit[k] for k in numbers):>8}{sum(hit[k] for k in numbers) / n_num:>9.1%}")
    print(f"{'ordinary kept':<14}{keep_total:>8}{kept:>8}{kept / keep_total:>9.1%}")
    print(f"time: {elapsed * 1000 / len(corpus):.1f} ms a sentence (shared CPU, noisy)")
    if args.show:
        for kind, rows in misses.items():
            for text, out in rows[: args.show]:
                print(f"MISS {kind}: {text!r} -> {out!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
