"""Deadlines: what is overdue, what falls due within 3 days, per unit; the daily job and its
notification channels (email through SMTP first; the channel is pluggable).

Dates are calendar dates in China Standard Time (UTC+8, no daylight saving), so "today" for the
county is the same whatever the server's zone. An item is overdue from the day after its
deadline: deadline 1月31日, checked on 2月1日, is one day overdue. Working days (督办, 响应时限)
follow the State Council's calendar of holidays and make-up workdays from `chinese_calendar`.

MINXIN_CLOCK_FILE names a file holding an ISO date that stands in for today (core.clock:
drills and tests of deadlines; absent or empty: the real date).
"""
from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import lru_cache
from typing import Mapping, NamedTuple, Optional, Protocol, Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from core import audit
from core.clock import china_today
from core.settings import config_value
from ledger.models import LedgerItem
from ledger.states import ACTIVE, STATUS_LABELS
from org.models import OrgUnit
from org.scope import id_list, scope_ids

DUE_SOON_DAYS = 3


def local_today(now: Optional[dt.datetime] = None) -> dt.date:
    """Today's date in the county (core.clock.china_today)."""
    return china_today(now)


@lru_cache(maxsize=4096)  # a dashboard asks about the same few weeks for thousands of items
def is_workday(day: dt.date) -> bool:
    """The official calendar (holidays off, make-up Saturdays on); for years it does not cover
    yet, Monday to Friday."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days d with start < d <= end (0 when end <= start)."""
    n, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        n += is_workday(day)
    return n


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (start itself when n <= 0)."""
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        n -= is_workday(day)
    return day


def working_days_overdue(item: LedgerItem, today: dt.date) -> int:
    """Working days past the deadline (0 when not overdue)."""
    if not is_overdue(item, today):
        return 0
    return working_days_between(item.deadline, today)


def days_overdue(item: LedgerItem, today: dt.date) -> int:
    """Whole days past the deadline (0 when not overdue, or nobody has to act any more)."""
    if item.deadline is None or item.status not in ACTIVE:
        return 0
    return max(0, (today - item.deadline).days)


def is_overdue(item: LedgerItem, today: dt.date) -> bool:
    return days_overdue(item, today) > 0


def days_left(item: LedgerItem, today: dt.date) -> Optional[int]:
    if item.deadline is None or item.status not in ACTIVE:
        return None
    return (item.deadline - today).days


def is_due_soon(item: LedgerItem, today: dt.date, days: int = DUE_SOON_DAYS) -> bool:
    """Due today or within the next `days` days (and not overdue yet)."""
    left = days_left(item, today)
    return left is not None and 0 <= left <= days


@dataclass
class UnitDue:
    unit: OrgUnit
    due_soon: list[LedgerItem] = field(default_factory=list)
    overdue: list[LedgerItem] = field(default_factory=list)


def due_report(session: Session, today: dt.date, *, within: Optional[OrgUnit] = None,
               days: int = DUE_SOON_DAYS) -> list[UnitDue]:
    """Per unit holding them: items falling due within `days` days and items overdue."""
    q = select(LedgerItem).where(LedgerItem.status.in_(ACTIVE), LedgerItem.deadline.is_not(None),
                                 LedgerItem.deadline <= today + dt.timedelta(days=days))
    if within is not None:
        q = q.join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id).where(OrgUnit.path.startswith(within.path))
    by_unit: dict[int, UnitDue] = {}
    for item in session.scalars(q.order_by(LedgerItem.deadline, LedgerItem.id)):
        slot = by_unit.setdefault(item.org_unit_id, UnitDue(item.org_unit))
        if is_overdue(item, today):
            slot.overdue.append(item)
        elif is_due_soon(item, today, days):
            slot.due_soon.append(item)
    return sorted(by_unit.values(), key=lambda u: u.unit.path)


class DueLine(NamedTuple):
    id: int
    code: str
    deadline: dt.date


@dataclass
class UnitDueHead:
    """A unit's line of the dashboard's 到期提醒: how many are overdue and due soon, and the
    first `head` of each by deadline (what the page prints of them)."""
    unit: OrgUnit
    overdue_count: int = 0
    due_soon_count: int = 0
    overdue: list[DueLine] = field(default_factory=list)
    due_soon: list[DueLine] = field(default_factory=list)


def due_summary(session: Session, today: dt.date, *, within: OrgUnit, days: int = DUE_SOON_DAYS,
                head: int = 10) -> list[UnitDueHead]:
    """due_report's units and counts, with only the first `head` items of each list: counted
    and chosen in the database (a county has thousands; the ledger lists the rest)."""
    return due_summary_page(session, today, within=within, days=days, head=head)[0]


def due_summary_page(session: Session, today: dt.date, *, within: OrgUnit, days: int = DUE_SOON_DAYS,
                     head: int = 10, offset: int = 0, limit: Optional[int] = None) -> tuple[list[UnitDueHead], int]:
    """due_summary's lines `offset` to `offset + limit` (in unit order) and how many there are in
    all: every unit counted, only the shown units' first items read (the dashboard pages it)."""
    late = case((LedgerItem.deadline < today, 1), else_=0)
    where = (LedgerItem.status.in_(ACTIVE), LedgerItem.deadline.is_not(None),
             LedgerItem.deadline <= today + dt.timedelta(days=days),
             LedgerItem.org_unit_id.in_(scope_ids(session, within)))
    counts = session.execute(select(LedgerItem.org_unit_id, func.sum(late), func.count()).where(*where)
                             .group_by(LedgerItem.org_unit_id)).all()
    if not counts:
        return [], 0
    paths = dict(session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(id_list(c[0] for c in counts)))).all())
    counts = sorted(counts, key=lambda c: paths[c[0]])
    shown_counts = counts[offset:offset + limit] if limit is not None else counts[offset:]
    if not shown_counts:
        return [], len(counts)
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(id_list(c[0] for c in shown_counts))))}
    by_unit = {unit_id: UnitDueHead(units[unit_id], int(n_late), n - int(n_late)) for unit_id, n_late, n in shown_counts}
    # Ranked from the (unit, status, deadline, …, id) index alone; only the rows shown are read
    # for their code.
    ranked = select(LedgerItem.id, LedgerItem.deadline, LedgerItem.org_unit_id, late.label("late"),
                    func.row_number().over(partition_by=(LedgerItem.org_unit_id, late),
                                           order_by=(LedgerItem.deadline, LedgerItem.id)).label("n")
                    ).where(*where, LedgerItem.org_unit_id.in_(list(by_unit))).subquery()
    shown = aliased(LedgerItem)
    for item_id, code, deadline, unit_id, is_late in session.execute(
            select(ranked.c.id, shown.code, ranked.c.deadline, ranked.c.org_unit_id, ranked.c.late)
            .join(shown, shown.id == ranked.c.id)
            .where(ranked.c.n <= head).order_by(ranked.c.deadline, ranked.c.id)):
        slot = by_unit[unit_id]
        (slot.overdue if is_late else slot.due_soon).append(DueLine(item_id, code, deadline))
    return [by_unit[c[0]] for c in shown_counts], len(counts)


# --- notification channels ------------------------------------------------------------------


class NotificationChannel(Protocol):
    def send(self, recipients: Sequence[str], subject: str, body: str) -> None: ...


@dataclass
class SMTPChannel:
    """Plain SMTP (optionally STARTTLS and login) with the standard library."""

    host: str
    port: int = 25
    sender: str = "minxin@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    def send(self, recipients: Sequence[str], subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(recipients)
        msg["Subject"] = subject
        msg.set_content(body, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(msg)


@dataclass
class MemoryChannel:
    """Keeps messages in a list (the dashboard's preview, and a stand-in where no mail is set up)."""

    sent: list[tuple[tuple[str, ...], str, str]] = field(default_factory=list)

    def send(self, recipients: Sequence[str], subject: str, body: str) -> None:
        self.sent.append((tuple(recipients), subject, body))


def _starttls(value) -> bool:
    return value is True or str(value) in ("1", "true", "yes")


def channel_from_config(config: Mapping) -> Optional[NotificationChannel]:
    """SMTP when SMTP_HOST is set (SMTP_PORT, SMTP_FROM, SMTP_USER, SMTP_PASSWORD, SMTP_STARTTLS
    of the app config, core.settings: MINXIN_SMTP_*); None when no channel is configured."""
    host = str(config_value(config, "SMTP_HOST"))
    if not host:
        return None
    return SMTPChannel(
        host=host,
        port=int(config_value(config, "SMTP_PORT")),
        sender=str(config_value(config, "SMTP_FROM")),
        username=str(config_value(config, "SMTP_USER")),
        password=str(config_value(config, "SMTP_PASSWORD")),
        starttls=_starttls(config_value(config, "SMTP_STARTTLS")),
    )


def recipients_from_config(config: Mapping) -> dict[str, list[str]]:
    """NOTIFY_RECIPIENTS: a dict unit name -> addresses, or the text
    "古楼子乡=a@x,b@y;宽甸县=c@z" (MINXIN_NOTIFY_RECIPIENTS)."""
    raw = config_value(config, "NOTIFY_RECIPIENTS")
    if isinstance(raw, Mapping):
        return {k: list(v) for k, v in raw.items()}
    out: dict[str, list[str]] = {}
    for part in str(raw).split(";"):
        if "=" in part:
            name, addrs = part.split("=", 1)
            out[name.strip()] = [a.strip() for a in addrs.split(",") if a.strip()]
    return out


def format_notice(unit_due: UnitDue, today: dt.date) -> tuple[str, str]:
    unit = unit_due.unit
    # No spaces: a folded, encoded Subject may lose them.
    subject = (f"【民心日记】{unit.name}台账提醒（{today.isoformat()}）：逾期{len(unit_due.overdue)}件，"
               f"3日内到期{len(unit_due.due_soon)}件")
    lines = [f"{unit.full_name} 台账 {today.isoformat()}", ""]
    if unit_due.overdue:
        lines.append(f"已逾期（{len(unit_due.overdue)} 件）：")
        for item in unit_due.overdue:
            lines.append(f"  [{item.code}] #{item.id} {item.category} 时限 {item.deadline.isoformat()} "
                         f"逾期 {days_overdue(item, today)} 天 责任单位：{item.responsible_unit} "
                         f"状态：{STATUS_LABELS[item.status]}")
    if unit_due.due_soon:
        lines.append(f"3日内到期（{len(unit_due.due_soon)} 件）：")
        for item in unit_due.due_soon:
            lines.append(f"  [{item.code}] #{item.id} {item.category} 时限 {item.deadline.isoformat()} "
                         f"剩余 {days_left(item, today)} 天 责任单位：{item.responsible_unit}")
    lines += ["", "(Ledger reminder: overdue items and items due within 3 days.)"]
    return subject, "\n".join(lines)


@dataclass
class DailyResult:
    today: dt.date
    units: list[UnitDue]
    sent: list[tuple[str, list[str]]] = field(default_factory=list)  # (unit name, recipients)
    unaddressed: list[str] = field(default_factory=list)  # units with items but nobody to tell
    failed: list[tuple[str, str]] = field(default_factory=list)  # (unit name, error)


def run_daily(session: Session, *, today: Optional[dt.date] = None,
              channel: Optional[NotificationChannel] = None,
              recipients: Optional[Mapping[str, Sequence[str]]] = None) -> DailyResult:
    """The daily job: per unit, what is overdue and what falls due within 3 days; one notice per
    unit to its recipients (looked up by the unit's name, then its parent's). A failing send is
    reported and does not stop the others. The run is written to the audit log."""
    today = today or local_today()
    result = DailyResult(today, due_report(session, today))
    recipients = recipients or {}
    for unit_due in result.units:
        to: list[str] = []
        for unit in (unit_due.unit, *unit_due.unit.ancestors()):
            if recipients.get(unit.name):
                to = list(recipients[unit.name])
                break
        if not to or channel is None:
            result.unaddressed.append(unit_due.unit.name)
            continue
        subject, body = format_notice(unit_due, today)
        try:
            channel.send(to, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            result.failed.append((unit_due.unit.name, str(exc)))
        else:
            result.sent.append((unit_due.unit.name, to))
    audit.record(session, "ledger.daily", object_type="LedgerDaily", after={
        "today": today,
        "overdue": sum(len(u.overdue) for u in result.units),
        "due_soon": sum(len(u.due_soon) for u in result.units),
        "sent": [name for name, _ in result.sent],
        "failed": [name for name, _ in result.failed],
    })
    return result
