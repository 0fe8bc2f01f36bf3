"""The yearly random spot check of named firms (双随机一公开), on both databases: the city draws firms from the
named ones only and assigns non-conflicted inspectors; each drawn firm's case gets the on-site check for exactly
those inspectors; a pass keeps it named with the date recorded, a fail opens the revocation review; the results
come back to the spot check's 结果汇总; both draws re-run from their records to the same result."""
from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.models import Case
from engine.core.case_records import CaseMessage, RandomDraw
from engine.records import draws
from engine.runtime import cases
from engine.runtime.case_context import find_cases, running
from engine.runtime.cases import waiting_messages
from engine.work.casework import case_data, message_actions, send_action

from .complaint_steps import at
from .helpers import ready
from .law_firm_steps import FIRMS, INSPECTORS, do
from .test_complaint_sanctions import sanctions_setup  # noqa: F401 - a fixture
from .test_law_firm_scenarios import (application, applied_and_recommended, arranged, campaign, firms,  # noqa: F401
                                      inspected, names, sheet, sweep)

NAMED = ("F-0001", "F-0002")
ORGANISE = {"year": 2026, "sample_count": 2, "max_per_inspector": 2}


def two_named_one_rectifying(engine, session, clock) -> None:
    """All three firms are inspected in the 2025 campaign: F-0001 and F-0002 score 86 and are named on 11-11,
    F-0003 scores 74 and is still rectifying (a running case that is not named)."""
    campaign_case = campaign(engine, session)
    for firm in FIRMS:
        applied_and_recommended(engine, session, clock, firm)
    arranged(engine, session, clock, campaign_case, {"max_per_inspector": 2})
    for firm, total in (("F-0001", 86), ("F-0002", 86), ("F-0003", 74)):
        inspected(engine, session, clock, application(session, firm), total)
    clock.move_to(at("2025-11-11T09:00"))
    sweep(engine, session)
    assert [application(session, f).meta["stage"] for f in FIRMS] == ["已命名", "已命名", "整改中"]


def spot_check(engine, session, data=ORGANISE) -> Case:
    """The city's 律师工作处 opens a spot check and submits its organising form."""
    case = cases.start_case(engine, session, "law_firm_spot_check", {}, org_code="city", actor="qian")
    do(engine, session, case.id, "组织年度抽查", "qian", data)
    session.commit()
    session.expire_all()
    return cases.get_case(session, case.id)


def spot_task(session, firm: str):
    return next(t for t in ready(session, application(session, firm).id) if t.name == "年度抽查评分")


def checked(engine, session, firm: str, total: int) -> None:
    """The first of the firm's drawn inspectors enters the on-site score sheet."""
    do(engine, session, application(session, firm).id, "年度抽查评分", spot_task(session, firm).candidate_users[0],
       {"checked_on": "2026-03-03", "sampled_files": "（2026）民代字第 3、8 号", "spot_check_score": sheet(total)})


def test_find_cases_answers_running_cases_of_another_process_by_reportable_fields(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        two_named_one_rectifying(engine, session, clock)
        case = cases.start_case(engine, session, "law_firm_spot_check", {}, org_code="city", actor="qian")

        class Here:
            def __init__(self, case):
                self.session, self.case = session, case

        with running(Here(case)):
            found = find_cases("law_firm_application", stage="已命名")
            assert [(c["org"], c["meta"]["firm_code"]) for c in found] == [(f, f) for f in NAMED]
            assert found[0]["number"] == application(session, "F-0001").business_number
            assert found[0]["id"] == application(session, "F-0001").id
            either = find_cases("law_firm_application", stage=["已命名", "整改中"], county="county-a")
            assert [c["org"] for c in either] == ["F-0001", "F-0002"]
            assert [c["org"] for c in find_cases("law_firm_application", stage=["整改中"])] == ["F-0003"]
            assert find_cases("law_firm_application", stage="未申报") == []       # none running
            assert find_cases("no_such_process") == []
            assert len(find_cases("law_firm_campaign")) == 1


def test_the_spot_check_draws_named_firms_assigns_inspectors_and_acts_on_the_result(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        two_named_one_rectifying(engine, session, clock)
        clock.move_to(at("2026-03-02T09:00"))
        check = spot_check(engine, session)
        assert check.meta["stage"] == "抽查中" and check.meta["drawn_count"] == 2
        sample = session.get(RandomDraw, check.meta["sample_draw_id"])
        assignment = session.get(RandomDraw, check.meta["assignment_draw_id"])
        assert sorted(sample.pool["items"]) == list(NAMED)               # the pool: named firms only
        assert sorted(sample.result["chosen"]) == list(NAMED)
        for record in (sample, assignment):
            assert record.case_id == check.id and record.drawn_by == "qian"
            assert draws.rerun(record) == record.result and draws.verify(session, record.id)
        chosen = assignment.result["assignment"]
        assert sorted(chosen) == list(NAMED) and "F-0003" not in chosen
        for firm, inspectors in chosen.items():
            assert len(inspectors) == 2
            for person in inspectors:
                home, recused = INSPECTORS[person]
                assert firm != home and FIRMS[firm][1] != home and firm not in recused
        waiting = waiting_messages(engine, session, application(session, "F-0001").id)
        assert "年度抽查" in waiting
        offered = message_actions(engine, session, application(session, "F-0001"), people.user_by_name(session, "qian"),
                                  waiting)
        assert "年度抽查" not in [a["name"] for a in offered]          # only the spot check sends it
        sweep(engine, session)
        for firm in NAMED:
            assert names(session, application(session, firm).id) == ["年度抽查评分"]
            assert sorted(spot_task(session, firm).candidate_users) == sorted(chosen[firm])
        untouched = application(session, "F-0003")                       # never drawn
        assert "年度抽查评分" not in names(session, untouched.id) and untouched.meta["stage"] == "整改中"

        clock.move_to(at("2026-03-03T10:00"))
        checked(engine, session, "F-0001", 88)
        passed = application(session, "F-0001")
        assert passed.meta["stage"] == "已命名" and passed.meta["last_spot_check"] == "2026-03-03"
        assert passed.meta["last_spot_check_result"] == "规范化（达标）" and passed.meta["valid_until"] == "2027-11-11"
        assert names(session, passed.id) == []                          # back under dynamic management
        checked(engine, session, "F-0002", 72)
        failed = application(session, "F-0002")
        assert failed.meta["last_spot_check_result"] == "限期整改" and names(session, failed.id) == ["撤销审查"]

        sweep(engine, session)                                           # the firms' results reach the check
        check = cases.get_case(session, check.id)
        assert (check.meta["reported_count"], check.meta["failed_count"]) == (2, 1)
        assert names(session, check.id) == ["结果汇总"]
        delivered = session.scalars(select(CaseMessage.status).where(CaseMessage.name == "抽查结果")).all()
        assert delivered == ["delivered", "delivered"]
        do(engine, session, check.id, "结果汇总", "qian", {"summary": "抽查 2 家，1 家合格，1 家提请撤销审查"})
        check = cases.get_case(session, check.id)
        assert check.status == "completed" and check.meta["stage"] == "已完成"


def test_a_draw_short_of_named_firms_goes_back_to_the_form_with_nothing_sent(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        two_named_one_rectifying(engine, session, clock)
        clock.move_to(at("2026-03-02T09:00"))
        drawn_before = len(session.scalars(select(RandomDraw.id)).all())
        check = spot_check(engine, session, {**ORGANISE, "sample_count": 3})
        assert names(session, check.id) == ["组织年度抽查"] and check.meta["drawn_count"] == 0
        assert "draw.short_pool" in case_data(engine, session, check)["draw_message"]
        assert len(session.scalars(select(RandomDraw.id)).all()) == drawn_before
        assert session.scalars(select(CaseMessage.id).where(CaseMessage.name == "年度抽查")).all() == []
        do(engine, session, check.id, "组织年度抽查", "qian", {"year": 2026, "sample_percent": 50, "max_per_inspector": 1})
        check = cases.get_case(session, check.id)
        assert check.meta["drawn_count"] == 1 and check.meta["stage"] == "抽查中"   # half of 2 named firms
        sweep(engine, session)
        drawn = session.get(RandomDraw, check.meta["sample_draw_id"]).result["chosen"]
        assert [f for f in NAMED if names(session, application(session, f).id) == ["年度抽查评分"]] == drawn


def test_the_organiser_may_end_the_wait_for_results_from_the_case_page(engine, session, firms):
    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        two_named_one_rectifying(engine, session, clock)
        clock.move_to(at("2026-03-02T09:00"))
        check = spot_check(engine, session)
        sweep(engine, session)
        clock.move_to(at("2026-03-03T10:00"))
        checked(engine, session, "F-0001", 90)
        sweep(engine, session)
        check = cases.get_case(session, check.id)
        assert check.meta["reported_count"] == 1 and names(session, check.id) == []
        organiser, firm = people.user_by_name(session, "qian"), people.user_by_name(session, "mingde")
        waiting = waiting_messages(engine, session, check.id)
        assert [a["name"] for a in message_actions(engine, session, check, organiser, waiting)] == ["抽查结果"]
        assert message_actions(engine, session, check, firm, waiting) == []
        send_action(engine, session, check, organiser, "抽查结果", "F-0002 已注销，结束等待")
        check = cases.get_case(session, check.id)
        assert names(session, check.id) == ["结果汇总"]
        assert (check.meta["reported_count"], check.meta["failed_count"]) == (1, 0)
        assert case_data(engine, session, check)["closed_early"] is True


def test_a_sanction_during_the_spot_check_still_opens_the_revocation_review(engine, session, firms):
    """The grounds for revocation are caught while the firm is being spot-checked too, not only while it waits."""
    from .law_firm_steps import penalised

    with time_machine.travel(at("2025-10-13T09:00"), tick=True) as clock:
        two_named_one_rectifying(engine, session, clock)
        clock.move_to(at("2026-03-02T09:00"))
        spot_check(engine, session)
        sweep(engine, session)
        assert names(session, application(session, "F-0001").id) == ["年度抽查评分"]
        penalised(engine, session, clock, "L-0009")          # a lawyer of F-0001, penalised mid-check
        sweep(engine, session)
        case = application(session, "F-0001")
        assert names(session, case.id) == ["撤销审查"]          # the on-site check gives way to the review
        assert case_data(engine, session, case)["revocation_ground"] == "有效期内受到行政处罚或公开谴责以上行业处分"
