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
  ``recognize.whisper_convert`` made, all clips in one invocation; its RTF includes its
  start-up and model load because a CLI cannot be timed otherwise. When no ``ffmpeg`` is
  installed, a tiny stand-in that decodes with PyAV is put on its PATH (the CLI shells out
  to ffmpeg for decoding; everything else is stock).

``--memo-lengths`` times the default engine on longer recordings made by joining the real
clips (0.6 s of silence between them) once, three and six times: short clips each pay a whole
30-second encoder pass, a dictated memo of a minute or more does not.

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


# --------------------------------------------------------------------------- worker side
def worker(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()
    os.environ["MINXIN_ASR_THREADS"] = str(args.threads)
    engine_name, _, compute = args.worker.partition(":")
    if compute:
        os.environ["MINXIN_SPEECH_COMPUTE"] = compute
    from recognize import speech
    from recognize.audio import decode_audio

    rows = load_manifest()
    t0 = time.perf_counter()
    eng = speech.get_engine(engine_name, args.model, beam_size=args.beam)
    load_s = time.perf_counter() - t0
    vocab = json.loads(args.vocab) if args.vocab else []
    kwargs = dict(engine=engine_name, model=args.model, vocabulary=vocab,
                  beam_size=args.beam, base_prompt=args.base_prompt,
                  vocab_prompt=True if vocab else None)
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
    from recognize.speech_text import edit_distance, normalize_for_cer

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
    from recognize import models

    checkpoint = models.openai_whisper_checkpoint(args.model)
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
    from recognize.audio import decode_audio

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

    os.environ["MINXIN_ASR_THREADS"] = str(args.threads)
    from recognize import speech
    from recognize.audio import decode_audio
    from recognize.speech import SAMPLE_RATE, default_engine

    gap = np.zeros(int(0.6 * SAMPLE_RATE), dtype=np.float32)
    once = np.concatenate([x for r in rows for x in (decode_audio(r["path"]), gap)])
    reference = "".join(r["reference"] for r in rows)
    engine = default_engine()
    speech.transcribe_array(decode_audio(rows[0]["path"]), engine=engine, model=args.model, beam_size=args.beam)
    print(f"\nmemo length ({engine} {speech.DEFAULT_CPU_COMPUTE}, {args.model}, the clips joined n times, "
          f"best of {args.repeat}):")
    print(f"{'n':>3} {'audio s':>8} {'RTF':>6} {'CER':>6}")
    for n in (1, 3, 6):
        audio = np.tile(once, n)
        best, text = None, ""
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            text = speech.transcribe_array(audio, engine=engine, model=args.model, beam_size=args.beam).text
            took = time.perf_counter() - t0
            best = took if best is None else min(best, took)
        seconds = len(audio) / SAMPLE_RATE
        print(f"{n:>3} {seconds:>8.1f} {best / seconds:>6.3f} {corpus_cer([(text, reference * n)]):>6.3f}", flush=True)


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
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--vocab", default="", help=argparse.SUPPRESS)
    p.add_argument("--base-prompt", action="store_true", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return

    rows = load_manifest()
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

    if args.prompts:
        from recognize import speech
        from recognize.speech import default_engine

        eng = f"{default_engine()}:{speech.DEFAULT_CPU_COMPUTE}"
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
