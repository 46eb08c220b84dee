"""`minxin redact`: text on standard input, what a public page would show on standard output.

``--jsonl``: one ``{"text": …}`` a line in, one ``{"public": …, "ask": [the original substrings
asked about]}`` a line out, in one process (models load once): ``public`` masks the sure finds
and leaves the questions as written, for the supervisor (or the county officer) to decide.
"""
from __future__ import annotations

import json
import sys

import click


def _jsonl(known: tuple[str, ...]) -> None:
    from recognize.privacy import redact_with_questions

    out = sys.stdout
    for n, raw in enumerate(sys.stdin.buffer, start=1):
        line = raw.decode("utf-8", errors="strict").strip() if raw.strip() else ""
        if not line:
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise click.ClickException(f"第 {n} 行不是 {{\"text\": …}} (line {n} is not a {{\"text\": …}} object)") from None
        public, asked = redact_with_questions(text, known)
        out.write(json.dumps({"public": public, "ask": [text[a:b] for a, b in asked]}, ensure_ascii=False) + "\n")
        out.flush()


@click.command("redact", help="从标准输入读文本，输出公开页面显示的样子 (stdin → the text as a public page shows it)")
@click.option("--known", multiple=True, help="已知的人名或号码，也要遮盖 (a name or number known to be personal)")
@click.option("--spans", "show_spans", is_flag=True, help="同时列出遮盖的部分 (also list what was masked)")
@click.option("--jsonl", "jsonl", is_flag=True,
              help='每行一个 {"text": …}，每行输出 {"public": …, "ask": […]} (one JSON object a line in and out)')
def redact_command(known: tuple[str, ...], show_spans: bool, jsonl: bool) -> None:
    from recognize.privacy import apply_masks, spans

    if jsonl:
        try:
            _jsonl(known)
        except UnicodeDecodeError:
            raise click.ClickException("输入不是 UTF-8 文本 (input is not UTF-8 text)") from None
        return
    raw = sys.stdin.buffer.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException("输入不是 UTF-8 文本 (input is not UTF-8 text)") from None
    hits = spans(text, known)
    click.echo(apply_masks(text, hits), nl=not text.endswith("\n"))
    if show_spans:
        for h in hits:
            click.echo(f"{h.kind}\t{h.decision}\t{h.score:.2f}\t{h.start}\t{h.end}\t{h.text}", err=True)
