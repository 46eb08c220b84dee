"""Exports of the ledger: the Excel workbook in the familiar 台账 layout, CSV, the public
(PII-redacted) version of both, and the printable diary of a cadre for a month.

Every text cell is neutralised against formula injection: text starting with = + - @ (or a tab
or carriage return) gets a leading apostrophe, so a spreadsheet never evaluates it.
Public output goes through `public_row`, which uses the one PII detector
(`recognize.pii.redact`) with the item's own known PII strings (reporter, interviewees,
strings extraction flagged) as extra, and shows the place only down to the village. The
problem and the result are shown only as a supervisor approved them (`ledger.publication`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Iterable, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.deadlines import CST
from ledger.models import DiaryEntry, LedgerItem, OrgUnit, User
from ledger.workflow import LEVEL_LABELS, STATUS_LABELS, TRIAGE_LABELS

COLUMNS = ("序号", "日期", "地点", "反映人", "反映问题", "类别", "办理层级", "责任单位",
           "办理时限", "办理结果", "反馈情况", "群众评价")
COLUMN_WIDTHS = (6, 12, 22, 10, 40, 10, 10, 16, 12, 40, 26, 14)
HIDDEN = "（不公开）"
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text a spreadsheet would take as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _local_date(value: Optional[dt.datetime]) -> Optional[dt.date]:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone(CST).date()


# --- PII --------------------------------------------------------------------------------------


def known_pii(item: LedgerItem) -> list[str]:
    """Strings known to identify a person for this item: reporter, interviewees, flagged PII."""
    known = set(item.pii or [])
    if item.reporter:
        known.add(item.reporter)
    for entry in item.entries:
        known.update(entry.pii or [])
        if entry.interviewee:
            known.add(entry.interviewee)
    known.discard("")
    # Longest first, so a full name is replaced before a part of it.
    return sorted(known, key=lambda s: (-len(s), s))


def redact_for_public(item: LedgerItem, text: str) -> str:
    from recognize.pii import redact

    return redact(text or "", extra=tuple(known_pii(item)))


def public_place(item: LedgerItem) -> str:
    """The place down to the village (never the free-text place, which may hold a house number)."""
    unit = item.place_unit
    if unit is None and item.transitions:
        first = item.transitions[0]
        unit = next((u for u in [item.org_unit, *item.org_unit.ancestors()] if u.id == first.to_unit_id), None)
    unit = unit or item.org_unit
    return unit.full_name


# --- rows ---------------------------------------------------------------------------------------


def _reporter(item: LedgerItem) -> str:
    names = [item.reporter] if item.reporter else []
    for entry in item.entries:
        if entry.interviewee and entry.interviewee not in names:
            names.append(entry.interviewee)
    if len(names) > 2:
        return f"{'、'.join(names[:2])}等{len(names)}人"
    return "、".join(names)


def _place(item: LedgerItem) -> str:
    if item.place:
        return item.place
    return (item.place_unit or item.org_unit).full_name


def _visit_date(item: LedgerItem) -> dt.date:
    dates = [e.visit_date for e in item.entries if e.visit_date]
    return min(dates) if dates else _local_date(item.opened_at)


def _time_limit(item: LedgerItem):
    if item.triage == "now":
        return TRIAGE_LABELS["now"]
    return item.deadline or ""


def _result(item: LedgerItem) -> str:
    return item.result or f"（{STATUS_LABELS[item.status]}）"


def ledger_row(item: LedgerItem, number: int) -> list:
    """One row of the internal ledger, in COLUMNS order."""
    feedback = "；".join(
        f"{f.told_at:%Y-%m-%d} {f.method}" + (f"：{f.note}" if f.note else "") for f in item.feedbacks)
    ratings = "、".join(e.rating + ("（现场）" if e.source == "in_person" else "") for e in item.evaluations)
    return [number, _visit_date(item), _place(item), _reporter(item), item.problem, item.category,
            LEVEL_LABELS.get(item.level, item.level), item.responsible_unit or item.org_unit.name,
            _time_limit(item), _result(item), feedback, ratings]


def public_row(item: LedgerItem, number: int) -> list:
    """The same row for the public: nothing that identifies a person."""
    feedback = "；".join(f"{f.told_at:%Y-%m-%d} {f.method}" for f in item.feedbacks)
    ratings = "、".join(e.rating for e in item.evaluations)
    from ledger.publication import public_texts

    r = lambda text: redact_for_public(item, text)  # noqa: E731
    problem, result, _ = public_texts(item)  # only what a supervisor approved for the public
    return [number, _visit_date(item), public_place(item), HIDDEN, problem, item.category,
            LEVEL_LABELS.get(item.level, item.level), r(item.responsible_unit or item.org_unit.name),
            _time_limit(item), result, r(feedback), ratings]


def public_item(item: LedgerItem) -> dict:
    """What the public page shows of a closed item: category, place down to the village, dates,
    the problem and the result, all redacted; ratings without comments."""
    from ledger.publication import public_texts

    problem, result, approved = public_texts(item)  # only what a supervisor approved for the public
    return {
        "approved": approved,
        "code": item.code,
        "category": item.category,
        "place": public_place(item),
        "opened": _visit_date(item),
        "closed": _local_date(item.closed_at),
        "level": LEVEL_LABELS.get(item.level, item.level),
        "unit": item.org_unit.name,
        "problem": problem,
        "result": result,
        "ratings": [e.rating for e in item.evaluations],
    }


# --- selection ---------------------------------------------------------------------------------


def units_under(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)))


def items_for(session: Session, unit: OrgUnit, *, public: bool = False,
              statuses: Optional[Sequence[str]] = None, by_place: bool = False) -> list[LedgerItem]:
    """Items held at or under `unit` (merged ones left out; only closed ones for the public).
    With by_place, also items about a place at or under `unit` held higher up (a village's
    public page shows the problem the county solved for it)."""
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
    where = LedgerItem.org_unit_id.in_(under)
    if by_place:
        where = where | LedgerItem.place_unit_id.in_(under)
    q = (select(LedgerItem).join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id)
         .where(where, LedgerItem.status != "merged"))
    if public:
        q = q.where(LedgerItem.status == "closed")
    elif statuses:
        q = q.where(LedgerItem.status.in_(statuses))
    return list(session.scalars(q.order_by(OrgUnit.path, LedgerItem.opened_at, LedgerItem.id)))


def sheets_for(session: Session, unit: OrgUnit, *, public: bool = False,
               items: Optional[Iterable[LedgerItem]] = None) -> list[tuple[OrgUnit, list[LedgerItem]]]:
    """One sheet per unit holding items (the chosen unit always has one)."""
    items = list(items) if items is not None else items_for(session, unit, public=public)
    grouped: dict[int, list[LedgerItem]] = {}
    for item in items:
        grouped.setdefault(item.org_unit_id, []).append(item)
    return [(u, grouped.get(u.id, [])) for u in units_under(session, unit) if u.id == unit.id or u.id in grouped]


# --- xlsx ----------------------------------------------------------------------------------------


def _sheet_title(name: str, taken: set[str]) -> str:
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in name)[:28] or "台账"
    title, n = clean, 2
    while title in taken:
        title, n = f"{clean}{n}", n + 1
    taken.add(title)
    return title


def export_xlsx(session: Session, unit: OrgUnit, *, public: bool = False,
                items: Optional[Iterable[LedgerItem]] = None, today: Optional[dt.date] = None) -> bytes:
    """The workbook: per sheet a title row, the header row, then one row per item."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    taken: set[str] = set()
    row_fn = public_row if public else ledger_row
    for sheet_unit, sheet_items in sheets_for(session, unit, public=public, items=items):
        ws = wb.create_sheet(_sheet_title(sheet_unit.name, taken))
        title = f"{sheet_unit.full_name}民心日记问题台账" + ("（公示）" if public else "")
        ws.cell(row=1, column=1, value=neutralise(title)).font = Font(bold=True, size=14)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
        ws.row_dimensions[1].height = 28
        for col, name in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=2, column=col, value=name)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDDDDD")
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTHS[col - 1]
        for n, item in enumerate(sheet_items, start=1):
            for col, value in enumerate(row_fn(item, n), start=1):
                value = None if value == "" else value
                cell = ws.cell(row=n + 2, column=col, value=neutralise(value))
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
                cell.border = border
                cell.alignment = wrap
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- csv ----------------------------------------------------------------------------------------


def export_csv(session: Session, unit: OrgUnit, *, public: bool = False,
               items: Optional[Iterable[LedgerItem]] = None) -> str:
    """The same rows as one table, with the ledger (unit) as the last column; UTF-8 with BOM
    so Excel opens the Chinese correctly."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "所属台账"])
    row_fn = public_row if public else ledger_row
    for sheet_unit, sheet_items in sheets_for(session, unit, public=public, items=items):
        for n, item in enumerate(sheet_items, start=1):
            row = [v.isoformat() if isinstance(v, dt.date) else v for v in row_fn(item, n)]
            writer.writerow([neutralise(v) for v in [*row, sheet_unit.full_name]])
    return buf.getvalue()


# --- printable diary --------------------------------------------------------------------------------

_DIARY_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>民心日记 {{ cadre.display_name }} {{ year }}年{{ month }}月</title>
<style>
body { font-family: "SimSun", "Songti SC", serif; margin: 2em; }
h1 { text-align: center; font-size: 1.6em; letter-spacing: .3em; }
.meta { text-align: center; margin-bottom: 1.5em; }
table.entry { width: 100%; border-collapse: collapse; margin-bottom: 1.5em; page-break-inside: avoid; }
table.entry th, table.entry td { border: 1px solid #000; padding: .4em .6em; vertical-align: top; }
table.entry th { width: 7em; background: #f2f2f2; text-align: center; font-weight: normal; }
td.long { height: 4em; white-space: pre-wrap; }
.behind { color: #b00; }
@media print { body { margin: 0; } .noprint { display: none; } }
</style></head><body>
<p class="noprint"><button onclick="window.print()">打印 (Print)</button></p>
<h1>民心日记</h1>
<p class="meta">{{ cadre.org_unit.full_name }}　{{ cadre.display_name }}　{{ year }}年{{ month }}月　
走访 {{ entries|length }} 次（任务 {{ quota }} 次{% if entries|length < quota %}，<span class="behind">未完成</span>{% endif %}）</p>
{% for e in entries %}
<table class="entry">
<tr><th>序号</th><td>{{ loop.index }}</td><th>时间</th><td>{{ e.visit_date or '' }} {{ e.visit_time or '' }}</td></tr>
<tr><th>地点</th><td>{{ e.place }}</td><th>受访对象</th><td>{{ e.interviewee }}</td></tr>
<tr><th>走访方式</th><td>{{ e.visit_method }}</td><th>类别</th><td>{{ e.category }}</td></tr>
<tr><th>反映问题</th><td colspan="3" class="long">{{ e.problem }}</td></tr>
<tr><th>解决思路</th><td colspan="3" class="long">{{ e.solution }}</td></tr>
<tr><th>心得体会</th><td colspan="3" class="long">{{ e.reflections }}</td></tr>
<tr><th>台账</th><td colspan="3">{% for i in e.ledger_items %}[{{ i.code }}] {{ status_labels[i.status] }}{% if i.result %}：{{ i.result }}{% endif %}{% if not loop.last %}；{% endif %}{% else %}未入台账{% endfor %}</td></tr>
</table>
{% else %}
<p>本月没有已确认的走访记录。</p>
{% endfor %}
</body></html>
"""


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next."""
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def diary_entries(session: Session, cadre: User, year: int, month: int) -> list[DiaryEntry]:
    start, end = month_range(year, month)
    return list(session.scalars(
        select(DiaryEntry).where(DiaryEntry.cadre_id == cadre.id, DiaryEntry.status == "confirmed",
                                 DiaryEntry.visit_date >= start, DiaryEntry.visit_date < end)
        .order_by(DiaryEntry.visit_date, DiaryEntry.id)))


def printable_diary(session: Session, cadre: User, year: int, month: int, *, quota: int = 4) -> str:
    """The cadre's confirmed entries of the month as a printable HTML page (internal: not redacted)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_DIARY_TEMPLATE).render(
        cadre=cadre, year=year, month=month, quota=quota,
        entries=diary_entries(session, cadre, year, month), status_labels=STATUS_LABELS)
