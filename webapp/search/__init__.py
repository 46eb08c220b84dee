from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search")

from webapp.search import views  # noqa: E402,F401
