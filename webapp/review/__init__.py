from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review" or None)

from webapp.review import (
    transcript,  # noqa: E402,F401
    views,  # noqa: E402,F401
)
