"""Speech benchmark: every engine on the real Mandarin clips, next to the stock whisper CLI.

    python bench/asr.py [--engines faster-whisper,openai-whisper] [--model base]
                        [--threads 2] [--no-cli] [--prompts]

Clips and references come from ``shared/eval/audio/manifest.tsv`` (``MINXIN_SHARED_DIR``
overrides where ``shared`` is; default ``../shared`` next to the repository).

Each engine runs in its own subprocess so load time and peak memory (max RSS from
``wait4``) are its own. In the subprocess the model is loaded (timed), warmed up on the
shortest clip, then every clip is transcribed through ``transcribe_audio`` (timed).

* CER: corpus character error rate (edit distance / reference characters) after OpenCC
  t2s, without spaces and punctuation.
* RTF: transcription seconds / audio seconds, model already loaded (a worker keeps it).
* wall: process start to last transcript, without the warm-up clip: imports + load +
  all clips, comparable to the CLI's wall. "vs CLI" is the CLI's wall / this wall.
* Each measurement runs ``--repeat`` times (default 2), interleaved, fastest kept: other
  people's load on a shared machine only ever makes a run slower.
* The stock ``whisper`` command line (openai-whisper's own CLI, its default decoding:
  beam 5, best-of 5, temperature fallback) runs as a subprocess on the checkpoint that
  ``recognize.speech.whisper_convert`` made, all clips in one invocation; its RTF includes its
  start-up and model load because a CLI cannot be timed otherwise. When no ``ffmpeg`` is
  installed, a tiny stand-in that decodes with PyAV is put on its PATH (the CLI shells out
  to ffmpeg for decoding; everything else is stock).

``--memo-lengths`` times the default engine on longer recordings made by joining the real
clips (0.6 s of silence between them) once, three and six times: short clips each pay a whole
30-second encoder pass, a dictated memo of a minute or more does not.

``--flags`` prints flag quality on the real clips and the demo memo (default engine): the share
of wrong characters (substituted or inserted, and deletions next to a flagged word) that lie
inside flagged words against the share of words flagged, per memo, for the four clips and for
all, side by side: the old rule (lowest token probability < 0.55), the shipped calibrated score
(``recognize/speech/flags.py``, its threshold from ``recognize/data/speech_flags.json``) and
the score fitted leave-one-memo-out (bench/asr_flags.py). ``--fit-flags`` refits the score on
all five and writes the data file.

``--vocabulary`` prints CER on the real clips (and on the demo memo, which names the demo
county's village) with and without the vocabulary corrector and faster-whisper hotwords, the
vocabulary being the county of ``bench/data/homophone_county.json``; then the simulated
homophone set (``scripts/make_homophone_set.py``): slipped names restored, and new errors in
sentences that had none; and, as unseen clean text, the notes of ``tests/data/extraction_*``.

``--prompts`` adds an ablation on the default engine: no prompt, the base prompt
(以下是普通话的句子。), a vocabulary unrelated to the clips (village/cadre names), and an
oracle vocabulary of terms taken from the references.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UNRELATED_VOCAB = ["南荒沟村", "李家屯", "张建国", "王秀兰", "石门乡", "合作社", "低保", "网格员"]
ORACLE_VOCAB = ["停滞", "商场", "业绩", "部门", "汇报", "销售", "经理"]


def shared_dir() -> Path:
    env = os.environ.get("MINXIN_SHARED_DIR")
    return Path(env) if env else ROOT.parent / "shared"


def load_manifest() -> list[dict]:
    audio = shared_dir() / "eval" / "audio"
    with open(audio / "manifest.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        row["path"] = str(audio / row["file"])
    return rows


def speech_options(args: argparse.Namespace, compute: str = ""):
    """The deployment's speech options (MINXIN_SPEECH_*, through core.settings) with this run's
    threads and, when given, compute type."""
    from dataclasses import replace

    from core.settings import Settings
    from recognize.options import SpeechOptions

    options = SpeechOptions.from_config(Settings.from_env().as_config())
    return replace(options, threads=args.threads, compute=compute or options.compute)


# --------------------------------------------------------------------------- worker side
def worker(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()
    engine_name, _, compute = args.worker.partition(":")
    options = speech_options(args, compute)
    from recognize.speech import transcribe as speech
    from recognize.speech.audio import decode_audio

    rows = load_manifest()
    t0 = time.perf_counter()
    eng = speech.get_engine(engine_name, args.model, beam_size=args.beam, options=options)
    load_s = time.perf_counter() - t0
    vocab = json.loads(args.vocab) if args.vocab else []
    kwargs = dict(engine=engine_name, model=args.model, vocabulary=vocab,
                  beam_size=args.beam, base_prompt=args.base_prompt,
                  vocab_prompt=True if vocab else None, options=options)
    shortest = min(rows, key=lambda r: os.path.getsize(r["path"]))
    t0 = time.perf_counter()
    speech.transcribe_array(decode_audio(shortest["path"]), **kwargs)
    warm_s = time.perf_counter() - t0
    results = []
    t_pass = time.perf_counter()
    for row in rows:
        t0 = time.perf_counter()
        audio = decode_audio(row["path"])
        tr = speech.transcribe_array(audio, **kwargs)
        results.append({"file": row["file"], "text": tr.text,
                        "seconds": time.perf_counter() - t0, "duration": tr.duration})
    pass_s = time.perf_counter() - t_pass
    print(json.dumps({
        "engine": eng.name, "model": eng.model, "device": eng.device,
        "compute": getattr(eng, "compute_type", "float32"), "load_s": load_s,
        "warm_s": warm_s, "pass_s": pass_s,
        "startup_s": (t_pass - t_start) - warm_s, "results": results,
    }, ensure_ascii=False))


# --------------------------------------------------------------------------- parent side
def run_measured(cmd: list[str], env: dict, cwd: Path) -> tuple[int, str, str, float, float]:
    """Run ``cmd``; return (rc, stdout, stderr, wall seconds, peak RSS in MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"), wall, usage.ru_maxrss / 1024)


def corpus_cer(pairs: list[tuple[str, str]]) -> float:
    from recognize.speech.text import edit_distance, normalize_for_cer

    edits = sum(edit_distance(normalize_for_cer(h), normalize_for_cer(r)) for h, r in pairs)
    chars = sum(len(normalize_for_cer(r)) for _, r in pairs)
    return edits / max(1, chars)


def bench_engine(engine: str, args, rows, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", engine,
           "--model", args.model, "--threads", str(args.threads), "--beam", str(args.beam)]
    cmd += extra or []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rc, out, err, wall, rss = run_measured(cmd, env, ROOT)
    if rc != 0:
        raise SystemExit(f"{engine} worker failed ({rc}):\n{err[-3000:]}")
    data = json.loads(out.strip().splitlines()[-1])
    refs = {r["file"]: r["reference"] for r in rows}
    audio_s = sum(r["duration"] for r in data["results"])
    data.update(
        cer=corpus_cer([(r["text"], refs[r["file"]]) for r in data["results"]]),
        rtf=data["pass_s"] / audio_s, audio_s=audio_s, rss_mb=rss,
        wall_s=data["startup_s"] + data["pass_s"],
    )
    return data


FFMPEG_SHIM = r'''#!{python}
# Stand-in for ffmpeg with the arguments openai-whisper's load_audio passes: decode the
# input with PyAV to 16 kHz mono s16le on stdout.
import sys, av, numpy as np
src = sys.argv[sys.argv.index("-i") + 1]
rate = int(sys.argv[sys.argv.index("-ar") + 1])
with av.open(src) as c:
    rs = av.AudioResampler(format="s16", layout="mono", rate=rate)
    for f in c.decode(audio=0):
        f.pts = None
        for o in rs.resample(f):
            sys.stdout.buffer.write(o.to_ndarray().astype("<i2").tobytes())
    for o in rs.resample(None):
        sys.stdout.buffer.write(o.to_ndarray().astype("<i2").tobytes())
'''


def bench_cli(args, rows) -> dict:
    from recognize import weights

    checkpoint = weights.openai_whisper_checkpoint(args.model)
    whisper_bin = Path(sys.executable).with_name("whisper")
    cmd_base = [str(whisper_bin)] if whisper_bin.exists() else [sys.executable, "-m", "whisper"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ)
        shim = "system ffmpeg"
        if shutil.which("ffmpeg") is None:
            (tmp / "bin").mkdir()
            script = tmp / "bin" / "ffmpeg"
            script.write_text(FFMPEG_SHIM.replace("{python}", sys.executable))
            script.chmod(0o755)
            env["PATH"] = f"{tmp / 'bin'}{os.pathsep}{env.get('PATH', '')}"
            shim = "PyAV ffmpeg stand-in"
        cmd = cmd_base + [r["path"] for r in rows] + [
            "--model", str(checkpoint), "--language", "zh", "--device", "cpu",
            "--fp16", "False", "--threads", str(args.threads), "--verbose", "False",
            "--output_format", "txt", "--output_dir", str(tmp / "out"),
        ]
        rc, out, err, wall, rss = run_measured(cmd, env, ROOT)
        if rc != 0:
            raise SystemExit(f"whisper CLI failed ({rc}):\n{err[-3000:]}")
        texts = {r["file"]: (tmp / "out" / (Path(r["file"]).stem + ".txt")).read_text("utf-8")
                 for r in rows}
    from recognize.speech.audio import decode_audio

    audio_s = sum(len(decode_audio(r["path"])) / 16000 for r in rows)
    return {
        "engine": "whisper CLI (stock)", "model": args.model, "device": "cpu",
        "compute": "float32", "load_s": None, "rtf": wall / audio_s, "wall_s": wall,
        "rss_mb": rss, "audio_s": audio_s, "decoder": shim,
        "cer": corpus_cer([(texts[r["file"]], r["reference"]) for r in rows]),
        "results": [{"file": r["file"], "text": texts[r["file"]].strip()} for r in rows],
    }


def print_table(results: list[dict], cli: dict | None) -> None:
    head = f"{'engine':<22} {'model':<6} {'compute':<8} {'CER':>6} {'RTF':>6} {'load s':>7} " \
           f"{'wall s':>7} {'peak MB':>8} {'vs CLI':>7}"
    print(head)
    print("-" * len(head))
    rows = results + ([cli] if cli else [])
    for r in rows:
        load = f"{r['load_s']:.2f}" if r.get("load_s") is not None else "-"
        speed = f"{cli['wall_s'] / r['wall_s']:.1f}x" if cli else "-"
        print(f"{r['engine']:<22} {r['model']:<6} {r['compute']:<8} {r['cer']:>6.3f} "
              f"{r['rtf']:>6.2f} {load:>7} {r['wall_s']:>7.1f} {r['rss_mb']:>8.0f} {speed:>7}")


def memo_lengths(args, rows) -> None:
    """RTF and CER of the default engine on the clips joined into memo-length recordings."""
    import numpy as np

    options = speech_options(args)
    from recognize.speech import transcribe as speech
    from recognize.speech.audio import decode_audio
    from recognize.speech.transcribe import SAMPLE_RATE, default_engine

    gap = np.zeros(int(0.6 * SAMPLE_RATE), dtype=np.float32)
    once = np.concatenate([x for r in rows for x in (decode_audio(r["path"]), gap)])
    reference = "".join(r["reference"] for r in rows)
    engine = default_engine(options)
    speech.transcribe_array(decode_audio(rows[0]["path"]), engine=engine, model=args.model, beam_size=args.beam,
                            options=options)
    print(f"\nmemo length ({engine} {speech.DEFAULT_CPU_COMPUTE}, {args.model}, the clips joined n times, "
          f"best of {args.repeat}):")
    print(f"{'n':>3} {'audio s':>8} {'RTF':>6} {'CER':>6}")
    for n in (1, 3, 6):
        audio = np.tile(once, n)
        best, text = None, ""
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            text = speech.transcribe_array(audio, engine=engine, model=args.model, beam_size=args.beam,
                                           options=options).text
            took = time.perf_counter() - t0
            best = took if best is None else min(best, took)
        seconds = len(audio) / SAMPLE_RATE
        print(f"{n:>3} {seconds:>8.1f} {best / seconds:>6.3f} {corpus_cer([(text, reference * n)]):>6.3f}", flush=True)


MEMO = ROOT / "samples" / "voice" / "memo.m4a"
# samples/voice/README.md: the text the demo memo was synthesised from.
MEMO_REFERENCE = ("三月十二日上午，我到南荒沟村入户走访了村民张大爷。他反映村里通往镇上的那段路，一下雨就没法走，"
                  "孩子上学很不方便。我们商量先由村委会组织群众修补，再向乡里申请道路硬化资金。")


def county_vocabulary():
    from recognize.speech.vocabulary import Vocabulary

    county = json.loads((ROOT / "bench" / "data" / "homophone_county.json").read_text("utf-8"))
    return Vocabulary.build(names=county["cadres"] + county["villagers"],
                            places=county["townships"] + county["villages"] + [county["county"]])


OLD_FLAG_BELOW = 0.55  # the probability threshold before the calibrated score (issue #27)
FLAG_L2 = 0.1  # few memos: the weights are pulled hard towards 0


def flag_memos(args, rows) -> list[dict]:
    """Every real clip and the demo memo, transcribed as production does (corrector off),
    labelled against its reference (bench/asr_flags.py)."""
    import asr_flags
    from recognize.speech import transcribe as speech
    from recognize.transcript import RecognizedText

    options = speech_options(args)
    county = county_vocabulary()
    cache = Path(args.flags_cache) if args.flags_cache else None
    items = [(Path(r["path"]), r["reference"]) for r in rows]
    if MEMO.exists():
        items.append((MEMO, MEMO_REFERENCE))
    memos = []
    for path, ref in items:
        hit = cache / (path.stem + ".json") if cache else None
        if hit and hit.exists():
            t = RecognizedText.from_dict(json.loads(hit.read_text("utf-8")))
        else:
            t = speech.transcribe_array(speech.decode_audio(path), model=args.model, beam_size=args.beam,
                                        correct=False, options=options)
            if hit:
                hit.parent.mkdir(parents=True, exist_ok=True)
                hit.write_text(json.dumps(t.to_dict(), ensure_ascii=False), "utf-8")
        memo = asr_flags.label(t, ref, county)
        memo["name"] = path.stem[:24]
        memos.append(memo)
    return memos


def flags_report(args, rows) -> None:
    import asr_flags
    from recognize.speech import flags

    memos = flag_memos(args, rows)
    if args.fit_flags:
        model = asr_flags.fit_model(memos, FLAG_L2)
        loo = asr_flags.leave_one_out(memos, FLAG_L2)
        a, b, c, d = asr_flags.quality(memos, lambda m, k: loo[memos.index(m)][k])
        asr_flags.write(model, memos, f"{len(memos)} memos (the 4 real clips of shared/eval/audio and the demo memo; "
                                      f"bench/asr.py --fit-flags), l2 {FLAG_L2}, leave-one-memo-out: {a}/{b} errors "
                                      f"caught, {c}/{d} words flagged")
        print(f"wrote {flags.DATA}")
    model = flags.load()
    loo = asr_flags.leave_one_out(memos, FLAG_L2)
    columns = [
        (f"old: p < {OLD_FLAG_BELOW}", lambda m, k: m["words"][k]["probability"] < OLD_FLAG_BELOW),
        (f"score < {model.flag_below} (shipped)",
         lambda m, k: flags.scores([m["rows"][k]], model)[0] < model.flag_below),
        ("score, leave-one-memo-out", lambda m, k: bool(loo[memos.index(m)][k])),
    ]
    print(f"\nflag quality ({args.model}; a word = LAC word over Whisper's tokens): errors (wrong characters) "
          "inside flagged words / words flagged")
    print(f"{'memo':<26}" + "".join(f"{name:>34}" for name, _ in columns))

    def cell(subset, fn):
        a, b, c, d = asr_flags.quality(subset, fn)
        return f"{a:>3}/{b:<3}{a / max(1, b):>5.0%} | {c:>3}/{d:<3}{c / max(1, d):>5.0%}".rjust(34)

    for m in memos:
        print(f"{m['name']:<26}" + "".join(cell([m], fn) for _n, fn in columns))
    real = memos[:len(rows)]
    print(f"{'4 real clips':<26}" + "".join(cell(real, fn) for _n, fn in columns))
    print(f"{'all':<26}" + "".join(cell(memos, fn) for _n, fn in columns))
    print("targets: >= 80% of wrong characters inside flagged words, <= 20% of words flagged; "
          "weights: " + ", ".join(f"{f} {w:+.2f}" for f, w in zip(flags.FEATURES, model.weights)))


def vocab_report(args, rows) -> None:
    options = speech_options(args)
    from recognize.speech import transcribe as speech
    from recognize.speech.audio import decode_audio
    from recognize.speech.vocabulary import apply, correct_text

    vocab = county_vocabulary()
    audio = {r["file"]: decode_audio(r["path"]) for r in rows}
    memo = decode_audio(MEMO) if MEMO.exists() else None
    print(f"\nvocabulary ({len(vocab.names)} names of bench/data/homophone_county.json; "
          f"{speech.default_engine(options)}, {args.model}):")
    print(f"{'variant':<34} {'CER clips':>9} {'CER memo':>9}  memo text")
    for label, corrector, hot in (("plain", False, False), ("corrector", True, False),
                                  ("hotwords", False, True), ("hotwords + corrector", True, True)):
        texts = {f: speech.transcribe_array(a, model=args.model, beam_size=args.beam, vocabulary=vocab,
                                            correct=corrector, hotwords=hot, options=options).text
                 for f, a in audio.items()}
        cer_clips = corpus_cer([(texts[r["file"]], r["reference"]) for r in rows])
        memo_text = speech.transcribe_array(memo, model=args.model, beam_size=args.beam, vocabulary=vocab,
                                            correct=corrector, hotwords=hot, options=options).text \
            if memo is not None else ""
        cer_memo = corpus_cer([(memo_text, MEMO_REFERENCE)]) if memo is not None else float("nan")
        print(f"{label:<34} {cer_clips:>9.3f} {cer_memo:>9.3f}  {memo_text[:60]}")
        if args.show_text:
            for f, t in texts.items():
                print(f"  {f}: {t!r}")

    path = ROOT / "bench" / "data" / "homophone_set.jsonl"
    sim = [json.loads(line) for line in path.open(encoding="utf-8")]
    print(f"\nsimulated homophone set ({path.relative_to(ROOT)}, {len(sim)} sentences; "
          "scripts/make_homophone_set.py):")
    print(f"{'kind':<12} {'sentences':>9} {'restored':>9} {'unchanged':>10} {'other result':>13}")
    for kind in ("homophone", "near", "clean"):
        part = [r for r in sim if r["kind"] == kind]
        out = [apply(r["heard"], correct_text(r["heard"], vocab)) for r in part]
        ok = sum(o == r["reference"] for o, r in zip(out, part))
        same = sum(o == r["heard"] for o, r in zip(out, part))
        other = sum(o != r["reference"] and o != r["heard"] for o, r in zip(out, part))
        shown = f"{ok}/{len(part)} = {ok / len(part):.1%}" if kind != "clean" else "-"
        print(f"{kind:<12} {len(part):>9} {shown:>9} {same:>10} {other:>13}"
              + ("   (new errors in clean sentences)" if kind == "clean" else ""))
    notes = []
    for f in sorted((ROOT / "tests" / "data").glob("extraction_*.jsonl")):
        notes += [json.loads(line).get("text", "") for line in f.open(encoding="utf-8") if line.strip()]
    changed = [(n, correct_text(n, vocab)) for n in notes]
    changed = [(n, c) for n, c in changed if c]
    print(f"unseen clean notes (tests/data/extraction_*.jsonl, other villages and people): "
          f"{len(changed)}/{len(notes)} changed: "
          + "; ".join(f"{c.before}->{c.after}" for _, cs in changed for c in cs))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engines", default="faster-whisper:float32,faster-whisper:int8,openai-whisper",
                   help="comma-separated ENGINE[:CTRANSLATE2_COMPUTE_TYPE]")
    p.add_argument("--model", default="base")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--no-cli", action="store_true")
    p.add_argument("--repeat", type=int, default=2, help="runs per engine; fastest is kept")
    p.add_argument("--prompts", action="store_true", help="prompt/vocabulary ablation")
    p.add_argument("--memo-lengths", action="store_true", help="RTF on memo-length recordings joined from the clips")
    p.add_argument("--show-text", action="store_true")
    p.add_argument("--flags", action="store_true", help="flag quality of word confidences on the real clips")
    p.add_argument("--vocabulary", dest="vocab_report", action="store_true",
                   help="CER with/without the vocabulary corrector and hotwords; the simulated homophone set")
    p.add_argument("--fit-flags", action="store_true",
                   help="with --flags: fit the word-flag model and write recognize/data/speech_flags.json")
    p.add_argument("--flags-cache", default="", help=argparse.SUPPRESS)
    p.add_argument("--only", action="store_true", help="skip the engine table (with --flags / --vocabulary)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--vocab", default="", help=argparse.SUPPRESS)
    p.add_argument("--base-prompt", action="store_true", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return

    rows = load_manifest()
    if args.only:
        if args.flags:
            flags_report(args, rows)
        if args.vocab_report:
            vocab_report(args, rows)
        return
    audio_s = None
    print(f"clips: {len(rows)} from {shared_dir() / 'eval' / 'audio'}; threads={args.threads}, "
          f"beam={args.beam}, best of {args.repeat} runs, cpu_count={os.cpu_count()}, "
          f"load avg {os.getloadavg()[0]:.1f}")
    # Timings on a shared machine swing 3x with other people's load: every measurement is
    # repeated --repeat times, engines and CLI interleaved, and the fastest run is kept.
    engines = [e for e in args.engines.split(",") if e]
    runs: dict[str, list[dict]] = {e: [] for e in engines}
    cli_runs: list[dict] = []
    for _ in range(args.repeat):
        for e in engines:
            runs[e].append(bench_engine(e, args, rows))
        if not args.no_cli:
            cli_runs.append(bench_cli(args, rows))
    results = [min(runs[e], key=lambda r: r["wall_s"]) for e in engines]
    cli = min(cli_runs, key=lambda r: r["wall_s"]) if cli_runs else None
    audio_s = results[0]["audio_s"] if results else cli["audio_s"]
    print(f"audio: {audio_s:.1f} s in {len(rows)} clips"
          + (f"; CLI decodes through the {cli['decoder']}" if cli else ""))
    print()
    print_table(results, cli)
    if args.show_text:
        for r in results + ([cli] if cli else []):
            print(f"\n[{r['engine']}]")
            for item in r["results"]:
                print(f"  {item['file']}: {item['text']!r}")

    if args.memo_lengths:
        memo_lengths(args, rows)
    if args.flags:
        flags_report(args, rows)
    if args.vocab_report:
        vocab_report(args, rows)

    if args.prompts:
        from recognize.speech import transcribe as speech
        from recognize.speech.transcribe import default_engine

        eng = f"{default_engine(speech_options(args))}:{speech.DEFAULT_CPU_COMPUTE}"
        print(f"\nprompt ablation ({eng}, {args.model}):")
        print(f"{'prompt':<40} {'CER':>6} {'RTF':>6}  punctuation marks")
        variants = [
            ("none", []),
            ("base prompt 以下是普通话的句子。", ["--base-prompt"]),
            ("unrelated vocabulary (8 names)", ["--vocab", json.dumps(UNRELATED_VOCAB)]),
            ("oracle vocabulary (7 reference terms)", ["--vocab", json.dumps(ORACLE_VOCAB)]),
        ]
        for label, extra in variants:
            r = bench_engine(eng, args, rows, extra)
            punct = sum(sum(ch in "，。？！、" for ch in x["text"]) for x in r["results"])
            print(f"{label:<40} {r['cer']:>6.3f} {r['rtf']:>6.2f}  {punct}")
            if args.show_text:
                for item in r["results"]:
                    print(f"  {item['file']}: {item['text']!r}")
    print(f"\n(load avg at end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          "timings on a shared machine are noisy)")


if __name__ == "__main__":
    main()
