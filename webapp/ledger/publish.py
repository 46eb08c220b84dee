"""公开审核: the supervisor sees the public version of an item beside the original, masks more,
unmasks a false positive, and approves what public pages will show (ledger/publication.py)."""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import params
from core.db import db_session
from core.errors import DomainError
from ledger import publication
from ledger.models import LedgerItem
from org.scope import can_act_on_item, can_see_item
from webapp.ledger import bp

LABELS = {"problem": "反映问题", "result": "办理结果"}


def _item(item_id: int) -> LedgerItem:
    item = db_session.get(LedgerItem, item_id)
    if item is None or not can_see_item(current_user, item):
        abort(404)
    if not can_act_on_item(current_user, item):
        abort(403)
    return item


@bp.route("/item/<int:item_id>/publish", methods=["GET", "POST"])
@login_required
def publish(item_id: int):
    item = _item(item_id)
    if request.method == "POST":
        try:
            masks = params.spans(request.form.get("masks", ""), publication.FIELDS)
            answers, reasons = (params.json_object(params.loads(request.form.get(k, "") or "{}"))
                                for k in ("answers", "reasons"))
            publication.approve(db_session, item, current_user, masks, request.form.get("digest", ""),
                                answers=answers, reasons=reasons)
            db_session.commit()
        except DomainError as exc:  # first: a DomainError is a ValueError too
            db_session.rollback()
            flash(str(exc), "error")
        except (ValueError, TypeError):
            db_session.rollback()
            flash(_("遮盖数据无效，请重试"), "error")
        else:
            flash(_("公开内容已审核通过"), "ok")
        return redirect(url_for("ledger.publish", item_id=item.id))
    drafts = publication.draft(db_session, item)
    fields = [{"field": d.field, "label": _(LABELS[d.field]), "original": d.original,
               "masks": [[m.start, m.end, m.kind, publication.render(d.original[m.start:m.end],
                                                                      [publication.Mask(0, m.end - m.start, m.kind, m.replace)]),
                          m.decision, m.kind in publication.NUMBER_KINDS]
                         for m in d.masks]}
              for d in drafts]
    asked = sum(1 for d in drafts for m in d.masks if m.decision == "ask")
    return render_template("ledger/publish.html", item=item, drafts=drafts, fields=fields, asked=asked,
                           approved=publication.current(item, db_session),
                           digest=publication.source_digest(item))


@bp.app_template_global()
def publication_pending(item: LedgerItem) -> bool:
    """For the item page: does its text wait for the supervisor's approval before it goes public?"""
    return publication.needs_approval(item)
