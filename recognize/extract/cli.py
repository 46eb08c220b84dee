"""``minxin extract``: transcript text on standard input -> the diary fields.

    echo "今天上午到南荒沟村走访村民李树，他反映…" | minxin extract --now 2022-01-05T19:00:00 --json

The command function is wired into the ``minxin`` group by webapp/cli.py, which makes the demo
county (ops/demo_county.toml) the default gazetteer; alone it runs without one.
"""
from __future__ import annotations

import datetime as dt
import json
import sys

import click

from recognize.extract import Gazetteer, extract_entry


def _parse_now(ctx, param, value):
    if value is None:
        return dt.datetime.now()
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO date-time: {value!r} (e.g. 2022-01-05T19:00:00)")


@click.command("extract")
@click.option("--now", "now", callback=_parse_now, metavar="ISO",
              help="capture time that relative and lunar dates resolve against (default: now)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--gazetteer", "gazetteer_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help='org tree as JSON: {"units": [[name, level, parent], ...], "cadre_names": [...]} '
                   "or TOML (default under minxin: the demo county)")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="a county's learned model (instance/extractor/county-N.pkl, from minxin train-extractor)")
def extract_command(now, as_json, gazetteer_path, model_path):
    """Read a transcript from standard input and print the diary entry fields."""
    from core.settings import Settings
    from recognize.extract import category

    category.use_keywords_file(Settings.from_env().category_keywords)  # MINXIN_CATEGORY_KEYWORDS
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff")
    gazetteer = Gazetteer.from_file(gazetteer_path) if gazetteer_path else None
    model = None
    if model_path:
        from recognize.extract import learn

        model = learn.load(model_path)
        if model is None:
            raise click.BadParameter(f"not a model this version can read: {model_path}", param_hint="--model")
    result = extract_entry(text, now, gazetteer, model=model).to_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        if key in ("confidence", "evidence", "proposed_by"):
            continue
        conf = result["confidence"].get(key)
        shown = "、".join(value) if isinstance(value, list) else ("" if value is None else value)
        click.echo(f"{key}: {shown}" + (f"  ({conf:.2f})" if conf is not None else ""))
