from flask import Blueprint

bp = Blueprint("ledger", __name__, url_prefix="/ledger" or None)

from webapp.ledger import (
    corrections,  # noqa: E402,F401  (更正 after confirming: diary/corrections.py, ledger/corrections.py)
    publish,  # noqa: E402,F401  (公开审核, ledger/publication.py)
    views,  # noqa: E402,F401
)
