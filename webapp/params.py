"""Request parameters that reach the database or the calendar, bounded at the door.

Ids: the `int` URL converter and `request.args/form.get(..., type=int)` accept only what an
Integer column can hold (PostgreSQL int4); a 20-digit id answers 404 / counts as missing
instead of overflowing in the driver (a 500). Months: a year the calendar can step past in
both directions."""
from __future__ import annotations

from typing import Optional

from flask import jsonify, request
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from core import params as parse
from core.params import MAX_ID, MAX_YEAR, MIN_YEAR  # noqa: F401 - the bounds, named where used


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` with the bounds of an id column: larger numbers do not match (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _bounded(value, default, type):  # noqa: A002
    if type is int and isinstance(value, int) and value is not default and not -MAX_ID <= value <= MAX_ID:
        return default
    return value


class BoundedArgs(ImmutableMultiDict):
    """args/form whose `get(key, type=int)` treats an out-of-range number like a bad one, and
    whose text comes without NUL, stray controls or bidi overrides (core.params.clean_text):
    what any route or form reads, once for all of them."""

    def __init__(self, mapping=None):
        if mapping is not None:
            pairs = mapping.items(multi=True) if hasattr(mapping, "items") and hasattr(mapping, "getlist") \
                else (mapping.items() if isinstance(mapping, dict) else mapping)
            mapping = [(parse.clean_text(k) if isinstance(k, str) else k,
                        parse.clean_text(v) if isinstance(v, str) else v) for k, v in pairs]
        super().__init__(mapping)

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's name)
        return _bounded(super().get(key, default, type), default, type)


class BoundedValues(CombinedMultiDict):
    """request.values, bounded the same way."""

    def get(self, key, default=None, type=None):  # noqa: A002
        return _bounded(super().get(key, default, type), default, type)


def month_arg(text: Optional[str]) -> Optional[tuple[int, int]]:
    """"YYYY-MM" as (year, month), or None (core.params.month)."""
    return parse.month(text)


# --- request bodies -------------------------------------------------------------------------
# The JSON API takes kilobytes, a form at most a long diary text (20,000 characters, percent-
# encoded, with room for the field's own "too long" answer); only the upload doors take files
# (MAX_CONTENT_LENGTH).
API_BODY_BYTES = 64 * 1024
BODY_BYTES = 1024 * 1024
CHUNK_BODY_BYTES = 8 * 1024 * 1024 + 64 * 1024  # capture.uploads.MAX_CHUNK_BYTES and headroom


def takes_files(view):
    """A view whose body may be a whole upload (multipart files)."""
    view.body_limit = "files"
    return view


def takes_chunk(view):
    """A view whose body is one chunk of a resumable upload."""
    view.body_limit = CHUNK_BODY_BYTES
    return view


def body_limit(app, endpoint: Optional[str]) -> int:
    default = API_BODY_BYTES if (endpoint or "").startswith("api.") else BODY_BYTES
    limit = getattr(app.view_functions.get(endpoint or ""), "body_limit", default)
    return int(app.config["MAX_CONTENT_LENGTH"]) if limit == "files" else int(limit)


def install(app) -> None:
    """Before any blueprint registers its rules."""
    app.url_map.converters["int"] = BoundedIntConverter

    class Request(app.request_class):  # type: ignore[name-defined,misc]
        parameter_storage_class = BoundedArgs

        @property
        def values(self):
            return BoundedValues([self.args, self.form] if self.method != "GET" else [self.args])

        @property
        def max_content_length(self):  # per route: a 100 MB JSON body is refused unread (413)
            return body_limit(app, self.url_rule.endpoint if self.url_rule is not None else None)

    app.request_class = Request

    @app.before_request
    def _json_bodies_are_objects():
        # Every JSON door reads an object; [1, 2], "abc" or 5 is refused here, once, for all of
        # them (a form route given one crashed in Flask-WTF).
        if request.method in ("POST", "PATCH", "PUT") and request.is_json:
            try:
                parse.json_object(request.get_json(silent=True))
            except parse.BadParameter as exc:
                return jsonify(error=str(exc), code="bad_request"), 400
        return None
