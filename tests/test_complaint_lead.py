"""领导包案 in full (§2.3.3): the triggers of major_case.dmn, the 五定 plan with milestones, the weekly progress
report and the timer on the plan's target date while the case runs under 包案 (from the plan to the reply)."""
from __future__ import annotations

import json
from uuid import UUID

import pytest
import time_machine

from engine.core import people
from engine.core.errors import CaseFailed, DataValidationError
from engine.definitions import bundles, limit_tables
from engine.records import directory, history, notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers

from .complaint_steps import (
    EXPLANATION, LEAD_PLAN, accept_to_lead, at, do, ready, register, replied, task_named, user,
)
from .conftest import ROOT, bundle_with
from .helpers import zh


def _major_reasons(engine, session, case_id):
    lead = task_named(session, case_id, "领导包案")
    workflow = engine.load_workflow(session, cases.get_case(session, case_id))
    return workflow.get_task_from_id(UUID(lead.task_uuid)).data["major_reasons"]


@pytest.fixture
def registry(session, complaint_setup):
    """A firm head and a partner of 示范律师事务所, marked in the respondent registry."""
    directory.add_entry(session, "respondent", "L-0002", "赵主任律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001", "position": "firm_head"})
    directory.add_entry(session, "respondent", "L-0003", "钱合伙人律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001", "position": "partner"})
    session.commit()


@pytest.mark.parametrize("changes, reason", [
    ({"respondent_id": "L-0002"}, "被投诉人为律师事务所负责人"),
    ({"respondent_id": "L-0003"}, "被投诉人为律师事务所合伙人"),
    ({"amount_involved": 150000}, "涉案金额 10 万元以上"),
    ({"channel": "npc_cppcc", "referral_org": "市人大代表张某"}, "人大代表、政协委员转交"),
], ids=["firm_head", "partner", "amount", "npc_cppcc"])
def test_each_new_trigger_makes_the_case_major(engine, session, registry, changes, reason):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = accept_to_lead(engine, session, **changes)
        assert _major_reasons(engine, session, case.id) == [reason]
        assert cases.get_case(session, case.id).meta["is_major"] is True


def test_an_amount_below_the_threshold_is_not_major(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = accept_to_lead(engine, session, amount_involved=99999.5)
        assert cases.get_case(session, case.id).meta["is_major"] is False
        assert [t.name for t in ready(session, case.id)] == ["被投诉人书面说明"]


def test_the_third_complaint_on_one_matter_is_major_whoever_files_it(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        first = register(engine, session)
        second = register(engine, session, complainant_name="孙某", complainant_phone="13800000002")
        assert cases.get_case(session, second.id).meta["matter_repeat_count"] == 1
        assert cases.get_case(session, second.id).meta["repeat_count"] == 0          # another complainant
        other = register(engine, session, requests="要求律师书面道歉")                  # another matter
        assert cases.get_case(session, other.id).meta["matter_repeat_count"] == 0
        third = accept_to_lead(engine, session, complainant_name="周某", complainant_phone="13800000003")
        meta = cases.get_case(session, third.id).meta
        assert meta["matter_repeat_count"] == 2 and meta["repeat_count"] == 0
        assert meta["matter_key"] == cases.get_case(session, first.id).meta["matter_key"]
        assert _major_reasons(engine, session, third.id) == ["同一事项第三次以上投诉（按事项计）"]


def test_the_lead_plan_needs_the_five_fixes_and_its_milestones(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = accept_to_lead(engine, session, respondent_id="L-0002")
        task = task_named(session, case.id, "领导包案")
        bad = {**LEAD_PLAN, "lead_milestones": [{"milestone": "完成调查取证", "milestone_due": "2025-10-01"}]}
        del bad["lead_responsibility"]
        with pytest.raises(DataValidationError) as err:
            cases.complete_task(engine, session, task.id, bad, user=user(session, "dora"))
        assert {e.field for e in err.value.errors} == {"lead_responsibility", "lead_milestones.0.milestone_due"}
        with pytest.raises(DataValidationError) as err:
            cases.complete_task(engine, session, task.id, {**LEAD_PLAN, "lead_milestones": []}, user=user(session, "dora"))
        assert [e.field for e in err.value.errors] == ["lead_milestones"]
        do(engine, session, case.id, "领导包案", "dora", LEAD_PLAN)
        meta = cases.get_case(session, case.id).meta
        assert meta["lead_leader"] == "dora" and meta["lead_target_date"] == "2025-12-31"


def _led_and_investigating(engine, session, **plan):
    case = accept_to_lead(engine, session, respondent_id="L-0002")
    do(engine, session, case.id, "领导包案", "dora", {**LEAD_PLAN, **plan})
    do(engine, session, case.id, "被投诉人书面说明", "chen", {**EXPLANATION, "explanation_received_on": "2025-10-13"})
    return case


def _names(session, case_id):
    return sorted(t.name for t in ready(session, case_id))


def _lead_timers(engine, session, case_id):
    """The 包案 timers the case waits on."""
    workflow = engine.load_workflow(session, cases.get_case(session, case_id))
    return sorted(e.name for e in workflow.waiting_events() if e.event_type.endswith("TimerEventDefinition")
                  and e.name in ("包案进展报告", "计划化解日期届满"))


def _week(engine, session, clock, when):
    clock.move_to(at(when))
    fire_due_timers(engine, session)


REPORT = {"progress_summary": "已调取代理合同和庭审记录", "milestones_on_track": True}
FOUND = {"investigators": ["陈刚", "林涛"], "explanation_received": True,
         "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。", "next_step": "report"}
PROPOSED = {"outcome": "criticism", "outcome_reason": "未按约出庭，违反执业规范", "legal_basis": "《律师执业管理办法》第五十条"}


def test_the_weekly_progress_report_recurs_while_the_case_runs_and_stops_when_the_reply_is_served(
        engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = _led_and_investigating(engine, session)
        assert _names(session, case.id) == ["调查核实"]
        _week(engine, session, clock, "2025-10-20T09:00:01")            # 7 days after the plan was signed
        report = task_named(session, case.id, "包案进展报告")
        assert [u.username for u in people.candidates(session, report)] == ["chen"]   # the caseworker of 调查核实
        do(engine, session, case.id, "包案进展报告", "chen", REPORT)
        do(engine, session, case.id, "调查核实", "chen", FOUND)
        assert _names(session, case.id) == ["处理意见"]
        _week(engine, session, clock, "2025-10-27T09:00:01")            # at 处理意见
        assert _names(session, case.id) == ["包案进展报告", "处理意见"]
        do(engine, session, case.id, "包案进展报告", "chen", REPORT)
        do(engine, session, case.id, "处理意见", "chen", PROPOSED)
        _week(engine, session, clock, "2025-11-03T09:00:01")            # at 处理决定审批
        assert _names(session, case.id) == ["包案进展报告", "处理决定审批"]
        assert cases.get_case(session, case.id).meta["outcome"] == "criticism"
        do(engine, session, case.id, "包案进展报告", "chen", REPORT)
        clock.move_to(at("2025-11-07T09:00"))                          # the reply is due 3 working days after
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        _week(engine, session, clock, "2025-11-10T09:00:01")            # at 答复送达
        assert _names(session, case.id) == ["包案进展报告", "答复送达"]
        assert _lead_timers(engine, session, case.id) == ["包案进展报告", "计划化解日期届满"]
        do(engine, session, case.id, "答复送达", "chen", {"service_method": "post", "served_on": "2025-11-10",
                                                        "service_proof": "EMS1234567890", "respondent_notified": True})
        assert _names(session, case.id) == ["归档"]                     # the open report closes with 包案
        assert _lead_timers(engine, session, case.id) == []
        _week(engine, session, clock, "2026-01-05T09:00:01")            # past the target date too
        assert _names(session, case.id) == ["归档"]
        do(engine, session, case.id, "归档", "chen", {"archive_no": "2025-投-001"})
        assert cases.get_case(session, case.id).status == "completed"


def test_the_weekly_progress_report_comes_while_suspended_and_ends_with_the_termination(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = _led_and_investigating(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {
            "investigators": ["陈刚", "林涛"], "explanation_received": True,
            "findings": "关联民事案件尚未审结，投诉事实有赖该案认定。", "next_step": "suspend",
            "suspension_ground": "pending_other_case"})
        _week(engine, session, clock, "2025-10-20T09:00:01")            # at 中止审批
        assert _names(session, case.id) == ["中止审批", "包案进展报告"]
        do(engine, session, case.id, "包案进展报告", "chen", REPORT)
        do(engine, session, case.id, "中止审批", "zhou", {"approved": True, "approval_opinion": "同意中止"})
        assert cases.get_case(session, case.id).meta["suspended"] is True
        _week(engine, session, clock, "2025-10-27T09:00:01")            # suspended, at 恢复办理
        assert _names(session, case.id) == ["包案进展报告", "恢复办理"]
        do(engine, session, case.id, "包案进展报告", "chen", REPORT)
        clock.move_to(at("2025-12-20T09:00:01"))                        # 60 days after the suspension
        fire_due_timers(engine, session)
        assert "中止期满审查" in _names(session, case.id) and "包案进展报告" in _names(session, case.id)
        do(engine, session, case.id, "中止期满审查", "chen", {"suspension_review": "terminate",
                                                          "suspension_review_opinion": "关联案件仍未审结"})
        do(engine, session, case.id, "终止审批", "zhou", {"approved": True, "approval_opinion": "同意终止"})
        assert _names(session, case.id) == []                           # the open report closes with the case
        assert cases.get_case(session, case.id).status == "completed"
        assert _lead_timers(engine, session, case.id) == []


def test_a_withdrawal_ends_the_lead_timers_with_the_case(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = _led_and_investigating(engine, session)
        cases.send_message(engine, session, case.id, "withdraw", {"reason": "已与律师和解"}, actor="xu")
        assert _names(session, case.id) == ["撤回投诉审查"]
        _week(engine, session, clock, "2025-10-20T09:00:01")
        assert _names(session, case.id) == ["包案进展报告", "撤回投诉审查"]
        do(engine, session, case.id, "撤回投诉审查", "zhou", {"continue_ex_officio": False, "withdrawal_opinion": "同意撤回"})
        assert cases.get_case(session, case.id).status == "completed"
        assert _names(session, case.id) == [] and _lead_timers(engine, session, case.id) == []


def test_an_ordinary_case_gets_no_weekly_report(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = accept_to_lead(engine, session)
        do(engine, session, case.id, "被投诉人书面说明", "chen", {**EXPLANATION, "explanation_received_on": "2025-10-13"})
        clock.move_to(at("2025-11-05T09:00"))
        fire_due_timers(engine, session)
        assert _names(session, case.id) == ["调查核实"]
        do(engine, session, case.id, "调查核实", "chen", FOUND)
        _week(engine, session, clock, "2025-11-20T09:00")
        assert _names(session, case.id) == ["处理意见"]
        assert _lead_timers(engine, session, case.id) == []


def test_an_ordinary_case_passes_the_end_of_lead_signal_with_nothing_logged(engine, session, registry):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = replied(engine, session, clock)
        assert "Throw_lead_closed" in [step.element_id for step in history.case_path(session, case.id)]
        assert [e.detail for e in history.case_history(session, case.id) if e.action == "message_thrown"] == []
        assert _names(session, case.id) == ["归档"]


def test_the_target_date_timer_alerts_the_lead_leader_while_the_decision_is_pending(engine, session, registry):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = _led_and_investigating(engine, session, lead_target_date="2025-10-22",
                                      lead_milestones=[{"milestone": "完成调查取证", "milestone_due": "2025-10-20"}])
        do(engine, session, case.id, "调查核实", "chen", FOUND)
        assert _names(session, case.id) == ["处理意见"]
        clock.move_to(at("2025-10-22T23:59"))
        fire_due_timers(engine, session)
        assert "包案督办（计划化解日期届满）" not in _names(session, case.id)
        clock.move_to(at("2025-10-23T00:00:01"))                  # the end of the target day
        fire_due_timers(engine, session)
        assert "处理意见" in _names(session, case.id)
        supervise = task_named(session, case.id, "包案督办（计划化解日期届满）")
        assert [u.username for u in people.candidates(session, supervise)] == ["dora"]
        [note] = [n for n in notifications.unread(session, user(session, "dora").id) if n.kind == "reminder"]
        assert note.title == f"包案逾期：{case.business_number}" and "2025-10-22" in note.body


def _with_lead_weekly(engine, session, value: int, unit: str) -> None:
    """A new version of the bundle whose limits table gives the progress report another period."""
    table = json.loads((ROOT / "forms/complaint/limits.json").read_text(encoding="utf-8"))
    row = next(r for r in table["limits"] if r["name"] == "lead_weekly")
    row.update(value=value, unit=unit)
    bundles.deploy(session, bundle_with({"forms/complaint/limits.json": limit_tables.table_bytes(table)}), engine=engine)


def test_the_progress_report_follows_its_rows_unit_as_well_as_its_value(engine, session, registry):
    """One cell of the table, 7 days → 1 month: the report comes a month after the plan, not after one day."""
    _with_lead_weekly(engine, session, 1, "months")
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = _led_and_investigating(engine, session)
        _week(engine, session, clock, "2025-11-12T09:00:01")
        assert _names(session, case.id) == ["调查核实"]
        _week(engine, session, clock, "2025-11-13T09:00:01")            # a month after the plan was signed
        assert _names(session, case.id) == ["包案进展报告", "调查核实"]


def test_a_progress_report_in_working_days_is_refused_with_its_reason(engine, session, registry):
    _with_lead_weekly(engine, session, 5, "working_days")
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        with pytest.raises(CaseFailed) as failed:
            _led_and_investigating(engine, session)
    assert "lead_weekly 的单位是 working_days，不是固定时长" in zh(failed.value)
