from flask import Blueprint

bp = Blueprint("capture", __name__, url_prefix="/capture" or None)

from webapp.capture import views  # noqa: E402,F401
