"""The law-firm acceptance procedure end to end (issue 16's proof), on both databases: a campaign invites every
firm of the city; a firm applies, self-scores, is recommended, inspected by drawn inspectors, scored, rectifies,
goes through 公示 and is named with a certificate; vetoes from complaint penalties, objections, sanctions after
naming, the two-year re-evaluation and the draw's record.

The campaign runs through `start_cases` and its window timers, messages between cases are delivered by the
sweep, the veto comes from the standard's auto rule over the complaint records, and objections arrive through the
portal's public list."""
from __future__ import annotations

import json

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.models import Case, User
from engine.core.case_records import RandomDraw
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import participants
from engine.work.casework import case_data
from engine.work.public_lists import public_list, send_public_message
from engine.work.score_sheets import score_sheet_start

from .complaint_steps import at, document_text
from .conftest import ROOT
from .helpers import ready, sheet_totalling
from .law_firm_steps import (APPLICATION, DECIDE, FIRMS, INSPECTORS, REVIEW, WINDOWS, add_law_firm_people, do,
                             penalised)
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture


@pytest.fixture
def firms(session, sanctions_setup):
    """The complaint procedure's people with the firms, the city's campaign staff and the inspectors."""
    add_law_firm_people(session)


DEPLOY = {"campaign_title": "2025年度规范化律师事务所评定", "year": 2025, **WINDOWS,
          "period_from": "2024-11-01", "period_to": "2025-10-31", "leading_group": ["高组长", "钱处员"]}
POOL = {"max_per_inspector": 2}


def sheet(total: int, **vetoes) -> dict:
    """A score sheet on forms/law_firm/standard.json that totals `total` (tests/helpers.py `sheet_totalling`)."""
    standard = json.loads((ROOT / "forms/law_firm/standard.json").read_text(encoding="utf-8"))
    return sheet_totalling(standard, total, vetoes, score_reason="检查发现制度执行不到位",
                           deduction_reason="抽查卷宗发现问题", notes="实地检查记录")


def sweep(engine, session) -> None:
    """What the scheduler does: fire due timers and deliver the messages between cases they sent."""
    fire_due_timers(engine, session)
    session.commit()


def application(session, firm_code: str) -> Case:
    """The firm's participant case (started by the campaign)."""
    session.commit()
    session.expire_all()
    return session.scalar(select(Case).where(Case.process_key == "law_firm_application",
                                             Case.meta["firm_code"].as_string() == firm_code))


def figures(engine, session, campaign_case: Case) -> dict:
    """The campaign's participant figures as its organiser sees them (the campaign page's numbers)."""
    organiser = session.scalar(select(User).where(User.username == "qian"))
    found = participants.table(session, organiser, cases.get_case(session, campaign_case.id), engine.now())
    return {f["name"]: f["value"] for f in found.figures}


def listed(session, name: str) -> list[str]:
    """The firm names shown on one of the portal's public lists of applications."""
    return [cell for row in public_list(session, "law_firm_application", name)["rows"] for cell in row["fields"]
            if cell in {n for n, _, _ in FIRMS.values()}]


def names(session, case_id) -> list[str]:
    return sorted(t.name for t in ready(session, case_id))


def campaign(engine, session) -> Case:
    """On Monday 2025-10-13 the city's 律师工作处 deploys the campaign; every firm of the city gets a case."""
    case = cases.start_case(engine, session, "law_firm_campaign", {}, org_code="city", actor="qian")
    do(engine, session, case.id, "部署", "qian", DEPLOY)
    return cases.get_case(session, case.id)


def applied_and_recommended(engine, session, clock, firm_code="F-0001", self_total=88) -> Case:
    """The firm applies and, an hour later, its county recommends it."""
    _, county, director = FIRMS[firm_code]
    case = application(session, firm_code)
    clock.shift(3600)
    do(engine, session, case.id, "申报", director, {**APPLICATION, "self_score": sheet(self_total)})
    clock.shift(3600)
    do(engine, session, case.id, "初审", "chen" if county == "county-a" else "b_worker", REVIEW)
    return application(session, firm_code)


def arranged(engine, session, clock, campaign_case, pool=POOL) -> None:
    """Both windows close (the campaign tells its participants), then on 11-03 the organiser has inspectors
    drawn from the register."""
    clock.move_to(at("2025-11-01T09:00"))
    sweep(engine, session)
    clock.move_to(at("2025-11-03T09:00"))
    do(engine, session, campaign_case.id, "组织实地检查", "qian", pool)
    sweep(engine, session)


def inspected(engine, session, clock, case: Case, total: int, **vetoes) -> None:
    """One of the two drawn inspectors scores, and an hour later the leading group confirms."""
    task = next(t for t in ready(session, case.id) if t.name == "实地检查评分")
    clock.shift(3600)
    do(engine, session, case.id, "实地检查评分", task.candidate_users[0],
       {"inspected_on": "2025-11-03", "sampled_files": "（2025）明德民代字第 12、31、57 号",
        "inspection_score": sheet(total, **vetoes)})
    clock.shift(3600)
    do(engine, session, case.id, "评分与认定", "gao", DECIDE)


def three_inspected(engine, session, clock, first_total: int) -> tuple[Case, dict[str, Case]]:
    """The campaign with three applicants inspected: F-0001 (county A) at `first_total`, F-0002 (county A) at 92 with
    vetoes V2 and V4, F-0003 (county B) at 86. The campaign's case, and the applications by firm."""
    campaign_case = campaign(engine, session)
    applied = {code: applied_and_recommended(engine, session, clock, code) for code in ("F-0001", "F-0002", "F-0003")}
    arranged(engine, session, clock, campaign_case)
    inspected(engine, session, clock, applied["F-0001"], first_total)
    inspected(engine, session, clock, applied["F-0002"], 92, V2="年度考核被暂缓", V4="申报材料与实际不符")
    inspected(engine, session, clock, applied["F-0003"], 86)
    return campaign_case, applied


def named(engine, session, clock, firm_code="F-0001", total=86) -> Case:
    """A firm through the whole campaign to 已命名 (公示 of 5 working days from Monday 11-03 ends with 11-10)."""
    campaign_case = campaign(engine, session)
    case = applied_and_recommended(engine, session, clock, firm_code)
    arranged(engine, session, clock, campaign_case)
    inspected(engine, session, clock, case, total)
    clock.move_to(at("2025-11-11T09:00"))
    sweep(engine, session)
    return application(session, firm_code)


def test_a_campaign_invites_every_firm_and_closes_the_application_window(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        participants = list(session.scalars(select(Case).where(Case.parent_id == campaign_case.id)))
        assert sorted(c.org.code for c in participants) == sorted(FIRMS)
        assert campaign_case.meta["invited_count"] == 3
        case = applied_and_recommended(engine, session, clock)
        assert case.meta["stage"] == "待实地检查" and case.meta["self_total"] == 88
        clock.move_to(at("2025-10-25T09:00"))
        sweep(engine, session)
        assert application(session, "F-0002").meta["stage"] == "未申报"
        assert application(session, "F-0002").status == "completed"
        assert application(session, "F-0001").meta["stage"] == "待实地检查"


def test_86_is_standard_published_and_named_with_a_certificate(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        case = applied_and_recommended(engine, session, clock)
        arranged(engine, session, clock, campaign_case)
        inspected(engine, session, clock, case, 86)
        case = application(session, "F-0001")
        assert case.meta["stage"] == "公示中" and case.meta["band"] == "standard" and case.meta["inspection_total"] == 86
        assert listed(session, "notice") == [FIRMS["F-0001"][0]] and listed(session, "register") == []
        clock.move_to(at("2025-11-10T09:00"))
        sweep(engine, session)
        assert application(session, "F-0001").meta["stage"] == "公示中"       # 5 working days end with 11-10
        clock.move_to(at("2025-11-11T09:00"))
        sweep(engine, session)
        case = application(session, "F-0001")
        assert case.meta["stage"] == "已命名" and case.meta["valid_until"] == "2027-11-11"
        certificate = document_text(session, case.id, "规范化律师事务所证书")
        assert FIRMS["F-0001"][0] in certificate and "86" in certificate and "规范化（达标）" in certificate
        assert "2027年11月11日" in certificate
        assert "86" in document_text(session, case.id, "命名决定")
        assert listed(session, "notice") == [] and listed(session, "register") == [FIRMS["F-0001"][0]]
        entry = public_list(session, "law_firm_application", "register")["rows"][0]
        assert entry["number"] == case.business_number and entry["fields"][1:] == ["规范化（达标）", "2027-11-11"]
        assert figures(engine, session, campaign_case) == {
            "invited": 3, "applied": 1, "recommended": 1, "inspected": 1, "named": 1, "rectifying": 0, "overdue": 0,
            "rate": 100.0}
        row = next(r for r in participants.table(session, session.scalar(select(User).where(User.username == "qian")),
                                                 campaign_case, engine.now()).rows if r["org"] == "F-0001")
        assert row["meta"]["band_label"] == "规范化（达标）" and row["meta"]["self_total"] == 88


def test_74_rectifies_is_rechecked_and_named(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        case = applied_and_recommended(engine, session, clock)
        arranged(engine, session, clock, campaign_case)
        inspected(engine, session, clock, case, 74)
        case = application(session, "F-0001")
        assert case.meta["stage"] == "整改中" and names(session, case.id) == ["限期整改"]
        assert figures(engine, session, campaign_case)["rectifying"] == 1
        assert "整改" in document_text(session, case.id, "整改通知书")
        clock.move_to(at("2025-11-20T10:00"))
        do(engine, session, case.id, "限期整改", "mingde", {"rectification_report": "已建立利益冲突审查台账并补齐会议记录"})
        task = next(t for t in ready(session, case.id) if t.name == "复查评分")
        do(engine, session, case.id, "复查评分", task.candidate_users[0],
           {"rechecked_on": "2025-11-20", "recheck_score": sheet(86), "recheck_opinion": "整改到位"})
        do(engine, session, case.id, "评分与认定", "gao", DECIDE)
        assert application(session, "F-0001").meta["stage"] == "公示中"
        clock.move_to(at("2025-11-28T09:00"))
        sweep(engine, session)
        case = application(session, "F-0001")
        assert case.meta["stage"] == "已命名" and case.meta["recheck_total"] == 86


def test_a_penalty_from_a_complaint_in_the_period_vetoes_whatever_the_score(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        case = applied_and_recommended(engine, session, clock)
        clock.move_to(at("2025-10-16T16:00"))
        complaint = penalised(engine, session, clock, "F-0001")
        assert complaint.meta["respondent_firm"] == "F-0001" and complaint.meta["penalty_decision"] == "penalise"
        clock.move_to(at("2025-11-13T09:00"))
        sweep(engine, session)                                 # both windows close
        do(engine, session, campaign_case.id, "组织实地检查", "qian", POOL)
        sweep(engine, session)
        task = next(t for t in ready(session, case.id) if t.name == "实地检查评分")
        start = score_sheet_start(engine, session, task)["inspection_score"]
        assert start["entry"]["vetoes"]["V1"]["hit"] is True     # the sheet opens with the records' finding
        assert [c["id"] for c in start["findings"]["V1"]["cases"]] == [complaint.id]
        inspected(engine, session, clock, case, 95)              # the inspectors enter no veto themselves
        case = application(session, "F-0001")
        assert case.meta["veto"] is True and case.meta["stage"] == "未通过" and case.status == "completed"
        assert case.meta["inspection_total"] >= 90               # not named whatever its score
        scored = case_data(engine, session, case)["inspection_score"]
        assert scored["veto_items"] == ["V1"] and scored["band"] == "failed"


def test_an_upheld_objection_during_publicity_withdraws_the_firm(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        case = applied_and_recommended(engine, session, clock)
        arranged(engine, session, clock, campaign_case)
        inspected(engine, session, clock, case, 92)
        listed = public_list(session, "law_firm_application", "notice")
        assert FIRMS["F-0001"][0] in str(listed)
        clock.move_to(at("2025-11-07T10:00"))                  # within 公示 (5 working days from 11-03)
        receipt = send_public_message(engine, session, "law_firm_application", "notice", case.business_number, "异议",
                                      {"name": "张某", "contact": "13800000009", "text": "该所去年曾私自收案"})
        assert receipt["number"] == case.business_number and receipt["reference"]
        assert names(session, application(session, "F-0001").id) == ["异议核查"]
        objection = case_data(engine, session, application(session, "F-0001"))["objection"]
        assert objection["text"] == "该所去年曾私自收案" and objection["reference"] == receipt["reference"]
        do(engine, session, case.id, "异议核查", "qian", {"objection_upheld": True, "check_findings": "经核查属实"})
        case = application(session, "F-0001")
        assert case.meta["stage"] == "未通过" and case.status == "completed"


def test_a_sanction_after_naming_opens_a_revocation_review(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        case = named(engine, session, clock)
        assert case.meta["stage"] == "已命名"
        clock.move_to(at("2025-11-17T09:00"))
        penalised(engine, session, clock, "L-0009")          # a lawyer of F-0001
        sweep(engine, session)
        assert names(session, case.id) == ["撤销审查"]
        do(engine, session, case.id, "撤销审查", "qian",
           {"revoke": True, "fraud_confirmed": False, "revocation_opinion": "有效期内本所律师受到行政处罚"})
        case = application(session, "F-0001")
        assert case.meta["stage"] == "已撤销" and "撤销" in document_text(session, case.id, "撤销决定")


def test_the_two_year_re_evaluation_timer_fires_for_the_county(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        case = named(engine, session, clock)
        assert case.meta["valid_until"] == "2027-11-11"
        clock.move_to(at("2027-11-11T09:00"))                 # a Thursday: due at its end
        sweep(engine, session)
        assert names(session, case.id) == []
        clock.move_to(at("2027-11-12T09:00"))
        sweep(engine, session)
        assert names(session, case.id) == ["复评"]
        assert [u.username for u in people.candidates(session, ready(session, case.id)[0])] == ["chen"]


def test_the_draw_reruns_to_the_same_result_and_never_assigns_a_conflicted_inspector(engine, session, firms):
    from engine.records import draws

    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        campaign_case = campaign(engine, session)
        for firm in FIRMS:
            applied_and_recommended(engine, session, clock, firm)
        arranged(engine, session, clock, campaign_case,
                 {**POOL, "unavailable": [{"inspector": "wei", "reason": "出差"}]})
        record = session.scalar(select(RandomDraw).where(RandomDraw.case_id == campaign_case.id))
        assert draws.rerun(record) == record.result and draws.verify(session, record.id)
        assert sorted(record.pool["people"]) == sorted(set(INSPECTORS) - {"wei"})   # the register, less the absent
        kept = json.dumps(case_data(engine, session, cases.get_case(session, campaign_case.id)), ensure_ascii=False)
        assert not any(firm in kept for firm in FIRMS)       # the campaign keeps no per-firm lists in its state
        assignment = record.result["assignment"]
        assert sorted(assignment) == sorted(FIRMS)
        for firm, chosen in assignment.items():
            assert len(chosen) == 2
            for person in chosen:
                home, recused = INSPECTORS[person]
                assert firm != home and FIRMS[firm][1] != home and firm not in recused
        for firm in FIRMS:
            task = next(t for t in ready(session, application(session, firm).id) if t.name == "实地检查评分")
            assert sorted(task.candidate_users) == sorted(assignment[firm])
