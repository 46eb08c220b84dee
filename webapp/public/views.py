"""Public pages, no login: closed items per unit with nothing identifying a person (公开), and the
villager's evaluation page reached through the secret evaluation code of the feedback slip, typed
or scanned as a QR code (群众评议); the item's number opens nothing here."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core.db import db_session
from core.errors import DomainError
from ledger import exports, publication, ratings
from ledger.models import EVALUATION_RATINGS
from org.models import OrgUnit
from webapp.auth import ratelimit
from webapp.config import public_base_url
from webapp.extensions import limiter
from webapp.public import bp


@bp.after_request
def _no_referrer(resp):
    # The evaluation code is in the URL; don't leak it to other sites, and keep pages out of caches.
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    resp.headers.setdefault("X-Robots-Tag", "noindex")
    return resp


@bp.route("/")
def index():
    units = db_session.scalars(select(OrgUnit).order_by(OrgUnit.path)).all()
    return render_template("public/index.html", units=units)


@bp.route("/<int:unit_id>")
def unit(unit_id: int):
    u = db_session.get(OrgUnit, unit_id)
    if u is None:
        abort(404)
    items, next_after, total = exports.public_items_page(db_session, u, after=request.args.get("after", "")[:64])
    newest = publication.newest_for(db_session, items)
    rows = [exports.public_item(i, newest=newest.get(i.id)) for i in items]
    return render_template("public/unit.html", unit=u, rows=rows, children=u.children, total=total,
                           next_after=next_after, paged=bool(request.args.get("after")))


def _evaluation_url(code: str) -> str:
    # From the configured base URL, never the request's Host (the QR image is cached publicly).
    return ratings.evaluation_url(code, public_base_url(current_app.config))


# Codes are short: guessing them, or flooding one with ratings, is slowed per client.
_per_client = limiter.shared_limit(ratelimit.limit("PUBLIC_EVAL_LIMIT"), key_func=ratelimit.client_key,
                                   scope="public-evaluate")


@bp.route("/code")
@_per_client
def find_code():
    """The box on /public/: a typed code goes to its evaluation page (normalised, so spaces and
    lower case typed from the slip still work)."""
    code = ratings.normalise_code(request.args.get("code", ""))
    if not code:
        return redirect(url_for("public.index"))
    return redirect(url_for("public.evaluate", code=code))


@bp.route("/e/<code>", methods=["GET", "POST"])
@_per_client
def evaluate(code: str):
    item = ratings.item_by_eval_code(db_session, code)
    by_number = None
    if item is None:
        # The item's number is its public reference: it shows how the item stands (a new
        # deadline, its result) and never the evaluation form.
        by_number = ratings.item_by_number(db_session, code)
    if (item or by_number) is None or (item or by_number).status == "merged":
        g.no_echo = True  # an error page never repeats what was submitted (the code may be anything)
        return render_template("public/evaluate.html", item=None, row=None), 404
    if by_number is not None:
        if request.method == "POST":
            abort(404)
        row = exports.public_item(by_number) if by_number.status == "closed" else None
        return render_template("public/evaluate.html", item=by_number, row=row, by_number=True,
                               open_for_rating=False, code_used=False)
    if request.method == "POST":
        try:
            ratings.submit_public_evaluation(db_session, code, request.form.get("rating", ""),
                                                request.form.get("comment", ""))
            db_session.commit()
        except DomainError as exc:
            db_session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("public.evaluate", code=code))
        except StaleDataError:  # another evaluation of this code won the race
            db_session.rollback()
            flash(_("此评议码已使用，感谢您的评价"), "error")
            return redirect(url_for("public.evaluate", code=code))
        return render_template("public/thanks.html")
    row = exports.public_item(item) if item.status == "closed" else None
    return render_template("public/evaluate.html", item=item, row=row, ratings=EVALUATION_RATINGS,
                           open_for_rating=ratings.can_evaluate_publicly(item),
                           code_used=ratings.public_evaluation_used(item))


@bp.route("/qr/<code>.png")
@_per_client
def qr(code: str):
    item = ratings.item_by_eval_code(db_session, code)
    if item is None:
        abort(404)
    resp = Response(ratings.qr_png(_evaluation_url(item.eval_code)), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, no-store"  # the code is a secret of one villager
    return resp
