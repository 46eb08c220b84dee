"""Recognition: speech (Whisper), handwriting (PaddleOCR) and field extraction.

Modules here are plain functions over plain data (see `transcript.py`); nothing in this
package touches the database, so the same code runs in the web process, the embedded
worker and Celery workers.
"""
from recognize.transcript import Piece, RecognizedText

__all__ = ["Piece", "RecognizedText"]
