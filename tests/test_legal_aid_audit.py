"""The legal-aid compliance audit end to end (issue 17, part B), on both databases: the centre deploys the campaign
with its pilot; the pilot self-assesses at 93, its bureau forwards it, the centre's draw picks it for a spot check
and the leading group accepts it; the roll-out wave starts when the pilot phase closes; 86 → 整改 → 复查 at 91;
a veto fails whatever the score; a union's volunteer body self-assesses without counting; the rate moves as results
come in and the summary report holds it; a standard revised after the pilot applies only to the later wave."""
from __future__ import annotations

import json

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.case_records import RandomDraw
from engine.definitions import bundles
from engine.runtime import cases

from .complaint_steps import at, do, document_text
from .conftest import bundle_with
from .helpers import ready
from .legal_aid_steps import (STANDARD, add_legal_aid_people, assessment, campaign, figures, self_assessed, sheet,
                              spot_checked, sweep)


@pytest.fixture
def institutions(session, deployed):
    """The project deployed, with the legal-aid institutions and the people of the audit."""
    add_legal_aid_people(session)


def names(session, case_id) -> list[str]:
    return sorted(t.name for t in ready(session, case_id))


def candidates(session, case_id, name: str) -> list[str]:
    task = next(t for t in ready(session, case_id) if t.name == name)
    return sorted(u.username for u in people.candidates(session, task))


def test_the_campaign_runs_its_phases_and_closes_with_the_rate_in_its_summary_report(engine, session, institutions):
    with time_machine.travel(at("2025-06-16T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        assert campaign_case.meta["phase"] == "学习动员" and campaign_case.meta["in_scope_count"] == 3
        assert "90% 以上" in document_text(session, campaign_case.id, "实施方案通知")
        assert [c.meta["institution_code"] for c in session.scalars(
            select(cases.Case).where(cases.Case.parent_id == campaign_case.id))] == ["LA-a"]
        pilot = self_assessed(engine, session, "LA-a", 93)
        assert pilot.meta["stage"] == "待抽查" and pilot.meta["self_total"] == 93
        assert "93" in document_text(session, pilot.id, "自查报告")
        clock.move_to(at("2025-10-01T09:00"))
        sweep(engine, session)                                  # pilot phase closes: pilots drawn, wave two starts
        assert cases.get_case(session, campaign_case.id).meta["phase"] == "全面实施"
        assert assessment(session, "LA-a").meta["stage"] == "抽查中"
        assert figures(engine, session, campaign_case)["rate"] == (None, 90.0, None)
        assert spot_checked(engine, session, "LA-a", 93).meta["stage"] == "已达标"
        shown = figures(engine, session, campaign_case)
        assert shown["rate"] == (100.0, 90.0, True) and shown["pilot_rate"] == (33.3, 33.3, True)
        assert "达标" in document_text(session, assessment(session, "LA-a").id, "验收结论")

        volunteer = self_assessed(engine, session, "LA-union", 95)
        assert volunteer.meta["stage"] == "自评完成（不计入）" and volunteer.status == "completed"
        self_assessed(engine, session, "LA-b", 86)
        self_assessed(engine, session, "LA-city", 95, V1="受援人反映承办人员收取交通费")
        clock.move_to(at("2026-02-01T09:00"))
        sweep(engine, session)                                  # roll-out closes: the draw picks the waiting ones
        draw = session.scalars(select(RandomDraw).where(RandomDraw.case_id == campaign_case.id)
                               .order_by(RandomDraw.id)).all()[-1]
        assert sorted(draw.result["chosen"]) == ["LA-b", "LA-city"]

        vetoed = spot_checked(engine, session, "LA-city", 95, V1="受援人反映承办人员收取交通费")
        assert (vetoed.meta["stage"], vetoed.meta["veto"], vetoed.meta["final_total"]) == ("不达标", True, 95)
        assert figures(engine, session, campaign_case)["rate"] == (50.0, 90.0, False)
        rectifying = spot_checked(engine, session, "LA-b", 86)
        assert rectifying.meta["stage"] == "整改中" and names(session, rectifying.id) == ["限期整改"]
        assert "2026年3月2日" in document_text(session, rectifying.id, "整改通知书")     # 02-01 + 1 month: 03-01, a Sunday
        shown = figures(engine, session, campaign_case)
        assert shown["rate"][0] == 33.3 and shown["rectifying"][0] == 1 and shown["volunteers"][0] == 1

        clock.move_to(at("2026-02-20T10:00"))
        do(engine, session, rectifying.id, "限期整改", "cb", {"rectification_report": "已补齐受理凭证并建立回访台账。"})
        do(engine, session, rectifying.id, "复查评分", "fang",
           {"rechecked_on": "2026-02-20", "recheck_score": sheet(91), "recheck_opinion": "整改到位"})
        do(engine, session, rectifying.id, "验收认定", "lei", {"accept_opinion": "同意"})
        rechecked = assessment(session, "LA-b")
        assert (rechecked.meta["stage"], rechecked.meta["recheck_total"], rechecked.meta["final_total"]) == ("已达标", 91, 91)
        assert figures(engine, session, campaign_case)["rate"] == (66.7, 90.0, False)

        clock.move_to(at("2026-04-01T09:00"))
        sweep(engine, session)
        do(engine, session, campaign_case.id, "验收总结", "lei", {"summary_opinion": "全市法律援助机构规范服务达标活动总体完成。"})
        closed = cases.get_case(session, campaign_case.id)
        assert closed.status == "completed" and closed.meta["rate"] == 66.7
        report = document_text(session, campaign_case.id, "总结报告")
        assert "已评定 3 家，达标 2 家" in report and "66.7%" in report and "未实现目标" in report
        assert "A区法律援助中心（试点）：93 分，达标" in report and "B县法律援助中心（全面实施）：91 分，达标" in report
        assert "市法律援助中心（V1）" in report and "市总工会法律援助工作站 自查 95 分" in report
        assert "受理审查 " in report and "咨询接待 " in report


def test_a_standard_revised_after_the_pilot_applies_to_the_later_wave_only(engine, session, institutions):
    with time_machine.travel(at("2025-06-16T09:00"), tick=True) as clock:
        campaign(engine, session)
        revised = json.loads(json.dumps(STANDARD))
        revised["pass"]["min_total"] = 85
        revised["bands"][0]["min"], revised["bands"][1]["max"] = 85, 85
        clock.move_to(at("2025-07-01T09:00"))
        bundles.deploy(session, bundle_with(**{"forms__legal_aid__standard.json": json.dumps(
            revised, ensure_ascii=False).encode()}), engine=engine)
        clock.move_to(at("2025-10-01T09:00"))
        sweep(engine, session)
        pilot = self_assessed(engine, session, "LA-a", 86, forward=False)
        later = self_assessed(engine, session, "LA-b", 86, forward=False)
        assert pilot.definition.bundle_id != later.definition.bundle_id
        assert (pilot.meta["self_total"], later.meta["self_total"]) == (86, 86)
        assert (pilot.meta["self_band"], later.meta["self_band"]) == ("failed", "passed")   # pass mark 90 vs 85
        assert pilot.meta["stage"] == later.meta["stage"] == "待区县审核"


def la_a_item(**changes) -> dict:
    """The data the campaign starts LA-a's assessment with (a pilot of 东城), for tests that start it directly."""
    return {"case_org": "LA-a", "institution_code": "LA-a", "institution_name": "A区法律援助中心", "district": "county-a",
            "in_scope": True, "pilot": True, "wave": "pilot", "wave_label": "试点", "campaign_title": "达标活动",
            "year": 2025, "issuer_name": "市司法局", "period_from": "2024-07-01", "period_to": "2025-06-30",
            "contact_until": "2025-06-30", "self_until": "2025-09-10", "accept_until": "2026-03-31",
            "lane_orgs": {"区县法律援助审核员": "county-a", "法律援助活动组织员": "city", "法律援助达标领导小组": "city"},
            **changes}


def test_rectification_is_reminded_then_supervised_by_the_county_then_escalated_to_the_centre(engine, session,
                                                                                               institutions):
    from engine.core.case_records import Notification

    item = la_a_item()
    with time_machine.travel(at("2025-06-16T09:00"), tick=True) as clock:
        case = cases.start_case(engine, session, "legal_aid_assessment", item, org_code="LA-a", actor="fang")
        self_assessed(engine, session, "LA-a", 80)
        cases.send_message(engine, session, case.id, "明察暗访", {}, actor="fang")      # a visit, from the case page
        do(engine, session, case.id, "记录明察暗访", "fang", {"visited_on": "2025-06-16", "visit_kind": "暗访",
                                                        "item_code": "A1.2", "finding": "窗口未公示投诉电话"})
        assert assessment(session, "LA-a").meta["visit_count"] == 1
        cases.send_message(engine, session, case.id, "抽查安排", {}, actor="fang")      # released undrawn
        do(engine, session, case.id, "验收认定", "lei", {"accept_opinion": "限期整改"})
        case = assessment(session, "LA-a")
        assert (case.meta["stage"], case.meta["final_total"]) == ("整改中", 80)
        assert case.meta.get("check_total") is None                                   # scored on its self-assessment
        assert "暗访 A1.2 窗口未公示投诉电话" in document_text(session, case.id, "检查评分表")
        clock.move_to(at("2025-07-10T09:00"))                                       # 5 working days before 07-16
        sweep(engine, session)
        assert [n.title for n in session.scalars(select(Notification).where(Notification.case_id == case.id))] \
            == ["整改临期提醒：A区法律援助中心"]
        clock.move_to(at("2025-07-17T09:00"))
        sweep(engine, session)
        assert names(session, case.id) == ["督办（整改逾期）", "限期整改"]
        assert candidates(session, case.id, "督办（整改逾期）") == ["ra"]                  # the county's reviewer
        clock.move_to(at("2025-07-24T09:00"))                                       # 5 working days after
        sweep(engine, session)
        assert names(session, case.id) == sorted(["督办（整改逾期）", "市法律援助中心督办（整改逾期）", "限期整改"])
        assert candidates(session, case.id, "市法律援助中心督办（整改逾期）") == ["fang"]


def test_the_contact_and_the_district_review_are_reminded_then_supervised(engine, session, institutions):
    """The campaign's own windows: naming the contact (学习动员) and the district's review each remind 3 working days
    before their end; past it the district bureau supervises the contact and the city's centre the district."""
    from engine.core.case_records import Notification

    item = la_a_item()

    def titles(case_id):
        return sorted(n.title for n in session.scalars(select(Notification).where(Notification.case_id == case_id)))

    with time_machine.travel(at("2025-06-16T09:00"), tick=True) as clock:
        case = cases.start_case(engine, session, "legal_aid_assessment", item, org_code="LA-a", actor="fang")
        clock.move_to(at("2025-06-24T09:00"))
        sweep(engine, session)
        assert titles(case.id) == []
        clock.move_to(at("2025-06-26T09:00"))                     # at the end of 06-25, 3 working days before 06-30
        sweep(engine, session)
        assert titles(case.id) == ["确定联络人临期提醒：A区法律援助中心"]
        clock.move_to(at("2025-06-30T18:00"))
        sweep(engine, session)
        assert names(session, case.id) == ["确定联络人"]                             # due at the end of 06-30
        clock.move_to(at("2025-07-01T09:00"))
        sweep(engine, session)
        assert names(session, case.id) == ["督办（未确定联络人）", "确定联络人"]
        assert candidates(session, case.id, "督办（未确定联络人）") == ["ra"]           # the county's reviewer
        self_assessed(engine, session, "LA-a", 93, forward=False)                    # review due at the end of 07-15
        assert "区县司法局审核" in names(session, case.id)
        clock.move_to(at("2025-07-11T09:00"))                     # at the end of 07-10, 3 working days before 07-15
        sweep(engine, session)
        assert "区县审核临期提醒：A区法律援助中心" in titles(case.id)
        clock.move_to(at("2025-07-15T13:00"))
        sweep(engine, session)
        assert "市法律援助中心督办（区县审核逾期）" not in names(session, case.id)
        clock.move_to(at("2025-07-16T09:00"))
        sweep(engine, session)
        assert "市法律援助中心督办（区县审核逾期）" in names(session, case.id)
        assert candidates(session, case.id, "市法律援助中心督办（区县审核逾期）") == ["fang"]


def test_the_spot_check_the_acceptance_and_the_recheck_remind_3_working_days_before_they_are_due(engine, session,
                                                                                                 institutions):
    from datetime import timedelta

    from engine.core.case_records import Notification

    item = la_a_item(accept_until="2025-12-31")

    def reminded_before_due(clock, case_id, name, title):
        """Nothing before the moment 3 working days ahead of the task's due time; the reminder just after it."""
        due = next(t for t in ready(session, case_id) if t.name == name).due_at
        moment = engine.calendar.add_working_days(due, -3)
        clock.move_to(moment - timedelta(minutes=1))
        sweep(engine, session)
        sent = lambda: [n.title for n in session.scalars(select(Notification).where(Notification.case_id == case_id))]
        assert title not in sent()
        clock.move_to(moment + timedelta(minutes=1))
        sweep(engine, session)
        assert sent().count(title) >= 1

    with time_machine.travel(at("2025-06-16T09:00"), tick=True) as clock:
        case = cases.start_case(engine, session, "legal_aid_assessment", item, org_code="LA-a", actor="fang")
        self_assessed(engine, session, "LA-a", 80)
        cases.send_message(engine, session, case.id, "抽查安排", {"drawn": True}, actor="fang")
        reminded_before_due(clock, case.id, "抽查评分", "抽查评分临期提醒：A区法律援助中心")
        do(engine, session, case.id, "抽查评分", "fang", {"checked_on": engine.today().isoformat(),
                                                     "sampled_files": "（2025）援字第 1 号", "check_score": sheet(80)})
        reminded_before_due(clock, case.id, "验收认定", "验收认定临期提醒：A区法律援助中心")
        do(engine, session, case.id, "验收认定", "lei", {"accept_opinion": "限期整改"})
        do(engine, session, case.id, "限期整改", "ca", {"rectification_report": "已补齐受理凭证并建立回访台账。"})
        reminded_before_due(clock, case.id, "复查评分", "复查评分临期提醒：A区法律援助中心")
