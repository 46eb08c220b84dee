"""Demo ledger for `minxin demo`: confirmed entries of this month and items in every state
(open, in progress with one overdue and one due soon, escalated to the township and to the
county, done, closed and evaluated, reopened after 不满意, merged), a key project and flags,
so the ledger, the dashboard and the public page show something real.

Every item is moved through the real workflow functions, and every entry is written as a draft
and confirmed by its supervisor (`review.confirm_draft`), so their history and audit trail are
those of real ones."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Optional, Union

from sqlalchemy.orm import Session

from diary import entries, review
from diary.models import DiaryEntry
from ledger import ratings
from ledger import workflow as wf
from ledger.deadlines import local_today
from ledger.models import LedgerItem
from ops.demo_county import DemoCounty
from ops.demo_county import load as load_demo_county
from org.models import OrgUnit, User
from org.users import add_org_unit

Units = Union[Mapping[str, OrgUnit], Iterable[OrgUnit]]
Users = Union[Mapping[str, User], Iterable[User]]

# (problem, category, place suffix, interviewee, phone)
_PROBLEMS = [
    ("{v}3组通组路雨后冲毁约50米，农用车无法通行", "道路桥梁", "3组", "张大山", "13841512345"),
    ("{v}2组自来水管冬季冻裂，12户停水", "饮水", "2组", "王桂兰", "15904151234"),
    ("{v}村部前路灯损坏，晚上出行不便", "基础设施", "", "刘玉珍", ""),
    ("{v}低保户房屋漏雨，需要维修", "住房", "1组", "赵福", "13504156789"),
    ("{v}蚕场通往山上的作业路需要拓宽", "产业发展", "4组", "孙德胜", ""),
    ("{v}垃圾清运不及时，河边堆放", "环境卫生", "", "李淑芬", "18641501234"),
    ("{v}卫生室缺少常用药", "医疗卫生", "", "陈国强", ""),
    ("{v}草莓大棚技术指导需求", "农业技术", "5组", "周玉梅", "13188881234"),
]


def add_demo_units(session: Session, county: Optional[DemoCounty] = None) -> dict[str, OrgUnit]:
    """The demo county's org units by name, created through add_org_unit (audited; a unit
    already there is kept), in the data file's order."""
    county = county or load_demo_county()
    units: dict[str, OrgUnit] = {}
    for unit in county.units:
        units[unit.name] = add_org_unit(session, unit.name, unit.level, units[unit.parent] if unit.parent else None)
    return units


def _as_list(objs) -> list:
    return list(objs.values()) if isinstance(objs, Mapping) else list(objs)


def _pick(users: list[User], role: str, unit: OrgUnit) -> Optional[User]:
    return next((u for u in users if u.role == role and u.org_unit_id == unit.id and u.active), None)


def seed_ledger(session: Session, units: Units, users: Users, *, today: Optional[dt.date] = None) -> dict[str, int]:
    """Fill the ledger of the demo county. `units` and `users` are the demo's org units and users
    (dicts by name/login, or plain lists). Returns the number of items per status."""
    today = today or local_today()
    units_l, users_l = _as_list(units), _as_list(users)
    county = next(u for u in units_l if u.level == "county")
    villages = [u for u in units_l if u.level == "village"]
    admin = next((u for u in users_l if u.role == "admin" and u.active), None) or next(
        u for u in users_l if u.role == "supervisor")

    def supervisor(unit: OrgUnit) -> User:
        for u in [unit, *unit.ancestors()]:
            found = _pick(users_l, "supervisor", u) or _pick(users_l, "admin", u)
            if found:
                return found
        return admin

    def cadre(village: OrgUnit) -> User:
        return _pick(users_l, "cadre", village) or supervisor(village)

    month_start = today.replace(day=1)
    made: list[LedgerItem] = []

    def entry(village: OrgUnit, n: int, day: int, triage: str = "") -> DiaryEntry:
        text, category, place, who, phone = _PROBLEMS[n % len(_PROBLEMS)]
        author = cadre(village)
        e = DiaryEntry(
            cadre=author, org_unit=author.org_unit, status="draft",
            visit_date=min(today, month_start + dt.timedelta(days=day)), visit_time="上午",
            place=f"{village.name}{place}", place_unit=village, interviewee=who, visit_method="入户走访",
            problem=text.format(v=village.name) + (f"，联系电话{phone}" if phone else ""),
            solution="先行摸底，能当场解决的当场解决，解决不了的报乡里。", reflections="群众的事无小事。",
            category=category, pii=[who, phone] if phone else [who],
        )
        session.add(e)
        session.flush()
        entries.record_draft(session, e, actor=author)
        review.confirm_draft(session, e, supervisor(village), triage=triage)
        return e

    def open_(village, n, day=0):
        e = entry(village, n, day, triage="ledger")
        item = wf.open_item_from_entry(session, e, cadre(village))
        made.append(item)
        return item

    def told(item, who):
        wf.record_feedback(session, item, who, "当面告知", dt.datetime.combine(today, dt.time(2, 0)), "已向本人说明办理结果")

    v1, v2 = villages[0], villages[1 % len(villages)]
    v3 = villages[2 % len(villages)]
    c1, s1 = cadre(v1), supervisor(v1.parent or v1)

    # 待办理
    open_(v2, 6)
    # 限期办理中: one due within 3 days, one overdue (its deadline was set in the past).
    item = open_(v1, 2)
    wf.set_deadline(session, item, c1, today + dt.timedelta(days=2), f"{v1.name}村委会", today=today)
    item = open_(v3, 4)
    wf.set_deadline(session, item, cadre(v3), today - dt.timedelta(days=3), "乡农业站",
                    today=today - dt.timedelta(days=20))
    # 已上报: village -> township waiting; and one accepted at the county after two escalations.
    item = open_(v1, 0)
    wf.escalate(session, item, c1, "修复需要约8万元，超出村级能力")
    item = open_(v2, 1)
    wf.escalate(session, item, cadre(v2), "涉及水源工程，村级无法解决")
    wf.escalate(session, item, supervisor(v2.parent or v2), "需要县水利局统筹")
    wf.accept_escalation(session, item, admin, note="纳入农村饮水管网改造")
    project = wf.create_key_project(session, "农村饮水管网改造", county, admin)
    wf.assign_key_project(session, item, project, admin)
    wf.set_flags(session, item, admin, widespread=True, pain_point=True, reason="多个村反映同类问题")
    wf.set_deadline(session, item, admin, today + dt.timedelta(days=45), "县水利局", today=today)
    # 已办结待销号
    item = open_(v1, 5)
    wf.set_deadline(session, item, c1, today + dt.timedelta(days=5), "乡环卫所", today=today)
    told(item, c1)
    wf.complete(session, item, c1, "协调乡环卫所每周清运两次，河边垃圾已清理完毕")
    # 已销号 and evaluated: 快办快结 (满意), and 限期 then closed (基本满意, in person).
    item = open_(v1, 3)
    told(item, c1)
    wf.solve_now(session, item, c1, "当日组织人员更换瓦片，房屋不再漏雨")
    ratings.submit_public_evaluation(session, item.eval_code, "满意", "修得很及时")
    item = open_(v3, 7)
    c3 = cadre(v3)
    wf.set_deadline(session, item, c3, today + dt.timedelta(days=7), "乡农业站", today=today)
    told(item, c3)
    wf.complete(session, item, c3, "乡农业站派技术员到大棚现场指导两次")
    wf.close(session, item, supervisor(v3.parent or v3), "经回访确认")
    ratings.record_in_person(session, item, c3, "基本满意", "希望多来几次")
    item = open_(v2, 2)
    told(item, cadre(v2))
    wf.solve_now(session, item, cadre(v2), "已更换路灯灯泡")
    # 重新办理: closed, then the villager was dissatisfied on the public page.
    item = open_(v1, 6)
    told(item, c1)
    wf.solve_now(session, item, c1, "已联系乡卫生院补充药品")
    ratings.submit_public_evaluation(session, item.eval_code, "不满意", "只补了一部分")
    # 已合并 (and a 共性需求 through the merge)
    target = open_(v1, 1)
    wf.link_entry(session, target, entry(v1, 1, 1), c1)
    dup = open_(v1, 1, day=2)
    wf.merge(session, dup, target, s1, reason="同一处水管")
    wf.set_flags(session, target, s1, legacy=True, reason="管网为2005年铺设")
    # More visits this month so the quota table has something to show.
    for n in range(3):
        entry(v1, n + 3, n + 3)
    session.flush()
    # 公开审核: the demo's supervisors approve the redactor's proposal for every closed item
    from ledger.publication import approve_as_drafted

    for item in made:
        if item.status == "closed":
            approve_as_drafted(session, item, supervisor(item.org_unit.parent or item.org_unit))
    counts: dict[str, int] = {}
    for item in made:
        counts[item.status] = counts.get(item.status, 0) + 1
    return counts
