"""The dashboard: per unit and month, visits per cadre against the quota, items opened / solved /
overdue / escalated, satisfaction; charts drawn in the page (vendored Chart.js) and the same
numbers as tables; what falls due within 3 days and what is overdue."""
from __future__ import annotations


from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ledger import stats
from ledger.db import db_session
from ledger.deadlines import due_report, local_today
from ledger.models import OrgUnit
from ledger.workflow import STATUS_LABELS
from webapp.dashboard import bp
from webapp.params import month_arg


@bp.route("/")
@login_required
def index():
    if current_user.role not in ("supervisor", "admin"):
        abort(403)
    today = local_today()
    unit_id = request.args.get("unit", type=int)
    unit = db_session.get(OrgUnit, unit_id) if unit_id else current_user.org_unit
    if unit is None or not unit.is_within(current_user.org_unit):
        abort(403)
    year, month = month_arg(request.args.get("month")) or (today.year, today.month)
    quota = int(current_app.config.get("VISIT_QUOTA", stats.DEFAULT_QUOTA))
    visits = stats.visits_per_cadre(db_session, unit, year, month, quota)
    rows = stats.unit_month_stats(db_session, unit, year, month, today)
    due = due_report(db_session, today, within=unit)
    total = rows[-1]
    chart = {
        "units": [r.label for r in rows[:-1]],
        "opened": [r.opened for r in rows[:-1]],
        "solved": [r.solved for r in rows[:-1]],
        "overdue": [r.overdue for r in rows[:-1]],
        "escalated": [r.escalated for r in rows[:-1]],
        "cadres": [v.user.display_name for v in visits],
        "visits": [v.visits for v in visits],
        "quota": quota,
        "ratings": list(total.satisfaction.counts.keys()),
        "rating_counts": list(total.satisfaction.counts.values()),
    }
    choices = db_session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(current_user.org_unit.path))
                                 .order_by(OrgUnit.path)).all()
    return render_template(
        "dashboard/index.html", unit=unit, units=choices, year=year, month=month,
        months=stats.month_choices(today), visits=visits, rows=rows, due=due, chart=chart, quota=quota,
        today=today, status_labels=STATUS_LABELS)
