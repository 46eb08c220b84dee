"""The diary's commands: ``minxin train-extractor`` trains each county's extractor model from its
confirmed entries; the embedded worker does it daily (start_daily_training)."""
from __future__ import annotations

import click

from core import db
from diary.training import DailyTrainer, describe, model_dir, train_all
from webapp.commands.common import _app, _require_schema


@click.command("train-extractor", help="用已确认的日记训练本县的识别模型 (train the county's extractor from confirmed entries)")
@click.option("--force", is_flag=True, help="即使已确认日记没有变化也重新训练 (train even when nothing changed)")
def train_extractor_command(force: bool) -> None:
    app = _app()
    _require_schema(app)
    with db.SessionFactory() as session:
        results = train_all(session, force=force)
        session.commit()
    for r in results:
        click.echo(describe(r))
    click.echo(f"模型目录 (models): {model_dir()}")


def start_daily_training(app):
    """The embedded worker's schedule: every county's model once a day (skipped when unchanged)."""
    return DailyTrainer(db.SessionFactory).start()


COMMANDS = (train_extractor_command,)
