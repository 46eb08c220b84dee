"""What the redactor masks, asks about and keeps, per kind of personal data, and of the ordinary text.

    python bench/pii.py [--n 1500] [--seed 14] [--show 10] [--corpus FILE.jsonl ...]

Corpora: the generated one (bench/pii_corpus.py: ordinary phrasing, every number spelling,
house-number forms, sentences with nothing personal) and hand-written ones (each line
``{"id", "text", "personal": [{"s", "kind"}] or [string], "keep": [string]}``; by default
tests/data/pii_written2_dev.jsonl (tuned on), tests/data/pii_written2_blind.jsonl (studied in round
two of issue 26), tests/data/pii_blind1.jsonl and tests/data/pii_written3.jsonl (the set nobody had
tuned on in round two, released and studied in round three)).

Each text goes through the redactor once: ``public`` is what a public page shows when the
supervisor answers every question "keep" (the sure masks only); ``ask`` are the questions.
A personal string is *masked* when it is gone from ``public`` (for numbers: no run of its last six
digits in any spelling is left), *asked* when it is still there but a question covers it, *kept*
(a miss) otherwise.  An ordinary word is *kept* when it is in ``public`` verbatim and no question
covers it, *asked* when a question covers it, *masked* (a loss) when it is gone.
Targets on text never seen: names masked or asked >= 99%, numbers and ids masked 100%,
ordinary words kept >= 99% (masked <= 1%), asked ordinary words <= 10%.

Runs against the old redactor too (``PYTHONPATH=/path/to/old/checkout``): it then asks nothing.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.append(str(ROOT))  # after PYTHONPATH: the bench can score an older checkout

from pii_corpus import sentences  # noqa: E402

try:
    from recognize.privacy import redact_with_questions
    from recognize.privacy.text import digits_of
except ImportError:  # the redactor before recognize/privacy/: no questions
    from recognize.pii import _copy, redact

    def redact_with_questions(text):
        return redact(text), []

    def digits_of(s: str) -> str:
        return "".join(ch for ch in _copy(s, digits=True).text if ch.isdigit())

DATA = ROOT / "tests" / "data"
DEFAULT_CORPORA = [DATA / n for n in ("pii_written2_dev.jsonl", "pii_written2_blind.jsonl", "pii_blind1.jsonl",
                                       "pii_written3.jsonl")]
NUMBER_KINDS = {"mobile", "landline", "id", "id_card", "bank_card", "house_number", "house_address", "plate",
                "wechat", "qq", "email"}


def _covered(text: str, s: str, asked: list[tuple[int, int]]) -> bool:
    """A question covers some occurrence of ``s`` in ``text``."""
    i = text.find(s)
    while i >= 0:
        if any(a < i + len(s) and i < b for a, b in asked):
            return True
        i = text.find(s, i + 1)
    return False


def gone(kind: str, pii: str, out: str) -> bool:
    if pii in out or pii.replace(" ", "") in out or pii.replace("\n", "") in out:
        return False
    if kind in ("mobile", "landline", "id", "id_card", "bank_card", "qq"):
        tail = digits_of(pii)[-6:]
        return tail not in digits_of(out)
    if kind in ("house_number", "plate", "house_address"):
        tail = digits_of(pii)
        return not tail or tail not in digits_of(out)
    return True


def _generated(n: int, seed: int) -> list[dict]:
    return [{"id": str(i), "text": s["text"], "personal": [(p, k) for p, k in s["pii"]], "keep": s["keep"]}
            for i, s in enumerate(sentences(n, seed))]


def _file(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        personal = [(p["s"], p.get("kind", "name")) if isinstance(p, dict) else (p, "personal")
                    for p in case["personal"]]
        out.append({"id": case.get("id", ""), "text": case["text"], "personal": personal, "keep": case.get("keep", [])})
    return out


def score(corpus: list[dict], name: str, show: int) -> None:
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # kind -> masked, asked, kept
    words = [0, 0, 0]
    misses: list[str] = []
    questions = 0
    t0 = time.perf_counter()
    outs = [redact_with_questions(c["text"]) for c in corpus]
    elapsed = time.perf_counter() - t0
    for c, (public, asked) in zip(corpus, outs):
        text = c["text"]
        questions += len(asked)
        for s, kind in c["personal"]:
            if gone(kind, s, public):
                rows[kind][0] += 1
            elif _covered(text, s, asked):
                rows[kind][1] += 1
            else:
                rows[kind][2] += 1
                misses.append(f"KEPT {kind} {s!r}: {text!r} -> {public!r}")
        for w in c["keep"]:
            if w not in public:
                words[0] += 1
                misses.append(f"LOST {w!r}: {text!r} -> {public!r}")
            elif _covered(text, w, asked):
                words[1] += 1
                misses.append(f"ASKED {w!r}: {text!r} -> {public!r}")
            else:
                words[2] += 1
    print(f"\n{name}: {len(corpus)} texts, {questions} questions "
          f"({questions / max(1, len(corpus)):.2f} a text), {elapsed * 1000 / max(1, len(corpus)):.1f} ms a text")
    print(f"{'kind':<16}{'strings':>8}{'masked':>8}{'asked':>7}{'kept':>6}{'masked+asked':>14}")

    def line(label: str, m: int, a: int, k: int) -> None:
        n = m + a + k
        print(f"{label:<16}{n:>8}{m:>8}{a:>7}{k:>6}{(m + a) / max(1, n):>14.1%}")

    for kind in sorted(rows):
        line(kind, *rows[kind])
    names = [rows[k] for k in rows if k not in NUMBER_KINDS]
    nums = [rows[k] for k in rows if k in NUMBER_KINDS]
    line("all names", *(sum(r[i] for r in names) for i in range(3)))
    line("all numbers", *(sum(r[i] for r in nums) for i in range(3)))
    n = sum(words)
    print(f"{'ordinary words':<16}{n:>8}{words[0]:>8}{words[1]:>7}{words[2]:>6}"
          f"   kept {words[2] / max(1, n):.1%}, asked {words[1] / max(1, n):.1%}, lost {words[0] / max(1, n):.1%}")
    for m in misses[:show]:
        print("  " + m.replace("\n", "⏎"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--show", type=int, default=0, help="print this many misses per corpus")
    ap.add_argument("--corpus", type=Path, action="append", help="hand-written corpora (jsonl)")
    args = ap.parse_args(argv)
    redact_with_questions("预热")  # load LAC once, outside the timing
    if args.n:
        score(_generated(args.n, args.seed), f"generated (seed {args.seed})", args.show)
    files = args.corpus or DEFAULT_CORPORA
    for path in files:
        score(_file(path), path.name, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
