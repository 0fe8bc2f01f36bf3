"""Shared people and steps for the law-firm acceptance tests: on top of the complaint procedure's people
(`complaint_setup`), three firms with their directors, the campaign's city roles and an inspector directory."""
from __future__ import annotations

from datetime import datetime

from engine.core import people
from engine.core.models import Case
from engine.records import directory
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ

from .complaint_steps import EXPLANATION, do, register, review  # noqa: F401 - do: for the law-firm tests
from .test_complaint_sanctions import DECIDED, FILED, FINDINGS, LIGHT, RECOMMENDATION, REVIEWED, SERVED

FIRMS = {"F-0001": ("示范明德律师事务所", "county-a", "mingde"),
         "F-0002": ("示范信达律师事务所", "county-a", "xinda"),
         "F-0003": ("示范正言律师事务所", "county-b", "zhengyan")}
# username -> (home organisation, recused firms): each inspector signs in at their own organisation (the bar, a
# county, a firm) and sees the firm's case they are drawn for because its task names them (case access).
INSPECTORS = {"wei": ("city", []), "xie": ("city", []), "pan": ("city-bar", []), "du": ("city-bar", ["F-0003"]),
              "shi": ("F-0001", []), "yuan": ("county-b", [])}
WINDOWS = {"period_from": "2024-10-01", "period_to": "2025-09-30", "apply_until": "2025-10-24",
           "review_until": "2025-10-31", "accept_until": "2025-11-28", "publicity_days": 5}
LANE_ROLES = (("firm_director", "律所主任"), ("lawyer_affairs", "律师工作处"), ("inspector", "考评组成员"),
              ("leading_group", "考评领导小组"))


def add_law_firm_people(session) -> None:
    """Firms under their counties with a director each, city staff, inspectors and their directory (on top of
    `complaint_setup`: its county-a staff chen and zhou, county-b's b_worker, the city bar, respondent F-0001)."""
    for code, name in LANE_ROLES:
        people.add_role(session, code, name)
    for code, (name, county, director) in FIRMS.items():
        people.add_organization(session, code, name, county, "law_firm")
        people.add_user(session, director, f"{name}主任", code, ["firm_director"])
        if directory.find(session, "respondent", code) is None:
            directory.add_entry(session, "respondent", code, name, org_code=county, data={"type": "firm"})
    directory.add_entry(session, "respondent", "L-0009", "吴某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001"})
    people.add_user(session, "qian", "钱处员", "city", ["lawyer_affairs"])
    people.add_user(session, "gao", "高组长", "city", ["leading_group"])
    for username, (home, recused) in INSPECTORS.items():
        people.add_user(session, username, f"考评员{username}", home, ["inspector"])
        directory.add_entry(session, "inspector", username, f"考评员{username}", org_code="city",
                            data={"org": home, "recused": recused})
    session.commit()


def participant(firm_code: str, **changes) -> dict:
    """The initial data the campaign gives one firm's application (see law_firm_campaign's 邀请辖区律所)."""
    name, county, _ = FIRMS[firm_code]
    return {"case_org": firm_code, "firm_code": firm_code, "firm_name": name, "county": county,
            "county_name": "A区司法局" if county == "county-a" else "B县司法局", "issuer_name": "市司法局",
            "campaign_title": "2025年度规范化律师事务所评定", "year": 2025, **WINDOWS,
            "lane_orgs": {"承办人": county, "考评组成员": "city", "律师工作处": "city", "考评领导小组": "city"},
            **changes}


APPLICATION = {"firm_address": "示范市东城区人民路 1 号", "founded_on": "2015-03-01", "director_name": "王明德",
               "contact_phone": "0571-88880001", "partners_count": 5, "lawyers_count": 21, "party_members_count": 6,
               "self_report": "本所已按评分标准逐项自查，党支部、合伙人会议、统一收案收费和利益冲突审查制度均已建立并执行。",
               "commitment": True}
REVIEW = {"materials_complete": True, "eligible": True, "veto_found": False, "review_conclusion": "recommend",
          "review_opinion": "材料齐全，符合申报条件，推荐参加实地检查"}
DECIDE = {"score_confirmed": True, "decision_opinion": "同意考评组评分和等次"}


def penalised(engine, session, clock, respondent_id: str) -> Case:
    """A complaint about the respondent, ending the same day in an administrative penalty by the city."""
    today = datetime.now(CHINA_TZ).date().isoformat()
    case = register(engine, session, respondent_id=respondent_id, received_on=today)
    for name, username, data in (
            ("初审", "chen", review("accept")),
            ("受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"}),
            ("告知投诉人", "chen", {"notice_method": "post", "notified_on": today}),
            ("被投诉人书面说明", "chen", {**EXPLANATION, "explanation_received_on": today}),
            ("调查核实", "chen", FINDINGS),
            ("处理意见", "chen", RECOMMENDATION),
            ("处理决定审批", "dora", {"approved": True, "approval_opinion": "同意提出处罚建议"}),
            ("立案审查", "city_chief", FILED), ("调查取证", "city_worker", LIGHT),
            ("送达事先告知书", "city_worker", {**SERVED, "notice_served_on": today}),
            ("陈述申辩与听证申请", "city_worker", {"statement_received_on": today,
                                             "statement_summary": "当事人无异议", "hearing_requested": False}),
            ("法制审核", "city_legal", REVIEWED), ("作出处罚决定", "city_director", DECIDED),
            ("送达处罚决定书", "city_worker", {"decision_service_method": "direct", "decision_served_on": today,
                                          "decision_service_proof": "签收"})):
        clock.shift(60)
        do(engine, session, case.id, name, username, data)
    return cases.get_case(session, case.id)
