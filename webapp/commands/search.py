"""``minxin search-reindex``: rebuild the search index (after an upgrade, or a bulk load that
went around the ORM); every write through the app keeps it current by itself."""
from __future__ import annotations

import click

from core import db
from search.index import reindex_all
from webapp.commands.common import _app, _require_schema


@click.command("search-reindex", help="重建搜索索引 (rebuild the search index of entries, ledger items and transcripts)")
def search_reindex_command() -> None:
    app = _app()
    _require_schema(app)
    with db.SessionFactory() as session:
        n = reindex_all(session)
        session.commit()
    click.echo(f"已重建搜索索引：{n} 条 (search index rebuilt: {n} records)")


COMMANDS = (search_reindex_command,)
