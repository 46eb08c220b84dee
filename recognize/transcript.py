"""The one result type both recognizers produce, so extraction and review treat them alike."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

# Called with a fraction 0..1 of the work done; long recognitions report through it.
ProgressCallback = Callable[[float], None]


@dataclass
class Piece:
    """One timed audio segment or one text line on a page photo."""

    text: str
    confidence: float  # 0..1
    # Character offsets of this piece inside RecognizedText.text, for evidence highlighting.
    char_start: int = 0
    char_end: int = 0
    # Speech: seconds from the start of the recording.
    start: Optional[float] = None
    end: Optional[float] = None
    # Handwriting: page index (0-based, in upload order) and the line polygon in
    # pixel coordinates of the upright original page: [[x, y], ...].
    page: Optional[int] = None
    polygon: Optional[list[list[float]]] = None
    # Speech: the words inside this piece, in order, each a dict
    # {"text", "start", "end", "probability", "flagged", "char_start", "char_end"} with
    # char_start/char_end offsets inside ``text`` (not RecognizedText.text); a word the
    # vocabulary corrector replaced also has "corrected_from" (what Whisper wrote) and
    # "source" (what the correction came from). None for stored transcripts made before words
    # were kept, and for handwriting.
    words: Optional[list[dict]] = None


def word(text: str, start: float, end: float, probability: float, flagged: bool,
         char_start: int, char_end: int, **extra) -> dict:
    """One entry of ``Piece.words`` (see there)."""
    return {"text": text, "start": start, "end": end, "probability": probability,
            "flagged": flagged, "char_start": char_start, "char_end": char_end, **extra}


@dataclass
class RecognizedText:
    text: str
    pieces: list[Piece] = field(default_factory=list)
    language: str = "zh"
    engine: str = ""
    model: str = ""
    seconds: float = 0.0  # wall-clock time spent recognizing
    duration: Optional[float] = None  # audio length in seconds, when speech
    # Page sizes (width, height) for handwriting, in page order.
    page_sizes: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RecognizedText":
        data = dict(data)
        pieces = [Piece(**p) for p in data.pop("pieces", [])]
        sizes = [tuple(s) for s in data.pop("page_sizes", [])]
        return cls(pieces=pieces, page_sizes=sizes, **data)

    @classmethod
    def join(
        cls, pieces: list[Piece], sep: "str | Callable[[Piece, Piece], str]" = "\n", **kwargs
    ) -> "RecognizedText":
        """Build the full text from pieces and fill in each piece's character offsets.
        `sep` is a string, or a function of the two neighbouring pieces giving the separator."""
        parts: list[str] = []
        pos = 0
        for i, piece in enumerate(pieces):
            if i:
                gap = sep(pieces[i - 1], piece) if callable(sep) else sep
                parts.append(gap)
                pos += len(gap)
            piece.char_start = pos
            parts.append(piece.text)
            pos += len(piece.text)
            piece.char_end = pos
        return cls(text="".join(parts), pieces=pieces, **kwargs)


class RecognitionError(Exception):
    """Input that cannot be recognized; the message is shown to the user as is."""


class ModelMissing(RecognitionError):
    """A model (or the package carrying it) is missing or unreadable on this machine: not the
    input's fault. The job is retried rather than failed at once, and the message names what is
    missing and how to fix it."""
