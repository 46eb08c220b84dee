"""The domain's refusals. Every area raises these; the web and CLI edges show or answer them.

`DomainError` refuses what was asked (the message is shown to the user as is). `NotAllowed`
refuses who asks: the actor may not touch the record at all (a capture outside a reviewer's
scope, another cadre's capture); pages answer it as 404, like a missing record, so a refusal
does not tell that the record exists. Neither is an OSError (the builtin PermissionError is
one), so no `except OSError` around storage code can swallow them.
"""
from __future__ import annotations


class DomainError(ValueError):
    """A request the domain refuses; the message is shown to the user as is."""


class NotAllowed(Exception):
    """The actor may not do this to this record."""
