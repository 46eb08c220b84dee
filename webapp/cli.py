"""The `minxin` command line: set up, add people and places, ingest, run, demo.

Each command is imported only when it is called (webapp/commands/index.toml says where each
lives, as git's command-list.txt does): `minxin redact`, `extract` and `transcribe` need no app
and start without building it or importing the areas, and `minxin --help` lists every command
from the index alone. The other commands run in an app built by the factory (configured by the
composition root, ops.compose: the settings of core.settings, MINXIN_*, the instance folder at
./instance unless MINXIN_INSTANCE_PATH says otherwise), inside its context, as a FlaskGroup
would run them; the factory also puts them on `app.cli` (webapp/commands/__init__.py).
"""
from __future__ import annotations

import importlib
import tomllib
from functools import cache
from pathlib import Path

import click

import webapp
from ops.demo_county import DEMO_COUNTY_FILE

INDEX = Path(__file__).with_name("commands") / "index.toml"
# The commands that need no app.
APPLESS = frozenset({"extract", "redact", "transcribe"})


@cache
def index() -> dict[str, dict[str, str]]:
    with INDEX.open("rb") as f:
        return tomllib.load(f)


def load_command(name: str) -> click.Command:
    module, attribute = index()[name]["command"].split(":")
    return getattr(importlib.import_module(module), attribute)


class MinxinGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(index())

    def get_command(self, ctx: click.Context, name: str):
        if name not in index():
            return None
        command = load_command(name)
        if name not in APPLESS and not ctx.resilient_parsing:
            ctx.with_resource(webapp.create_app().app_context())
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry["summary"]) for name, entry in sorted(index().items())])


cli = MinxinGroup(
    name="minxin",
    help="民心日记 (Minxin Diary): 命令行工具 (command line)",
    # `minxin extract` without --gazetteer knows the demo county's places.
    context_settings={"default_map": {"extract": {"gazetteer_path": str(DEMO_COUNTY_FILE)}}},
)


def main() -> None:
    cli(prog_name="minxin")


if __name__ == "__main__":
    main()
