"""The `minxin` commands, one module per area, registered on the app's `app.cli` by the app
factory (the Flask tutorial's `init_app`); the `minxin` entry (webapp/cli.py) is a FlaskGroup
that builds the app and runs them in its context. Commands that need no app (recognizing a file,
extracting or redacting text) are added to the group itself by the entry."""
from __future__ import annotations

from flask import Flask

from webapp.commands import capture, demo, diary, ledger, ops, org, run, search

AREAS = (ops, org, capture, run, demo, diary, ledger, search)


def init_app(app: Flask) -> None:
    for area in AREAS:
        for command in area.COMMANDS:
            app.cli.add_command(command)
