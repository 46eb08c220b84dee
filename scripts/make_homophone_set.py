"""Build the simulated homophone set for bench/asr.py: diary dictation that names the
deployment's places and people, as Whisper might write it.

    python scripts/make_homophone_set.py [--out bench/data/homophone_set.jsonl] [--seed 16]

Each template of ``bench/data/diary_templates.txt`` is filled with names from
``bench/data/homophone_county.json`` (several fillings per template). Each filled sentence
becomes three lines:

* ``clean``: the reference as is (the corrector must leave it alone);
* ``homophone``: one name with one character swapped for another character read the same
  (tones ignored: 南荒沟村 -> 南黄沟村);
* ``near``: one name with one character swapped for a near-homophone (one confusable
  initial or final: zh/z, n/l, an/ang, in/ing ...: 李春生 -> 李村生).

Replacement characters are common ones (found in many of pypinyin's phrases), never the
same character, never one that turns the name into another vocabulary name. Every line:
{"kind", "reference", "heard", "names": [the names in the sentence], "slipped": name or null}.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTY = ROOT / "bench" / "data" / "homophone_county.json"
TEMPLATES = ROOT / "bench" / "data" / "diary_templates.txt"
SLOTS = {"village": "villages", "township": "townships", "cadre": "cadres", "villager": "villagers"}
FILLINGS = 3


def common_chars(min_phrases: int = 30) -> list[str]:
    from pypinyin.phrases_dict import phrases_dict

    counts = Counter(ch for phrase in phrases_dict for ch in phrase)
    return sorted(ch for ch, n in counts.items() if n >= min_phrases and "\u4e00" <= ch <= "\u9fff")


def by_sound(chars: list[str]):
    """toneless reading -> chars, canonical (fuzzy) reading -> chars."""
    from recognize.speech.vocabulary import _readings

    exact, fuzzy = defaultdict(set), defaultdict(set)
    for ch in chars:
        # The everyday reading only: Whisper writes a character for the sound it usually has.
        for _toned, plain, canon in _readings(ch)[:1]:
            exact[plain].add(ch)
            fuzzy[canon].add(ch)
    return exact, fuzzy


def slip(name: str, kind: str, exact, fuzzy, rng: random.Random, vocab: set[str]) -> str | None:
    from recognize.speech.vocabulary import _readings

    positions = list(range(len(name)))
    rng.shuffle(positions)
    for i in positions:
        readings = _readings(name[i])
        if not readings:
            continue
        plain = {r[1] for r in readings}
        if kind == "homophone":
            pool = set().union(*(exact[p] for p in plain))
        else:  # same canonical class, different toneless reading
            pool = {c for r in readings for c in fuzzy[r[2]] if not plain & {x[1] for x in _readings(c)[:1]}}
        pool.discard(name[i])
        options = sorted(c for c in pool if name[:i] + c + name[i + 1:] not in vocab)
        if options:
            c = rng.choice(options)
            return name[:i] + c + name[i + 1:]
    return None


def build(seed: int = 16) -> list[dict]:
    county = json.loads(COUNTY.read_text(encoding="utf-8"))
    templates = [t.strip() for t in TEMPLATES.read_text(encoding="utf-8").splitlines()
                 if t.strip() and not t.startswith("#")]
    vocab = {n for key in SLOTS.values() for n in county[key]}
    vocab |= {n[:-1] for n in county["villages"] + county["townships"] if len(n) >= 4}
    exact, fuzzy = by_sound(common_chars())
    rng = random.Random(seed)
    out = []
    for template in templates:
        for _ in range(FILLINGS):
            names = {}
            text = template
            for slot, key in SLOTS.items():
                if "{" + slot + "}" in text:
                    names[slot] = rng.choice(county[key])
                    text = text.replace("{" + slot + "}", names[slot])
            out.append({"kind": "clean", "reference": text, "heard": text,
                        "names": list(names.values()), "slipped": None})
            for kind in ("homophone", "near"):
                slot = rng.choice(sorted(names))
                name = names[slot]
                wrong = slip(name, kind, exact, fuzzy, rng, vocab)
                if wrong is None:
                    continue
                heard = template
                for s, n in names.items():
                    heard = heard.replace("{" + s + "}", wrong if s == slot else n)
                out.append({"kind": kind, "reference": text, "heard": heard,
                            "names": list(names.values()), "slipped": name, "as": wrong})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "bench" / "data" / "homophone_set.jsonl"))
    p.add_argument("--seed", type=int, default=16)
    args = p.parse_args()
    rows = build(args.seed)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds = Counter(r["kind"] for r in rows)
    print(f"{len(rows)} sentences -> {args.out}: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()
