"""Shared people and steps for the legal-aid compliance audit tests: legal-aid institutions under the counties of
`org_tree` (and a union's volunteer body), their contacts, the counties' reviewers, the city's organiser and its
leading group; the campaign deployed, and score sheets on forms/legal_aid/standard.json."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.core import people
from engine.core.models import Case, User
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import participants

from .complaint_steps import do
from .conftest import ROOT
from .helpers import sheet_totalling

# code -> (name, parent, kind, contact)
INSTITUTIONS = {"LA-city": ("市法律援助中心", "city", "legal_aid", "cc"),
                "LA-a": ("A区法律援助中心", "county-a", "legal_aid", "ca"),
                "LA-b": ("B县法律援助中心", "county-b", "legal_aid", "cb"),
                "LA-union": ("市总工会法律援助工作站", "city", "legal_aid_volunteer", "cu")}
REVIEWERS = {"city": "rc", "county-a": "ra", "county-b": "rb"}
ROLES = (("legal_aid_organizer", "法律援助活动组织员"), ("legal_aid_contact", "法律援助机构联络员"),
         ("legal_aid_district_reviewer", "区县法律援助审核员"), ("legal_aid_leading_group", "法律援助达标领导小组"))
DEPLOY = {"campaign_title": "2025年法律援助机构规范服务达标活动", "year": 2025, "period_from": "2024-07-01",
          "period_to": "2025-06-30", "mobilise_until": "2025-06-30", "pilot_until": "2025-09-30",
          "rollout_until": "2026-01-31", "accept_until": "2026-03-31", "pilots": ["LA-a"], "target_rate": 90,
          "rate_basis": "institutions", "pilot_target": 33.3, "spot_share": 100,
          "plan_summary": "全市法律援助机构对照达标标准开展规范服务达标活动，力争达标率 90% 以上。"}
CONTACT = {"contact_name": "联络员", "contact_phone": "0571-88880001", "studied": True}
STANDARD = json.loads((ROOT / "forms/legal_aid/standard.json").read_text(encoding="utf-8"))


def add_legal_aid_people(session) -> None:
    """The institutions with a contact each, a reviewer per bureau, the organiser `fang` and the group's `lei`."""
    for code, name in ROLES:
        people.add_role(session, code, name)
    for code, (name, parent, kind, contact) in INSTITUTIONS.items():
        people.add_organization(session, code, name, parent, kind)
        people.add_user(session, contact, f"{name}联络员", code, ["legal_aid_contact"])
    for org, username in REVIEWERS.items():
        people.add_user(session, username, f"{org}审核员", org, ["legal_aid_district_reviewer"])
    people.add_user(session, "fang", "方组织员", "city", ["legal_aid_organizer"])
    people.add_user(session, "lei", "雷组长", "city", ["legal_aid_leading_group"])
    session.commit()


def sheet(total: int, standard: dict = STANDARD, **vetoes) -> dict:
    """A score sheet on the audit standard that totals `total` (tests/helpers.py `sheet_totalling`)."""
    return sheet_totalling(standard, total, vetoes, score_reason="抽查发现问题", deduction_reason="抽查案卷发现问题",
                           notes="检查记录")


def sweep(engine, session) -> None:
    """What the scheduler does (twice: a timer may send messages and the next timer may be due already)."""
    for _ in range(2):
        fire_due_timers(engine, session)
        session.commit()


def assessment(session, code: str) -> Case:
    """The institution's participant case, fresh from the database."""
    session.commit()
    session.expire_all()
    return session.scalar(select(Case).where(Case.process_key == "legal_aid_assessment",
                                             Case.meta["institution_code"].as_string() == code))


def campaign(engine, session, **changes) -> Case:
    """The organiser deploys the campaign; the pilots get their cases."""
    case = cases.start_case(engine, session, "legal_aid_campaign", {}, org_code="city", actor="fang")
    do(engine, session, case.id, "部署", "fang", {**DEPLOY, **changes})
    return cases.get_case(session, case.id)


def self_assessed(engine, session, code: str, total: int, forward=True, **vetoes) -> Case:
    """The institution names its contact and self-assesses; its bureau forwards the report."""
    _name, parent, _kind, contact = INSTITUTIONS[code]
    case = assessment(session, code)
    do(engine, session, case.id, "确定联络人", contact, CONTACT)
    do(engine, session, case.id, "自查评分", contact, {"self_score": sheet(total, **vetoes), "measures": "逐项整改",
                                                  "self_report": "本机构已对照达标标准逐项自查，情况如下。"})
    if forward and INSTITUTIONS[code][2] == "legal_aid":
        do(engine, session, case.id, "区县司法局审核", REVIEWERS[parent],
           {"district_conclusion": "forward", "district_opinion": "同意报送"})
    return assessment(session, code)


def spot_checked(engine, session, code: str, total: int, **vetoes) -> Case:
    """The centre scores the drawn institution and the leading group accepts."""
    case = assessment(session, code)
    do(engine, session, case.id, "抽查评分", "fang", {"checked_on": engine.today().isoformat(), "sampled_files": "（2025）援字第 1、7 号",
                                                 "check_score": sheet(total, **vetoes)})
    do(engine, session, case.id, "验收认定", "lei", {"accept_opinion": "同意"})
    return assessment(session, code)


def figures(engine, session, campaign_case: Case) -> dict:
    """The campaign page's figures as the organiser sees them: name -> (value, target, met)."""
    organiser = session.scalar(select(User).where(User.username == "fang"))
    found = participants.table(session, organiser, cases.get_case(session, campaign_case.id), engine.now())
    return {f["name"]: (f["value"], f["target"], f["met"]) for f in found.figures}
