from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api" or None)

from webapp.api import tus, uploads, views  # noqa: E402,F401
