"""A served app's start-up objects — modules, mappers, compiled templates, message catalogues,
some 180,000 of them — taken out of Python's cyclic garbage collector once they are built, and
the collector run less often.

Otherwise each full collection walks every start-up object again. A county's dashboard makes
tens of thousands of objects a request, enough for a full collection every request or two: a
third of the page's time at province scale (bench/scale.py), and most of its p95. Frozen
objects live as long as the process anyway; with the default thresholds (700, 10, 10) the
young generations are still collected some 150 times a dashboard request, so they are raised
(measured: p50 158 → 132-147 ms, p95 190 → 146-165 ms on the county dashboard). Off in tests
(an app per test would stay in memory); on when served (MINXIN_GC_FREEZE=0 turns it off).
"""
from __future__ import annotations

import gc

from flask import Flask

THRESHOLDS = (20_000, 20, 20)


def wanted(app: Flask) -> bool:
    setting = app.config.get("GC_FREEZE")  # MINXIN_GC_FREEZE, read by core.settings as a bool
    return not app.config.get("TESTING") if setting is None else bool(setting)


def freeze_start_up_objects(app: Flask) -> None:
    if wanted(app):
        gc.collect()  # what is garbage already is not kept
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)
