from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard" or None)

from webapp.dashboard import views  # noqa: E402,F401
