from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/public" or None)

from webapp.public import views  # noqa: E402,F401
