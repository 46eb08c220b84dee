"""`minxin transcribe`: recognize files with the real models, store nothing (no app needed)."""
from __future__ import annotations

import json
from typing import Optional

import click

from capture.sniff import kind_of, sniff_file
from core.settings import Settings
from webapp.commands.output import _bar, _fail


@click.command(help="直接识别文件，不入库 (recognize files without storing them)")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--engine", default=None, help="语音引擎 (speech engine)")
@click.option("--model", default=None, help="语音模型 (speech model)")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON (print JSON)")
def transcribe(files: tuple[str, ...], engine: Optional[str], model: Optional[str], as_json: bool) -> None:
    from recognize.transcript import RecognitionError

    kinds = set()
    for f in files:
        media_type = sniff_file(f)
        if media_type is None:
            _fail(f"不支持的文件类型：{f} (unsupported file type)", code=2)
        kinds.add(kind_of(media_type))
    if len(kinds) != 1:
        _fail("录音和照片请分开识别 (audio and photos separately)", code=2)
    kind = kinds.pop()
    if kind == "audio" and len(files) > 1:
        _fail("一次只能识别一段录音 (one recording at a time)", code=2)
    from recognize.options import PageOptions, SpeechOptions

    config = Settings.from_env().as_config()
    options: dict = {}
    if kind == "audio":
        options["speech"] = SpeechOptions.from_config(config)
        if engine:
            options["engine"] = engine
        if model:
            options["model"] = model
    else:
        options["pages"] = PageOptions.from_config(config)
    if config["RECOGNIZER"] == "fake":
        from recognize.fake import transcribe_files
    else:
        from recognize.pipeline import transcribe_files

    def progress(fraction: float) -> None:
        click.echo("\r" + _bar(fraction), nl=False, err=True)

    try:
        result = transcribe_files(list(files), kind, progress=progress, **options)
    except RecognitionError as exc:
        click.echo("", err=True)
        _fail(f"无法识别 (cannot recognize): {exc}", code=4)
    click.echo("", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.text)


COMMANDS = (transcribe,)
