"""Shared people and steps for the legal-aid case-quality tests: a city centre and a district institution, the
centre's organiser, the institution's contact, a panel of peer reviewers in the `peer_reviewer` directory (key =
username, data: the firm each practises in and his licence), and score sheets on the two 评查表."""
from __future__ import annotations

import json

from engine.core import people
from engine.records import directory
from engine.runtime import cases

from .complaint_steps import user
from .conftest import ROOT
from .helpers import ready, roundtrip, sheet_totalling

# username -> (firm code, licence): liang and tian practise at F-0001, the firm of the files below.
REVIEWERS = {"liang": ("F-0001", "13101200910001"), "hou": ("F-0002", "13101201110002"),
             "wu": ("F-0003", "13101201210003"), "tian": ("F-0001", "13101201310004"),
             "kong": ("", ""), "shen": ("F-0004", "13101201410006")}
ROLES = (("legal_aid_organizer", "法律援助活动组织员"), ("legal_aid_contact", "法律援助机构联络员"),
         ("peer_reviewer", "评查专家"))
FILE = {"case_org": "LA-a", "institution_code": "LA-a", "institution_name": "东城区法律援助中心",
        "case_number": "（2025）东法援民字第12号", "case_type": "民事", "closed_on": "2025-09-20",
        "lawyer_name": "周正", "lawyer_license": "13101201510021", "firm_code": "F-0001",
        "firm_name": "示范明德律师事务所", "recipient": "刘某", "recipient_phone": "13800000011",
        "outcome": "调解结案", "gap_threshold": 10, "organizer": "fang", "check_number": "〔2025〕法援质检第01号"}
CIVIL, CRIMINAL = "legal_aid/quality_civil.standard.json", "legal_aid/quality_criminal.standard.json"
VISIT = {"visited_on": "2025-11-03", "visit_method": "phone", "reached": True, "satisfaction": "满意"}


def add_quality_people(session) -> None:
    """On top of `org_tree` (city, county-a, county-b): the city centre, county A's institution, the reviewers'
    panel, the organiser at the city bureau (he sees every institution), the institution's contact, reviewers."""
    for code, name in ROLES:
        people.add_role(session, code, name)
    people.add_organization(session, "LA-city", "示范市法律援助中心", "city", "legal_aid")
    people.add_organization(session, "LA-a", "东城区法律援助中心", "county-a", "legal_aid")
    people.add_organization(session, "city-aid-panel", "示范市法律援助案件评查专家库", "city")
    people.add_user(session, "fang", "方组织", "city", ["legal_aid_organizer"])
    people.add_user(session, "la_a", "东城法援联络人", "LA-a", ["legal_aid_contact"])
    for username, (firm, licence) in REVIEWERS.items():
        people.add_user(session, username, f"评查专家{username}", "city-aid-panel", ["peer_reviewer"])
        directory.add_entry(session, "peer_reviewer", username, f"评查专家{username}", org_code="city",
                            data={"firm_code": firm, "license": licence})
    session.commit()


def file_review(engine, session, reviewers=("hou", "wu"), **changes):
    """A file review started directly with the file's data and its two reviewers (as the check starts it)."""
    data = {**FILE, "reviewer_a": reviewers[0], "reviewer_b": reviewers[1], **changes}
    case = cases.start_case(engine, session, "legal_aid_file_review", data, org_code=data["case_org"], actor="fang")
    session.commit()
    return case


def review_task(session, case_id: int, username: str):
    """The ready review task naming this reviewer."""
    return next(t for t in ready(session, case_id) if username in (t.candidate_users or []))


def score(engine, session, case_id: int, username: str, total: int, *, standard: str = CIVIL, vetoes=None):
    """The reviewer scores the file on the 评查表 so that it totals `total`."""
    task = review_task(session, case_id, username)
    field = "criminal_review" if standard == CRIMINAL else "civil_review"
    cases.complete_task(engine, session, task.id, {field: sheet(standard, total, vetoes)}, user=user(session, username))
    roundtrip(engine, session, case_id)


def sheet(path: str, total: int, vetoes: dict | None = None) -> dict:
    """A score sheet on the 评查表 at `path` that totals `total` (tests/helpers.py `sheet_totalling`)."""
    standard = json.loads((ROOT / "forms" / path).read_text(encoding="utf-8"))
    return sheet_totalling(standard, total, vetoes, score_reason="代理意见论证不充分", deduction_reason="案卷材料不全",
                           notes=f"评查意见：得分 {total}")


def do_as(engine, session, case_id: int, name: str, username: str, data: dict) -> None:
    """Complete the case's ready task of that name as the user."""
    task = next(t for t in ready(session, case_id) if t.name == name)
    cases.complete_task(engine, session, task.id, data, user=user(session, username))
    roundtrip(engine, session, case_id)
