"""The `minxin` command line: set up, add people and places, ingest, run, demo.

A FlaskGroup: it builds the app with the app factory (configured by the composition root,
ops.compose: the settings of core.settings, MINXIN_*, the instance folder at ./instance unless
MINXIN_INSTANCE_PATH says otherwise) and runs the commands the areas registered on `app.cli`
(webapp/commands/) in its context. The commands that need no app are the group's own.
"""
from __future__ import annotations

from flask.cli import FlaskGroup

from ops.demo_county import DEMO_COUNTY_FILE
from recognize.extract.cli import extract_command
from recognize.privacy.cli import redact_command
from webapp import create_app
from webapp.commands import recognize


def _create_app():
    return create_app()


# `minxin extract` without --gazetteer knows the demo county's places.
cli = FlaskGroup(
    name="minxin",
    help="民心日记 (Minxin Diary): 命令行工具 (command line)",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    context_settings={"default_map": {"extract": {"gazetteer_path": str(DEMO_COUNTY_FILE)}}},
)
cli.add_command(extract_command, "extract")
cli.add_command(redact_command, "redact")
for _command in recognize.COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="minxin")


if __name__ == "__main__":
    main()
