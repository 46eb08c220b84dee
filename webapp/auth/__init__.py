from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix=None)

from webapp.auth import admin, views  # noqa: E402,F401
