"""Security headers on every response: scripts only from this site (the app uses no CDN),
never inside another site's frame, no content-type guessing."""
from __future__ import annotations

from flask_login import current_user

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # style attributes in the templates (indentation, bold totals); no remote styles
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def install_headers(app) -> None:
    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # What a signed-in person sees is theirs alone: a shared computer in a village office
        # must not show it from its cache after they sign out (routes that mean to be cached,
        # static files and the public pages, say so themselves).
        if "Cache-Control" not in resp.headers and _signed_in():
            resp.headers["Cache-Control"] = "no-store"
        return resp


def _signed_in() -> bool:
    return bool(getattr(current_user, "is_authenticated", False))
