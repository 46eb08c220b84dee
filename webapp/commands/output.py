"""What every command prints the same way: a failure with its exit code, a progress bar.
Apart from common.py so that the commands that need no app import nothing of the areas."""
from __future__ import annotations

import sys

import click


def _fail(message: str, code: int = 1):
    click.echo(message, err=True)
    sys.exit(code)


def _bar(fraction: float, width: int = 20) -> str:
    done = int(round(fraction * width))
    return "[" + "#" * done + "-" * (width - done) + f"] {fraction * 100:5.1f}%"
