"""The dashboard: per unit and month, visits per cadre against the quota, items opened / solved /
overdue / escalated, satisfaction; charts drawn in the page (vendored Chart.js) and the same
numbers as tables; what falls due within 3 days and what is overdue; 三率 per unit (table and
export, the same rows); the 督办 list; recurring problems across villages, each turnable into a
key project."""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import params
from core.db import db_session
from core.errors import DomainError
from ledger import month_counts, notifications, rates, recurring, stats
from ledger.deadlines import due_summary_page, local_today
from ledger.models import LedgerItem
from ledger.workflow import STATUS_LABELS
from org.models import OrgUnit
from org.scope import can_see_item
from webapp.dashboard import bp
from webapp.params import month_arg


def _href(endpoint: str, key: str, **args):
    """url_for(endpoint, key=id, **args) for id after id at the cost of one url_for: a county's
    dashboard links thousands of items and cadres."""
    mark = "987654321"
    head, tail = url_for(endpoint, **args, **{key: mark}).split(mark)
    return lambda value: f"{head}{int(value)}{tail}"


def _unit_and_month():
    if current_user.role not in ("supervisor", "admin"):
        abort(403)
    today = local_today()
    unit_id = request.values.get("unit", type=int)
    unit = db_session.get(OrgUnit, unit_id) if unit_id else current_user.org_unit
    if unit is None or not unit.is_within(current_user.org_unit):
        abort(403)
    year, month = month_arg(request.values.get("month")) or (today.year, today.month)
    return today, unit, year, month


# Rows per page of the dashboard's long tables: a county has 241 units and 900 cadres, a person
# reads the first screenful (the cadres furthest behind first) and pages on.
UNIT_ROWS, VISIT_ROWS, DUE_ROWS = 30, 50, 30
SUPERVISED_ROWS = 20  # the longest overdue of the 督办 list; the ledger's 只看逾期 has them all


class Page:
    """One page of a long table: `rows` shown, page `n` of `pages`, its query parameter."""

    def __init__(self, rows: list | Callable[[int, int], tuple[list, int]], param: str, size: int):
        """`rows`: all of them, or a function (offset, limit) -> (those rows, how many in all)."""
        self.param, self.size = param, size
        asked = max(1, request.args.get(param, 1, type=int) or 1)
        if callable(rows):
            self.rows, self.total = rows((asked - 1) * size, size)
            self.pages = max(1, -(-self.total // size))
            if asked > self.pages:  # past the end: the last page
                self.rows, self.total = rows((self.pages - 1) * size, size)
            self.n = min(asked, self.pages)
            return
        self.total = len(rows)
        self.pages = max(1, -(-len(rows) // size))
        self.n = min(asked, self.pages)
        self.rows = rows[(self.n - 1) * size:self.n * size]

    def href(self, n: int) -> str:
        args = {**request.args.to_dict(), self.param: n}
        return url_for("dashboard.index", **args)


@bp.route("/")
@login_required
def index():
    today, unit, year, month = _unit_and_month()
    quota = int(current_app.config.get("VISIT_QUOTA", stats.DEFAULT_QUOTA))
    visits = Page(stats.visits_per_cadre(db_session, unit, year, month, quota), "vp", VISIT_ROWS)
    rules = rates.RateRules.from_config(current_app.config)
    # an ended month as the background job counted it, else counted now
    rows, three = month_counts.read(db_session, unit, year, month, rules, today)
    rows = rows or stats.unit_month_stats(db_session, unit, year, month, today)
    three = three or rates.three_rates(db_session, unit, year, month, rules=rules, today=today)
    # a province's lists run to thousands: the page shows the head, the ledger the rest
    list_rows, cell_rows, list_clusters = SUPERVISED_ROWS, 10, 10
    due = Page(lambda offset, limit: due_summary_page(db_session, today, within=unit, head=cell_rows,
                                                      offset=offset, limit=limit), "dp", DUE_ROWS)
    total = rows[-1]
    units_page = Page(rows[:-1], "up", UNIT_ROWS)
    chart = {
        "units": [r.label for r in units_page.rows],
        "opened": [r.opened for r in units_page.rows],
        "solved": [r.solved for r in units_page.rows],
        "overdue": [r.overdue for r in units_page.rows],
        "escalated": [r.escalated for r in units_page.rows],
        "cadres": [v.user.display_name for v in visits.rows],
        "visits": [v.visits for v in visits.rows],
        "quota": quota,
        "ratings": list(total.satisfaction.counts.keys()),
        "rating_counts": list(total.satisfaction.counts.values()),
    }
    supervised, supervised_total = notifications.supervision_head(
        db_session, today, notifications.supervise_after(current_app.config), unit=unit, limit=list_rows)
    # worked out in the background (ledger.recurring.refresh_stale): the last result, as it is
    recurring_clusters, recurring_result = recurring.stored_clusters(db_session, unit, limit=list_clusters)
    choices = db_session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(current_user.org_unit.path))
                                 .order_by(OrgUnit.path)).all()
    return render_template(
        "dashboard/index.html", unit=unit, units=choices, year=year, month=month,
        months=stats.month_choices(today), visits=visits, rows=units_page.rows + [total], units_page=units_page,
        due=due, chart=chart, quota=quota,
        today=today, status_labels=STATUS_LABELS, as_of=stats.as_of(year, month, today),
        three=three[:-1][(units_page.n - 1) * units_page.size:units_page.n * units_page.size] + three[-1:],
        rate_columns=rates.COLUMNS, table_row=rates.table_row, rate_percent=rates.percent,
        supervised=supervised, supervised_total=supervised_total,
        supervise_after=notifications.supervise_after(current_app.config), clusters=recurring_clusters,
        recurring_result=recurring_result,
        list_rows=list_rows, cell_rows=cell_rows, list_clusters=list_clusters,
        item_href=_href("ledger.item", "item_id"),
        diary_href=_href("ledger.diary", "cadre", month=f"{year}-{month:02d}"),
        behind_labels={n: _("落后，差 %(n)s 次", n=n) for n in range(1, quota + 1)})


@bp.route("/rates.<fmt>")
@login_required
def export_rates(fmt: str):
    """三率 as CSV or Excel: the dashboard's rows, cell for cell."""
    today, unit, year, month = _unit_and_month()
    rows = rates.three_rates(db_session, unit, year, month, rules=rates.RateRules.from_config(current_app.config),
                             today=today)
    name = f"{unit.name}三率-{year}-{month:02d}"
    if fmt == "csv":
        data, mime = rates.export_csv(rows).encode("utf-8"), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data = rates.export_xlsx(rows, f"{unit.full_name} 三率 {year}-{month:02d}")
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    resp = Response(data, content_type=mime)  # mimetype= would add a second charset (bug 10)
    resp.headers["Content-Disposition"] = (f"attachment; filename=rates-{unit.id}-{year}{month:02d}.{fmt}; "
                                           f"filename*=UTF-8''{quote(name)}.{fmt}")
    return resp


@bp.route("/cluster", methods=["POST"])
@login_required
def cluster_to_project():
    """One step: a recurring problem's items become a key project held by the dashboard's unit."""
    today, unit, year, month = _unit_and_month()
    ids = params.idents(request.form.getlist("item_id"))
    items = [db_session.get(LedgerItem, x) for x in ids]
    if any(i is None or not can_see_item(current_user, i) for i in items):
        abort(404)  # ids outside one's scope answer like missing ones
    items = [i for i in items if i.org_unit.is_within(unit)]
    try:
        project = recurring.make_key_project(db_session, request.form.get("name", ""), unit, items,
                                             current_user._get_current_object())
        db_session.commit()
    except DomainError as exc:
        db_session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("dashboard.index", unit=unit.id))
    flash(_("已创建重点项目“%(name)s”，纳入 %(n)s 件事项", name=project.name, n=len(items)), "ok")
    return redirect(url_for("ledger.index", project=project.id))
