"""三率 per unit and month, as the county's 12345 rules count them; the dashboard's table and its
export are the same rows from `three_rates`.

- 响应率: of the items a unit opened in the month whose response time has run out (or that were
  acted on), the share acted on within it. The response time is the first deadline an item has:
  RESPONSE_WORKING_DAYS working days (official calendar) after it was opened; acting on it is
  any handling step (快办快结, 限期, 上报, 受理, 办结, 反馈, 合并).
- 解决率: of the items completed in the month (办结 or 快办快结, by the unit holding them then),
  the share 已解决; 部分解决 and 未能解决 are counted beside it.
- 满意率: of the month's evaluations of the unit's items, (满意 + w × 基本满意) / all, with w the
  county's weight for 基本满意 (BASIC_SATISFIED_WEIGHT: 1 counts it as satisfied, 0.5 as half).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.settings import config_value, default
from ledger.deadlines import add_working_days, local_today
from ledger.exports import neutralise
from ledger.models import OUTCOMES, Evaluation, LedgerItem, LedgerTransition
from ledger.stats import _to_local, utc_bounds
from org.models import OrgUnit
from org.scope import scope_ids

HANDLING = ("solve_now", "set_deadline", "escalate", "accept", "complete", "feedback", "merge")
DEFAULT_RESPONSE_DAYS = default("RESPONSE_WORKING_DAYS")


@dataclass(frozen=True)
class RateRules:
    response_working_days: int = DEFAULT_RESPONSE_DAYS
    basic_satisfied_weight: float = default("BASIC_SATISFIED_WEIGHT")

    @classmethod
    def from_config(cls, config: Mapping) -> "RateRules":
        return cls(int(config_value(config, "RESPONSE_WORKING_DAYS")),
                   float(config_value(config, "BASIC_SATISFIED_WEIGHT")))


def outcome_of(tr: LedgerTransition) -> str:
    """The outcome a completion recorded (its reason starts with it; older ones: 已解决)."""
    return outcome_in(tr.reason)


def outcome_in(reason: str) -> str:
    for o in OUTCOMES:
        if reason.startswith(o + "："):
            return o
    return "已解决"


@dataclass
class UnitRates:
    unit: Optional[OrgUnit]  # None: the total row
    due_response: int = 0
    responded: int = 0
    completed: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {o: 0 for o in OUTCOMES})
    ratings: dict[str, int] = field(default_factory=lambda: {"满意": 0, "基本满意": 0, "不满意": 0})
    weight: float = 1.0

    @property
    def label(self) -> str:
        return self.unit.name if self.unit is not None else "合计"

    @property
    def response_rate(self) -> Optional[float]:
        return self.responded / self.due_response if self.due_response else None

    @property
    def solve_rate(self) -> Optional[float]:
        return self.outcomes["已解决"] / self.completed if self.completed else None

    @property
    def evaluations(self) -> int:
        return sum(self.ratings.values())

    @property
    def satisfaction_rate(self) -> Optional[float]:
        n = self.evaluations
        if not n:
            return None
        return (self.ratings["满意"] + self.weight * self.ratings["基本满意"]) / n

    def add(self, other: "UnitRates") -> None:
        self.due_response += other.due_response
        self.responded += other.responded
        self.completed += other.completed
        for k, v in other.outcomes.items():
            self.outcomes[k] += v
        for k, v in other.ratings.items():
            self.ratings[k] = self.ratings.get(k, 0) + v


def _responded(opened_at: dt.datetime, first_handled_at: Optional[dt.datetime], rules: RateRules,
               today: dt.date) -> Optional[bool]:
    """True/False once the response time has run out or the item was acted on; None before."""
    limit = add_working_days(_to_local(opened_at), rules.response_working_days)
    if first_handled_at is not None and _to_local(first_handled_at) <= limit:
        return True
    if today <= limit:
        return None  # still within its response time
    return False


def three_rates(session: Session, unit: OrgUnit, year: int, month: int, *, rules: RateRules = RateRules(),
                today: Optional[dt.date] = None) -> list[UnitRates]:
    """One row per unit at or under `unit`, then the total row."""
    today = today or local_today()
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)))
    rows = {u.id: UnitRates(u, weight=rules.basic_satisfied_weight) for u in units}
    start, end = utc_bounds(year, month)
    under = scope_ids(session, unit)  # as a list of ids: each unit's own (to_unit_id, action, at) range
    T, step = LedgerTransition, aliased(LedgerTransition)
    # Each opening with the time of the item's first handling step after it, read in the
    # database: the items and their histories are not loaded.
    first_handled = (select(step.at).where(step.item_id == T.item_id, step.id > T.id, step.action.in_(HANDLING))
                     .order_by(step.id).limit(1).correlate(T).scalar_subquery())
    for unit_id, opened_at, handled_at in session.execute(
            select(T.to_unit_id, T.at, first_handled)
            .where(T.at >= start, T.at < end, T.action == "open", T.to_unit_id.in_(under))):
        answered = _responded(opened_at, handled_at, rules, today) if unit_id in rows else None
        if answered is not None:
            rows[unit_id].due_response += 1
            rows[unit_id].responded += answered
    for unit_id, reason in session.execute(
            select(T.to_unit_id, T.reason)
            .where(T.at >= start, T.at < end, T.action.in_(("solve_now", "complete")), T.to_unit_id.in_(under))):
        if unit_id in rows:
            rows[unit_id].completed += 1
            rows[unit_id].outcomes[outcome_in(reason)] += 1
    evs = session.execute(select(Evaluation.rating, LedgerItem.org_unit_id)
                          .join(LedgerItem, Evaluation.item_id == LedgerItem.id)
                          .where(Evaluation.at >= start, Evaluation.at < end,
                                 # the responsible cadre's own ratings are shown apart, not counted
                                 Evaluation.by_responsible.is_not(True),
                                 LedgerItem.org_unit_id.in_(under))).all()
    for rating, unit_id in evs:
        if unit_id in rows:
            rows[unit_id].ratings[rating] = rows[unit_id].ratings.get(rating, 0) + 1
    out = [rows[u.id] for u in units]
    total = UnitRates(None, weight=rules.basic_satisfied_weight)
    for r in out:
        total.add(r)
    return [*out, total]


COLUMNS = ("单位", "应响应", "按时响应", "响应率", "办结", "已解决", "部分解决", "未能解决", "解决率",
           "评价数", "满意", "基本满意", "不满意", "满意率")


PERCENT_COLUMNS = tuple(i for i, name in enumerate(COLUMNS) if name.endswith("率"))


def percent(rate: Optional[float]) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def table_row(r: UnitRates) -> list:
    """The row as the dashboard and the export show it (the same cells)."""
    return [r.label, r.due_response, r.responded, percent(r.response_rate), r.completed,
            r.outcomes["已解决"], r.outcomes["部分解决"], r.outcomes["未能解决"], percent(r.solve_rate),
            r.evaluations, r.ratings["满意"], r.ratings["基本满意"], r.ratings["不满意"],
            percent(r.satisfaction_rate)]


def export_csv(rows: list[UnitRates]) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM as UTF-8
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([neutralise(v) for v in table_row(r)])  # as the ledger exports: no live formulas
    return buf.getvalue()


def export_xlsx(rows: list[UnitRates], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "三率"
    ws.append([title])
    ws.append(list(COLUMNS))
    rates_of = lambda r: (r.response_rate, r.solve_rate, r.satisfaction_rate)  # noqa: E731
    for r in rows:
        cells = [neutralise(v) for v in table_row(r)]
        # The rates as numbers formatted as percentages (text "67%" cannot be summed or charted).
        for col, rate in zip(PERCENT_COLUMNS, rates_of(r)):
            cells[col] = rate
        ws.append(cells)
        for col in PERCENT_COLUMNS:
            ws.cell(row=ws.max_row, column=col + 1).number_format = "0%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
