from flask import Blueprint

bp = Blueprint("ledger", __name__, url_prefix="/ledger" or None)

from webapp.ledger import views  # noqa: E402,F401
