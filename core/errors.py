"""The domain's refusals. Every area raises these; the web and CLI edges show the message as is."""
from __future__ import annotations


class DomainError(ValueError):
    """A request the domain refuses; the message is shown to the user as is."""
