"""Exports of the ledger: the Excel workbook in the familiar 台账 layout, CSV, the public
(PII-redacted) version of both, and the printable diary of a cadre for a month.

Every text cell is neutralised against formula injection: text starting with = + - @ (or a tab
or carriage return) gets a leading apostrophe, so a spreadsheet never evaluates it.
Public output goes through `public_row`, which uses the one PII detector
(`recognize.privacy.redact`) with the item's own known PII strings (reporter, interviewees,
strings extraction flagged) as extra, and shows the place only down to the village. The
problem and the result are shown only as a supervisor approved them (`ledger.publication`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from itertools import groupby
from operator import attrgetter
from typing import BinaryIO, Iterable, Iterator, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.clock import to_china_date
from diary.models import DiaryEntry
from ledger.models import LedgerItem
from ledger.publication import known_pii, public_texts
from ledger.states import LEVEL_LABELS, STATUS_LABELS, TRIAGE_LABELS
from ledger.workflow import parse_cursor
from org.models import OrgUnit, User
from org.scope import scope_ids, unit_ids_under
from recognize.privacy import redact

# 走访日期: the earliest linked entry's visit date, as on the ledger screen. 编号 is the item's
# number (its public reference); 办理时限 holds dates only, 分办方式 how it was triaged.
COLUMNS = ("序号", "编号", "走访日期", "地点", "反映人", "反映问题", "类别", "办理层级", "责任单位",
           "分办方式", "办理时限", "状态", "办理结果", "反馈情况", "群众评价")
COLUMN_WIDTHS = (6, 11, 12, 22, 10, 40, 10, 10, 16, 10, 12, 12, 40, 26, 14)
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
    return to_china_date(value)


# --- PII --------------------------------------------------------------------------------------


def redact_for_public(item: LedgerItem, text: str) -> str:
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


def _reporter(item: LedgerItem, scope: Optional[set[int]] = None) -> str:
    """The item's reporter and the people its entries visited; with ``scope`` (the unit ids of the
    export), only the entries held there: an item merged with another village's keeps that
    village's people out of this village's export, as the item page does."""
    names = [item.reporter] if item.reporter else []
    for entry in item.entries:
        if scope is not None and entry.org_unit_id not in scope:
            continue
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


visit_date = _visit_date  # the 走访日期 column, for the ledger screen too


def _time_limit(item: LedgerItem):
    return item.deadline or ""  # a date or nothing: 快办快结 is the 分办方式 column's


def _triage(item: LedgerItem) -> str:
    return TRIAGE_LABELS.get(item.triage or "", "")


def _status(item: LedgerItem) -> str:
    return STATUS_LABELS.get(item.status, item.status)


def _result(item: LedgerItem) -> str:
    return item.result or ""


def ledger_row(item: LedgerItem, number: int, scope: Optional[set[int]] = None) -> list:
    """One row of the internal ledger, in COLUMNS order (``scope``: see ``_reporter``)."""
    feedback = "；".join(
        f"{f.told_at:%Y-%m-%d} {f.method}" + (f"：{f.note}" if f.note else "") for f in item.feedbacks)
    ratings = "、".join(e.rating + ("（现场）" if e.source == "in_person" else "") for e in item.evaluations)
    return [number, item.code, _visit_date(item), _place(item), _reporter(item, scope), item.problem, item.category,
            LEVEL_LABELS.get(item.level, item.level), item.responsible_unit or item.org_unit.name,
            _triage(item), _time_limit(item), _status(item), _result(item), feedback, ratings]


def _scoped_rows(session: Session, unit: OrgUnit):
    scope = set(session.scalars(unit_ids_under(unit)))
    return lambda item, number: ledger_row(item, number, scope)


def public_row(item: LedgerItem, number: int) -> list:
    """The same row for the public: nothing that identifies a person."""
    feedback = "；".join(f"{f.told_at:%Y-%m-%d} {f.method}" for f in item.feedbacks)
    ratings = "、".join(e.rating for e in item.evaluations)
    r = lambda text: redact_for_public(item, text)  # noqa: E731
    problem, result, _ = public_texts(item)  # only what a supervisor approved for the public
    return [number, item.code, _visit_date(item), public_place(item), HIDDEN, problem, item.category,
            LEVEL_LABELS.get(item.level, item.level), r(item.responsible_unit or item.org_unit.name),
            _triage(item), _time_limit(item), _status(item), result, r(feedback), ratings]


def public_item(item: LedgerItem, **newest) -> dict:
    """What the public page shows of a closed item: category, place down to the village, dates,
    the problem and the result, all redacted; ratings without comments. `newest=`: the item's
    newest approval, read already for a page of items (publication.newest_for)."""
    problem, result, approved = public_texts(item, **newest)  # only what a supervisor approved
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
    With by_place, items are where their place is: those about a place at or under `unit`
    wherever they are held (a village's public page shows the problem the county solved for
    it), and those without a place where they are held. An item about another township's
    village is on that township's page, not on the page of the cadre who wrote it down."""
    under = unit_ids_under(unit)
    where = LedgerItem.org_unit_id.in_(under)
    if by_place:
        where = LedgerItem.place_unit_id.in_(under) | (LedgerItem.place_unit_id.is_(None) & where)
    q = (select(LedgerItem).join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id)
         .where(where, LedgerItem.status != "merged"))
    if public:
        q = q.where(LedgerItem.status == "closed")
    elif statuses:
        q = q.where(LedgerItem.status.in_(statuses))
    return list(session.scalars(q.order_by(OrgUnit.path, LedgerItem.opened_at, LedgerItem.id)))


PUBLIC_PAGE_SIZE = 30


def _public_where(unit: OrgUnit, session: Optional[Session] = None):
    """Items are where their place is: those about a place at or under `unit` wherever they are
    held (a village's page shows the problem the county solved for it), and those without a
    place where they are held; an item about another township's village is on that township's
    page, not on the page of the cadre who wrote it down."""
    under = scope_ids(session, unit)  # the ids as a list: the planner takes the place index
    # A closed item always has closed_at (workflow's checks); said here, a walk of the closed_at
    # index newest first starts at the newest closed item, not among every open item's NULL.
    return (LedgerItem.place_unit_id.in_(under) | (LedgerItem.place_unit_id.is_(None) & LedgerItem.org_unit_id.in_(under)),
            LedgerItem.status == "closed", LedgerItem.closed_at.is_not(None))


def public_items_page(session: Session, unit: OrgUnit, *, after: str = "",
                      per_page: int = PUBLIC_PAGE_SIZE) -> tuple[list[LedgerItem], Optional[str], int]:
    """A unit's public page: closed items held at or under it or about a place under it, last
    closed first, keyset-paged on (closed_at, id); with the next cursor and the total."""
    where = _public_where(unit, session)
    q = select(LedgerItem).where(*where)
    cursor = parse_cursor(after)  # (closed_at, id): the ledger list's cursor format
    if cursor is not None:
        q = q.where((LedgerItem.closed_at < cursor[0]) | ((LedgerItem.closed_at == cursor[0]) & (LedgerItem.id < cursor[1])))
    # with the places' townships and county (a place is printed with its full name)
    places = selectinload(LedgerItem.place_unit).selectinload(OrgUnit.parent).selectinload(OrgUnit.parent)
    rows = list(session.scalars(q.options(*_ROW_LOADS, places)
                                .order_by(LedgerItem.closed_at.desc(), LedgerItem.id.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    nxt = f"{rows[-1].closed_at.isoformat()}_{rows[-1].id}" if more and rows and rows[-1].closed_at else None
    total = session.scalar(select(func.count(LedgerItem.id)).where(*where)) or 0
    return rows, nxt, total


def count_for(session: Session, unit: OrgUnit, *, public: bool = False) -> int:
    """How many items an export of `unit` holds (a count, not a load)."""
    q = select(func.count(LedgerItem.id)).where(
        LedgerItem.org_unit_id.in_(unit_ids_under(unit)),
        LedgerItem.status == "closed" if public else LedgerItem.status != "merged")
    return session.scalar(q) or 0


def sheets_for(session: Session, unit: OrgUnit, *, public: bool = False,
               items: Optional[Iterable[LedgerItem]] = None) -> list[tuple[OrgUnit, list[LedgerItem]]]:
    """One sheet per unit holding items (the chosen unit always has one)."""
    items = list(items) if items is not None else items_for(session, unit, public=public)
    grouped: dict[int, list[LedgerItem]] = {}
    for item in items:
        grouped.setdefault(item.org_unit_id, []).append(item)
    return [(u, grouped.get(u.id, [])) for u in units_under(session, unit) if u.id == unit.id or u.id in grouped]


# --- streaming ----------------------------------------------------------------------------------

_CHUNK = 500
# What a row reads of an item, loaded a chunk at a time instead of once per item.
_ROW_LOADS = (selectinload(LedgerItem.entries), selectinload(LedgerItem.feedbacks),
              selectinload(LedgerItem.evaluations), selectinload(LedgerItem.transitions),
              selectinload(LedgerItem.org_unit), selectinload(LedgerItem.place_unit))


def iter_sheets(session: Session, unit: OrgUnit, *, public: bool = False,
                items: Optional[Iterable[LedgerItem]] = None) -> Iterator[tuple[OrgUnit, Iterator[LedgerItem]]]:
    """(unit, its items) for every unit at or under `unit` in path order that holds items (the
    chosen unit always), its items oldest first. One ordered query read through a server-side
    cursor a chunk at a time, so a county of a million items is never in memory at once."""
    if items is not None:
        for sheet_unit, sheet_items in sheets_for(session, unit, public=public, items=items):
            yield sheet_unit, iter(sheet_items)
        return
    first = True
    for unit_id, group in groupby(_ordered_items(session, unit, public), key=attrgetter("org_unit_id")):
        sheet_unit = session.get(OrgUnit, unit_id)
        if first and unit_id != unit.id:
            yield unit, iter(())
        first = False
        yield sheet_unit, group
    if first:
        yield unit, iter(())


def _ordered_items(session: Session, unit: OrgUnit, public: bool) -> Iterator[LedgerItem]:
    q = (select(LedgerItem).join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id)
         .where(OrgUnit.path.startswith(unit.path), LedgerItem.status != "merged"))
    if public:
        q = q.where(LedgerItem.status == "closed")
    q = (q.options(*_ROW_LOADS).order_by(OrgUnit.path, LedgerItem.opened_at, LedgerItem.id)
         .execution_options(yield_per=_CHUNK))
    # The session's identity map holds objects weakly: a chunk written out is let go.
    for chunk in session.scalars(q).partitions():
        yield from chunk


# --- xlsx ----------------------------------------------------------------------------------------


def _sheet_title(name: str, taken: set[str]) -> str:
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in name)[:28] or "台账"
    title, n = clean, 2
    while title in taken:
        title, n = f"{clean}{n}", n + 1
    taken.add(title)
    return title


def write_xlsx(out: BinaryIO, session: Session, unit: OrgUnit, *, public: bool = False,
               items: Optional[Iterable[LedgerItem]] = None) -> int:
    """The workbook in openpyxl's write-only mode (rows go to disk as they are written): per
    sheet a title row, the header row, then one row per item. Returns the number of items."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    # Named once, so each of a million rows' cells takes its style by name (a third faster).
    wb.add_named_style(NamedStyle(name="台账", border=border, alignment=wrap))
    wb.add_named_style(NamedStyle(name="台账日期", border=border, alignment=wrap, number_format="yyyy-mm-dd"))
    head_fill, head_font = PatternFill("solid", fgColor="DDDDDD"), Font(bold=True)
    head_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    taken: set[str] = set()
    row_fn = public_row if public else _scoped_rows(session, unit)
    total = 0
    for sheet_unit, sheet_items in iter_sheets(session, unit, public=public, items=items):
        ws = wb.create_sheet(_sheet_title(sheet_unit.name, taken))
        for col, width in enumerate(COLUMN_WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.merged_cells.add(f"A1:{get_column_letter(len(COLUMNS))}1")  # write-only sheets have no merge_cells()
        ws.row_dimensions[1].height = 28
        title = WriteOnlyCell(ws, value=neutralise(f"{sheet_unit.full_name}民心日记问题台账" + ("（公示）" if public else "")))
        title.font = Font(bold=True, size=14)
        title.alignment = Alignment(horizontal="center", vertical="center")
        ws.append([title])
        header = []
        for name in COLUMNS:
            cell = WriteOnlyCell(ws, value=name)
            cell.font, cell.fill, cell.border, cell.alignment = head_font, head_fill, border, head_align
            header.append(cell)
        ws.append(header)
        for n, item in enumerate(sheet_items, start=1):
            row = []
            for value in row_fn(item, n):
                value = None if value == "" else value
                cell = WriteOnlyCell(ws, value=neutralise(value))
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
                cell.style = "台账日期" if isinstance(value, dt.date) else "台账"
                row.append(cell)
            ws.append(row)
            total += 1
    wb.save(out)
    return total


def export_xlsx(session: Session, unit: OrgUnit, *, public: bool = False,
                items: Optional[Iterable[LedgerItem]] = None, today: Optional[dt.date] = None) -> bytes:
    """The whole workbook as bytes (small exports and tests; the web and CLI stream)."""
    buf = io.BytesIO()
    write_xlsx(buf, session, unit, public=public, items=items)
    return buf.getvalue()


# --- csv ----------------------------------------------------------------------------------------


def iter_csv(session: Session, unit: OrgUnit, *, public: bool = False,
             items: Optional[Iterable[LedgerItem]] = None) -> Iterator[str]:
    """The same rows as one table, with the ledger (unit) as the last column; UTF-8 with BOM
    so Excel opens the Chinese correctly. Yields a few hundred rows at a time."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")
    writer.writerow([*COLUMNS, "所属台账"])
    row_fn = public_row if public else _scoped_rows(session, unit)
    for sheet_unit, sheet_items in iter_sheets(session, unit, public=public, items=items):
        for n, item in enumerate(sheet_items, start=1):
            row = [v.isoformat() if isinstance(v, dt.date) else v for v in row_fn(item, n)]
            writer.writerow([neutralise(v) for v in [*row, sheet_unit.full_name]])
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue()


def export_csv(session: Session, unit: OrgUnit, *, public: bool = False,
               items: Optional[Iterable[LedgerItem]] = None) -> str:
    return "".join(iter_csv(session, unit, public=public, items=items))


def stream_export(session: Session, unit: OrgUnit, *, fmt: str, public: bool = False) -> Iterator[bytes]:
    """The export as chunks of bytes with constant memory: CSV row batches as they are read;
    the workbook written to a temporary file, then read back in chunks."""
    if fmt == "csv":
        for text in iter_csv(session, unit, public=public):
            yield text.encode("utf-8")
        return
    if fmt != "xlsx":
        raise ValueError(f"unknown export format {fmt!r}")
    with tempfile.TemporaryFile() as tmp:
        write_xlsx(tmp, session, unit, public=public)
        tmp.seek(0)
        while chunk := tmp.read(256 * 1024):
            yield chunk


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
<p class="noprint"><button type="button" class="js-print">打印</button></p>
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
{% if script_url %}<script src="{{ script_url }}"></script>{% endif %}
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


def printable_diary(session: Session, cadre: User, year: int, month: int, *, quota: int = 4,
                    script_url: str = "") -> str:
    """The cadre's confirmed entries of the month as a printable HTML page (internal: not redacted).
    `script_url`: the script that wires the print button (the CSP refuses inline handlers)."""
    from jinja2 import Environment

    env = Environment(autoescape=True)
    return env.from_string(_DIARY_TEMPLATE).render(
        cadre=cadre, year=year, month=month, quota=quota, script_url=script_url,
        entries=diary_entries(session, cadre, year, month), status_labels=STATUS_LABELS)
