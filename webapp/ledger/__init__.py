from flask import Blueprint

bp = Blueprint("ledger", __name__, url_prefix="/ledger" or None)

from webapp.ledger import (
    publish,  # noqa: E402,F401  (公开审核, ledger/publication.py)
    views,  # noqa: E402,F401
)
