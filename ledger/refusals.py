"""Refusals of who may act, apart from refusals of what was asked (`DomainError`).

`NotAllowed` is raised when the actor may not touch the record at all (a capture outside a
reviewer's scope, another cadre's capture). Pages answer it as 404, like a missing record, so
a refusal does not tell that the record exists. Not an OSError (the builtin PermissionError
is one), so no `except OSError` around storage code can swallow it.
"""
from __future__ import annotations


class NotAllowed(Exception):
    """The actor may not do this to this record."""
