"""A served app's start-up objects — modules, mappers, compiled templates, message catalogues,
some 180,000 of them — taken out of Python's cyclic garbage collector once they are built.

Otherwise each full collection walks them all again. A county's dashboard makes tens of
thousands of objects a request, enough for a full collection every request or two: a third of
the page's time at province scale (bench/scale.py), and most of its p95. Objects frozen here
live as long as the process anyway. Off in tests (an app per test would stay in memory); on
when served (MINXIN_GC_FREEZE=0 turns it off).
"""
from __future__ import annotations

import gc
import os

from flask import Flask


def wanted(app: Flask) -> bool:
    setting = app.config.get("GC_FREEZE")
    if setting is None:
        setting = os.environ.get("MINXIN_GC_FREEZE", "0" if app.config.get("TESTING") else "1")
    return str(setting).lower() not in ("0", "false", "no", "")


def freeze_start_up_objects(app: Flask) -> None:
    if wanted(app):
        gc.collect()  # what is garbage already is not kept
        gc.freeze()
