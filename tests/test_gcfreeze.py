"""A served app takes its start-up objects out of the cyclic collector; a test app does not."""
from __future__ import annotations

import gc

from webapp.gcfreeze import THRESHOLDS, freeze_start_up_objects, wanted


def test_a_served_app_freezes_its_start_up_objects_and_a_test_app_does_not(app):
    from core.settings import Settings

    assert Settings.from_env({"MINXIN_GC_FREEZE": "0"}).as_config()["GC_FREEZE"] is False
    assert Settings.from_env({}).as_config()["GC_FREEZE"] is None
    app.config["GC_FREEZE"] = None
    assert not wanted(app)  # TESTING
    app.config["TESTING"] = False
    assert wanted(app)  # served
    app.config["GC_FREEZE"] = False  # MINXIN_GC_FREEZE=0
    assert not wanted(app)
    app.config["GC_FREEZE"] = True  # asked for (bench/scale.py measures a served app)
    assert wanted(app)
    before, thresholds = gc.get_freeze_count(), gc.get_threshold()
    try:
        freeze_start_up_objects(app)
        assert gc.get_freeze_count() > before and gc.get_threshold() == THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
