"""Which heard words of a memo the reviewer should look at.

Every word gets a calibrated score (the chance it is heard right): a logistic model over what
the decoder says of it (the lowest and the mean probability of its tokens) and what else
separates right from wrong in a memo: the word's length, whether it recurs in the memo,
whether it is a county name, unknown to jieba's dictionary or sounds like a county name
without being one, whether it lies next to a VAD cut, and whether it is a lone character
among lone characters (the segmenter found no word there: often misheard speech). The weights are data
(`recognize/data/speech_flags.json`), fitted with leave-one-clip-out cross-validation by
`bench/asr.py --fit-flags`; words scoring below ``SpeechOptions.flag_below``
(MINXIN_SPEECH_FLAG_BELOW, default the fitted threshold) are flagged.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from recognize.flagging import FlagModel, load_model, logit, probabilities
from recognize.lexicon.dictionary import is_known_word
from recognize.speech.vocabulary import Vocabulary, _is_han, _sounds_like

DATA = Path(__file__).parent.parent / "data" / "speech_flags.json"
FEATURES = ("logit_min", "logit_mean", "length", "repeated", "county_name", "unknown", "homophone",
            "near_cut", "fragment")
# A word this close (seconds) to where VAD cut the speech was often clipped or run on.
CUT_SECONDS = 0.3




def near_cut(start: float, end: float, cuts: Sequence[float]) -> bool:
    """A word from `start` to `end` (seconds) lies within CUT_SECONDS of a VAD cut."""
    return any(start - CUT_SECONDS <= c <= end + CUT_SECONDS for c in cuts)


def features(words: Sequence[dict], memo_text: str, vocab: Vocabulary | None = None) -> list[list[float]]:
    """One row per word (see FEATURES); `memo_text`: the whole memo, for repetition."""
    names = set(vocab.names) if vocab else set()
    counts = Counter(w["text"] for w in words)
    single = [len(w["text"]) == 1 and _is_han(w["text"]) for w in words]
    rows = []
    for k, w in enumerate(words):
        text = w["text"]
        han = len(text) >= 2 and all(_is_han(c) for c in text)
        low = w["probability"]
        mean = w.get("mean_probability", low)
        repeated = counts[text] > 1 or (len(text) >= 2 and memo_text.count(text) > 1)
        homophone = han and text not in names and any(
            len(n) == len(text) and _sounds_like(text, n) is not None for n in names)
        rows.append([logit(low), logit(mean), float(min(len(text), 4)), float(repeated),
                     float(text in names), float(han and not is_known_word(text)), float(homophone),
                     float(bool(w.get("near_cut"))),
                     float(single[k] and any(0 <= j < len(words) and single[j] for j in (k - 1, k + 1)))])
    return rows


@lru_cache(maxsize=1)
def load(path: Path = DATA) -> FlagModel:
    return load_model(path, FEATURES)


def scores(rows: Sequence[Sequence[float]], model: FlagModel | None = None) -> list[float]:
    return probabilities(model or load(), rows)


def score_pieces(pieces: Sequence, vocab: Vocabulary | None = None, flag_below: float | None = None,
                 model: FlagModel | None = None) -> None:
    """Give each word of the memo's pieces its "score" and flag it ("flagged") below
    `flag_below` (default the model's fitted threshold)."""
    model = model or load()
    threshold = model.flag_below if flag_below is None else flag_below
    words = [w for p in pieces for w in (p.words or [])]
    memo_text = "".join(p.text for p in pieces)
    for w, s in zip(words, scores(features(words, memo_text, vocab), model)):
        w["score"] = round(s, 4)  # flagged by the stored score, so the two always agree
        w["flagged"] = w["score"] < threshold
