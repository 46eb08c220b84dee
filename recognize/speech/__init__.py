"""Speech: a voice memo -> timed, confidence-scored transcript (Whisper), one module per stage.

- ``audio``: any upload decoded to 16 kHz mono float32 (PyAV).
- ``vad``: an energy gate + Silero VAD, speech packed into windows of <= 29 s.
- ``transcribe``: the engines (faster-whisper, openai-whisper) and ``transcribe_audio``.
- ``text``: Chinese text clean-up (OpenCC t2s, prompt echoes, repeats), CER.
- ``flags``: a calibrated score per heard word; the low ones are flagged for the reviewer.
- ``vocabulary``: the county-vocabulary corrector (pinyin-aware).
- ``whisper_convert``: CTranslate2 folder -> openai-whisper checkpoint.

``python -m recognize.speech FILE`` transcribes one file.
"""
from recognize.speech.audio import SAMPLE_RATE, decode_audio
from recognize.speech.transcribe import transcribe_array, transcribe_audio
from recognize.speech.vocabulary import Vocabulary, correct_transcript

__all__ = ["SAMPLE_RATE", "Vocabulary", "correct_transcript", "decode_audio", "transcribe_array",
           "transcribe_audio"]
