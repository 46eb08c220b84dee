"""Handwriting: photos of notebook pages -> lines of text with polygons, one module per stage.

- ``images``: an upload checked, decoded and turned upright (EXIF).
- ``pages``: cleanup before OCR (upscale, a border of paper colour), with the matrices that map
  polygons back onto the photo.
- ``reading_order``: the detector's boxes in reading order (skew, rows, columns), no model.
- ``read``: the OCR engine, lines, strips and ``read_pages``.
"""
from recognize.handwriting.read import read_pages

__all__ = ["read_pages"]
