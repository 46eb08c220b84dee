"""The `minxin` commands, one module per area, registered on the app's `app.cli` by the app
factory (the Flask tutorial's `init_app`); the `minxin` entry (webapp/cli.py) is a FlaskGroup
that builds the app and runs them in its context. Commands that need no app (recognizing a file,
extracting or redacting text) are the entry's own, imported when called.

The areas are named, not imported here: importing one command module (`minxin transcribe`'s)
must not import every area's models.
"""
from __future__ import annotations

import importlib
from types import ModuleType

AREAS = ("ops", "org", "capture", "run", "demo", "diary", "ledger", "search")


def area_modules() -> list[ModuleType]:
    return [importlib.import_module(f"webapp.commands.{name}") for name in AREAS]


def init_app(app) -> None:
    for area in area_modules():
        for command in area.COMMANDS:
            app.cli.add_command(command)
