"""催办 and 督办, the 12345 way, and the channels notices go through.

- 催办: from the day after an item's deadline, one reminder to the unit holding it (once per item
  and deadline: a moved deadline that passes again is reminded again).
- 督办: an item overdue by more than SUPERVISE_AFTER_WORKING_DAYS working days (official
  calendar, ledger.deadlines.is_workday) rises to the 督办 list of the level above the holder,
  and that level is told once.
- 延期告知: an approved extension tells the villager the new date (on the item's public page,
  and through a channel named "villager" where the county has one).

Channels: e-mail through SMTP (ledger.deadlines.SMTPChannel) and any number of pluggable ones.
A county points one at its SMS or messaging gateway with MINXIN_SMS_GATEWAY_URL (JSON POST of
{"to": [...], "subject", "body"}), or at its own code with MINXIN_NOTIFY_CHANNEL_FACTORY
("package.module:callable" returning an object with send(recipients, subject, body)).
Recipients per channel and unit: MINXIN_NOTIFY_RECIPIENTS (e-mail) and MINXIN_SMS_RECIPIENTS,
both "古楼子乡=a@x,b@y;宽甸县=c@z". Every notice, sent or not, is a Notification row and an audit
event; a failing channel is recorded and does not stop the others.
"""
from __future__ import annotations

import datetime as dt
import importlib
import json
import smtplib
import urllib.request
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import audit
from core.clock import utcnow
from core.settings import config_value, default
from ledger.deadlines import (
    NotificationChannel,
    channel_from_config,
    days_overdue,
    recipients_from_config,
    working_days_between,
)
from ledger.models import DeadlineExtension, LedgerItem, Notification
from ledger.states import ACTIVE, STATUS_LABELS
from org.models import OrgUnit
from org.scope import id_list, scope_ids

# working days overdue before an item rises to the 督办 list
DEFAULT_SUPERVISE_AFTER = default("SUPERVISE_AFTER_WORKING_DAYS")


def _cfg(config: Mapping, key: str) -> str:
    return str(config_value(config, key))


def supervise_after(config: Mapping) -> int:
    return int(config_value(config, "SUPERVISE_AFTER_WORKING_DAYS"))


@dataclass
class HTTPGatewayChannel:
    """POSTs {"to", "subject", "body"} as JSON to a county's SMS or messaging gateway."""

    url: str
    token: str = ""
    timeout: float = 10.0

    def send(self, recipients: Sequence[str], subject: str, body: str) -> None:
        data = json.dumps({"to": list(recipients), "subject": subject, "body": body}, ensure_ascii=False)
        req = urllib.request.Request(self.url, data=data.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (configured URL)
            if resp.status >= 300:
                raise OSError(f"gateway answered {resp.status}")


@dataclass
class Route:
    """One channel and who it reaches, per unit name."""

    name: str
    channel: NotificationChannel
    recipients: Mapping[str, Sequence[str]]

    def to(self, unit: OrgUnit) -> list[str]:
        """The unit's recipients, else its nearest ancestor's."""
        for u in (unit, *unit.ancestors()):
            if self.recipients.get(u.name):
                return list(self.recipients[u.name])
        return []


def routes_from_config(config: Mapping) -> list[Route]:
    out: list[Route] = []
    smtp = channel_from_config(config)
    if smtp is not None:
        out.append(Route("email", smtp, recipients_from_config(config)))
    sms_to = _parse_recipients(config_value(config, "SMS_RECIPIENTS"))
    url = _cfg(config, "SMS_GATEWAY_URL")
    if url:
        out.append(Route("sms", HTTPGatewayChannel(url, token=_cfg(config, "SMS_GATEWAY_TOKEN")), sms_to))
    factory = _cfg(config, "NOTIFY_CHANNEL_FACTORY")
    if factory:
        module, _, attr = factory.partition(":")
        channel = getattr(importlib.import_module(module), attr)()
        out.append(Route("sms" if not url else "custom", channel, sms_to))
    return out


def _parse_recipients(raw) -> dict[str, list[str]]:
    if isinstance(raw, Mapping):
        return {k: list(v) for k, v in raw.items()}
    out: dict[str, list[str]] = {}
    for part in str(raw or "").split(";"):
        if "=" in part:
            name, addrs = part.split("=", 1)
            out[name.strip()] = [a.strip() for a in addrs.split(",") if a.strip()]
    return out


def already_sent(session: Session, key: str) -> bool:
    return session.scalars(select(Notification.id).where(Notification.key == key,
                                                         Notification.status == "sent")).first() is not None


def deliver(session: Session, kind: str, key: str, item: Optional[LedgerItem], unit: OrgUnit,
            routes: Sequence[Route], subject: str, body: str) -> list[Notification]:
    """Through every route that has recipients for the unit; one Notification row per route
    (or one "unaddressed" row when none has)."""
    rows: list[Notification] = []
    for route in routes:
        to = route.to(unit)
        if not to:
            continue
        row = Notification(item=item, kind=kind, key=key, channel=route.name, recipients=to, subject=subject,
                           body=body, status="sent", at=utcnow())
        try:
            route.channel.send(to, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            row.status, row.error = "failed", str(exc)[:2000]
        rows.append(row)
    if not rows:
        rows.append(Notification(item=item, kind=kind, key=key, channel="", recipients=[], subject=subject,
                                 body=body, status="unaddressed", at=utcnow()))
    for row in rows:
        session.add(row)
    session.flush()
    audit.record(session, f"notify.{kind}", item, object_type="LedgerItem", after={
        "key": key, "unit": unit.name,
        "sent": [r.channel for r in rows if r.status == "sent"],
        "failed": [r.channel for r in rows if r.status == "failed"],
        "unaddressed": any(r.status == "unaddressed" for r in rows),
    })
    return rows


# --- 催办 -------------------------------------------------------------------------------------


def urge_key(item: LedgerItem) -> str:
    return f"urge:{item.id}:{item.deadline.isoformat()}"


def overdue_items(session: Session, today: dt.date, within: Optional[OrgUnit] = None) -> list[LedgerItem]:
    q = select(LedgerItem).where(LedgerItem.status.in_(ACTIVE), LedgerItem.deadline.is_not(None),
                                 LedgerItem.deadline < today)
    if within is not None:
        q = q.join(OrgUnit, LedgerItem.org_unit_id == OrgUnit.id).where(OrgUnit.path.startswith(within.path))
    return list(session.scalars(q.order_by(LedgerItem.deadline, LedgerItem.id)))


def urge_text(item: LedgerItem, today: dt.date) -> tuple[str, str]:
    subject = f"【催办】{item.org_unit.name}：事项{item.code}已超过办理时限{days_overdue(item, today)}天"
    body = "\n".join([
        f"{item.org_unit.full_name}：",
        f"事项 {item.code}（{item.category}）办理时限 {item.deadline.isoformat()}，今天 {today.isoformat()} 仍未办结，"
        f"已逾期 {days_overdue(item, today)} 天。",
        f"反映问题：{item.problem}",
        f"责任单位：{item.responsible_unit or '—'}　状态：{STATUS_LABELS[item.status]}",
        "请尽快办理；确需更多时间的，应在时限内申请延期。",
        "",
        "(Reminder: this ledger item is past its deadline.)",
    ])
    return subject, body


def urge(session: Session, today: dt.date, routes: Sequence[Route]) -> list[LedgerItem]:
    """催办 every overdue item not yet reminded for its current deadline; returns those reminded."""
    out = []
    for item in overdue_items(session, today):
        key = urge_key(item)
        if already_sent(session, key):
            continue
        subject, body = urge_text(item, today)
        deliver(session, "urge", key, item, item.org_unit, routes, subject, body)
        out.append(item)
    return out


# --- 督办 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supervised:
    item: LedgerItem
    working_days: int  # working days past the deadline
    supervisor: OrgUnit  # the level above the holder (the county for its own items)


def supervising_unit(item: LedgerItem) -> OrgUnit:
    return item.org_unit.parent or item.org_unit


def _supervised(session: Session, today: dt.date, after: int,
                unit: Optional[OrgUnit]) -> list[tuple[int, int]]:
    """(item id, working days overdue) of the 督办 list, most overdue first: chosen in the
    database from the items' ids and deadlines, the working days worked out once per deadline."""
    q = select(LedgerItem.id, LedgerItem.deadline).where(
        LedgerItem.status.in_(ACTIVE), LedgerItem.deadline.is_not(None), LedgerItem.deadline < today)
    if unit is not None:
        # The level above the holder must be within `unit`: every holder under it, and the
        # unit itself only when it has no level above (its own items rise out of its view).
        q = q.where(LedgerItem.org_unit_id.in_(scope_ids(session, unit)))
        if unit.parent_id is not None:
            q = q.where(LedgerItem.org_unit_id != unit.id)
    days: dict[dt.date, int] = {}
    out = []
    for item_id, deadline in session.execute(q):
        if deadline not in days:
            days[deadline] = working_days_between(deadline, today)
        if days[deadline] > after:
            out.append((item_id, days[deadline]))
    out.sort(key=lambda x: (-x[1], x[0]))
    return out


def _load_supervised(session: Session, chosen: Sequence[tuple[int, int]]) -> list[Supervised]:
    items = {i.id: i for i in session.scalars(
        select(LedgerItem).where(LedgerItem.id.in_(id_list(i for i, _ in chosen)))
        .options(selectinload(LedgerItem.org_unit).selectinload(OrgUnit.parent)))} if chosen else {}
    return [Supervised(items[i], n, supervising_unit(items[i])) for i, n in chosen]


def supervision_list(session: Session, today: dt.date, after: int = DEFAULT_SUPERVISE_AFTER, *,
                     unit: Optional[OrgUnit] = None) -> list[Supervised]:
    """Items overdue by more than `after` working days; with `unit`, those whose level above
    is at or under it (a township sees its villages', the county everybody's)."""
    return _load_supervised(session, _supervised(session, today, after, unit))


def supervision_head(session: Session, today: dt.date, after: int = DEFAULT_SUPERVISE_AFTER, *,
                     unit: Optional[OrgUnit] = None, limit: int = 100) -> tuple[list[Supervised], int]:
    """The first `limit` of supervision_list (the most overdue) and how many it has: what the
    dashboard shows of a county's thousands, without loading the rest."""
    chosen = _supervised(session, today, after, unit)
    return _load_supervised(session, chosen[:limit]), len(chosen)


def supervise(session: Session, today: dt.date, routes: Sequence[Route], after: int) -> list[Supervised]:
    """Tell the level above, once per item and deadline, of each item on its 督办 list."""
    out = []
    for s in supervision_list(session, today, after):
        key = f"supervise:{s.item.id}:{s.item.deadline.isoformat()}"
        if already_sent(session, key):
            continue
        subject = (f"【督办】{s.item.org_unit.name}事项{s.item.code}逾期{s.working_days}个工作日")
        body = "\n".join([
            f"{s.supervisor.full_name}：",
            f"{s.item.org_unit.full_name}承办的事项 {s.item.code}（{s.item.category}）办理时限 "
            f"{s.item.deadline.isoformat()}，已逾期 {s.working_days} 个工作日，列入督办。",
            f"反映问题：{s.item.problem}",
            "",
            "(Supervision: a ledger item of a unit below is overdue.)",
        ])
        deliver(session, "supervise", key, s.item, s.supervisor, routes, subject, body)
        out.append(s)
    return out


# --- 延期告知 -----------------------------------------------------------------------------------


def tell_villager_new_deadline(session: Session, item: LedgerItem, ext: DeadlineExtension,
                               routes: Sequence[Route] = ()) -> list[Notification]:
    """The villager is told the new date: a notice kept with the item (shown on its public
    evaluation page) and sent through a "villager" route where the county has one."""
    body = (f"您反映的问题（事项 {item.code}）办理时限由 {ext.old_deadline.isoformat()} 延至 "
            f"{ext.new_deadline.isoformat()}。原因：{ext.reason}")
    rows = [Notification(item=item, kind="extension", key=f"extension:{ext.id or 'new'}:{ext.new_deadline}",
                         channel="public", recipients=["群众"], subject="办理时限延期告知", body=body,
                         status="sent", at=utcnow())]
    session.add(rows[0])
    villager = [r for r in routes if r.name == "villager"]
    if villager:
        rows += deliver(session, "extension", rows[0].key, item, item.org_unit, villager, "办理时限延期告知", body)
    session.flush()
    return rows


def villager_notices(item: LedgerItem, session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.item_id == item.id,
                                                           Notification.kind == "extension",
                                                           Notification.channel == "public")
                                .order_by(Notification.id)))


def item_notices(session: Session, item: LedgerItem) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.item_id == item.id)
                                .order_by(Notification.id)))


# --- the daily run ------------------------------------------------------------------------------


@dataclass
class ReminderResult:
    today: dt.date
    urged: list[LedgerItem] = field(default_factory=list)
    supervised: list[Supervised] = field(default_factory=list)


def run_reminders(session: Session, today: dt.date, config: Mapping,
                  routes: Optional[Sequence[Route]] = None) -> ReminderResult:
    """催办 then 督办, as the daily job runs them (`minxin ledger-daily`)."""
    routes = routes_from_config(config) if routes is None else routes
    result = ReminderResult(today)
    result.urged = urge(session, today, routes)
    result.supervised = supervise(session, today, routes, supervise_after(config))
    return result
