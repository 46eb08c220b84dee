"""`minxin redact`: text on standard input, what a public page would show on standard output."""
from __future__ import annotations

import sys

import click


@click.command("redact", help="从标准输入读文本，输出公开页面显示的样子 (stdin → the text as a public page shows it)")
@click.option("--known", multiple=True, help="已知的人名或号码，也要遮盖 (a name or number known to be personal)")
@click.option("--spans", "show_spans", is_flag=True, help="同时列出遮盖的部分 (also list what was masked)")
def redact_command(known: tuple[str, ...], show_spans: bool) -> None:
    from recognize.privacy import apply_masks, spans

    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException("输入不是 UTF-8 文本 (input is not UTF-8 text)") from None
    hits = spans(text, known)
    click.echo(apply_masks(text, hits), nl=not text.endswith("\n"))
    if show_spans:
        for h in hits:
            click.echo(f"{h.kind}\t{h.start}\t{h.end}\t{h.text}", err=True)
