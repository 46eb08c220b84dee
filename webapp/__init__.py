"""The Flask edge: the application factory (webapp/factory.py), one blueprint per area, the CLI.

`create_app` is loaded on first use, not when the package is imported: the `minxin` commands that
need no app (extract, redact, transcribe, --help) start without building it or importing its
areas (webapp/cli.py).
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = ("create_app", "BLUEPRINTS", "NAV")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("webapp.factory"), name)
    raise AttributeError(f"module 'webapp' has no attribute {name!r}")
