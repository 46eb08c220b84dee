"""Handwriting: photos of notebook pages -> lines of text with polygons, one module per stage.

- ``images``: an upload checked, decoded and turned upright (EXIF).
- ``pages``: cleanup before OCR (upscale, a border of paper colour), with the matrices that map
  polygons back onto the photo.
- ``reading_order``: the detector's boxes in reading order (skew, rows, columns), no model.
- ``ppocr_v6``: PP-OCRv6 small (rapidocr wheel) on onnxruntime, characters with probabilities
  and boxes (the default engine); ``paddle_v5``: PaddleOCR PP-OCRv5 mobile (the engine before).
- ``flags``: each character's calibrated confidence, and which to flag for the reviewer.
- ``read``: lines, strips, gaps, labels and ``read_pages``.
"""
from recognize.handwriting.read import read_pages

__all__ = ["read_pages"]
