"""The complaint procedure's investigation: suspension and resumption, extension, withdrawal, the report."""
from __future__ import annotations

import pytest
import time_machine

from engine.core import people
from engine.core.errors import DataValidationError
from engine.records import history
from engine.runtime import cases, fire_due_timers

from .complaint_steps import accept, at, do, document_text, ready, task_named

FINDINGS = {"investigators": ["陈刚", "林涛"], "explanation_received": True,
            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}


def test_suspension_and_resumption_restore_the_remaining_time(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = accept(engine, session)
        clock.move_to(at("2025-10-26T10:00"))
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "next_step": "suspend",
                                                        "suspension_ground": "pending_other_case"})
        do(engine, session, case.id, "中止审批", "zhou", {"approved": True, "approval_opinion": "同意中止"})
        text = document_text(session, case.id, "中止通知书")
        assert "须以其他案件的审理结果为依据" in text and "2025年10月26日" in text
        clock.move_to(at("2025-11-15T10:00"))                               # 20 days later
        do(engine, session, case.id, "恢复办理", "chen", {"resume_reason": "关联民事案件已审结"})
        investigate = task_named(session, case.id, "调查核实")
        assert investigate.due_at == at("2026-01-05T00:00")                 # 12-15 + 20 days: the end of 01-04
        assert "2026年1月4日" in document_text(session, case.id, "恢复通知书")


def test_suspension_needs_a_ground_and_the_chiefs_approval(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        case = accept(engine, session)
        task = task_named(session, case.id, "调查核实")
        with pytest.raises(DataValidationError) as err:
            cases.complete_task(engine, session, task.id, {**FINDINGS, "next_step": "suspend"},
                                user=people.user_by_name(session, "chen"))
        assert [(e.field, e.rule) for e in err.value.errors] == [("suspension_ground", "required")]
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "next_step": "suspend",
                                                        "suspension_ground": "force_majeure"})
        do(engine, session, case.id, "中止审批", "zhou", {"approved": False, "approval_opinion": "理由不充分"})
        assert task_named(session, case.id, "调查核实").due_at == at("2025-12-16T00:00")


def test_extension_adds_thirty_days_once(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "next_step": "extend",
                                                        "extension_reason": "案情复杂，需异地调取证据"})
        do(engine, session, case.id, "延期审批", "dora", {"approved": True, "approval_opinion": "同意延期 30 日"})
        assert task_named(session, case.id, "调查核实").due_at == at("2026-01-15T00:00")   # 12-15 + 30: Wed 01-14
        assert "2026年1月14日" in document_text(session, case.id, "延期告知书")
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "next_step": "extend", "extension_reason": "仍需时间"})
        assert [t.name for t in ready(session, case.id)] == ["调查核实"]                 # no second extension
        assert cases.get_case(session, case.id).meta["extension_count"] == 1


def test_withdrawal_ends_the_case_unless_the_bureau_continues(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        kept = accept(engine, session)
        cases.send_message(engine, session, kept.id, "withdraw", {"reason": "已与律师和解"}, actor="xu")
        do(engine, session, kept.id, "撤回投诉审查", "zhou", {"continue_ex_officio": True,
                                                            "withdrawal_opinion": "发现违规收费线索，依职权继续调查"})
        assert [t.name for t in ready(session, kept.id)] == ["调查核实"]
        ended = accept(engine, session)
        cases.send_message(engine, session, ended.id, "withdraw", {"reason": "不再投诉"}, actor="xu")
        do(engine, session, ended.id, "撤回投诉审查", "zhou", {"continue_ex_officio": False, "withdrawal_opinion": "同意撤回"})
        assert cases.get_case(session, ended.id).status == "completed"
        assert history.case_path(session, ended.id)[-1].element_id == "End_withdrawn"


def test_investigation_report(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "next_step": "report"})
        text = document_text(session, case.id, "调查报告")
        assert "陈刚、林涛" in text and "确未按约出庭" in text and "王某某律师" in text
        assert [t.name for t in ready(session, case.id)] == ["处理意见"]


def test_no_violation_is_replied_served_and_archived(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "findings": "经调取庭审记录，律师均按约出庭。",
                                                        "next_step": "report"})
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "no_violation", "outcome_reason": "投诉反映的问题查证不实",
                                                        "legal_basis": "《律师执业管理办法》第五十条"})
        approval = task_named(session, case.id, "处理决定审批")
        assert [u.username for u in people.candidates(session, approval)] == ["dora"]
        clock.move_to(at("2025-11-20T10:00"))                                    # Thursday
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        reply = task_named(session, case.id, "答复送达")
        assert reply.due_at == at("2025-11-26T00:00")                            # 11-21, 24, 25 → the end of 11-25
        text = document_text(session, case.id, "答复书")
        for expected in ("查证不实或无法查实，不予处理", "按约出庭", "60日内依法申请行政复议", "六个月内依法提起行政诉讼"):
            assert expected in text
        clock.move_to(at("2025-11-21T10:00"))                                   # served the next day
        do(engine, session, case.id, "答复送达", "chen", {"service_method": "post", "served_on": "2025-11-21",
                                                        "service_proof": "EMS1234567890", "respondent_notified": True})
        receipt = document_text(session, case.id, "送达回证")
        assert "邮寄送达" in receipt and "EMS1234567890" in receipt and "2025年11月21日" in receipt and "chen" in receipt
        do(engine, session, case.id, "归档", "chen", {"archive_no": "2025-TS-0001"})
        case = cases.get_case(session, case.id)
        assert case.status == "completed" and case.meta["outcome"] == "no_violation"
        assert history.case_path(session, case.id)[-1].element_id == "End_archived"


def test_order_to_correct_is_followed_up_after_the_rectification_period(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "next_step": "report"})
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "order_correct", "outcome_reason": "未按约出庭，违反执业规范",
                                                        "legal_basis": "《律师执业管理办法》第五十条", "rectification_period": 1})
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": False, "approval_opinion": "请补充依据"})
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "order_correct", "outcome_reason": "未按约出庭，违反执业规范",
                                                        "legal_basis": "《律师法》第五十二条、《律师执业管理办法》第五十条",
                                                        "rectification_period": 1})
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        assert "自限期整改通知书送达之日起1个月内改正" in document_text(session, case.id, "答复书")     # the month runs from service
        do(engine, session, case.id, "答复送达", "chen", {"service_method": "direct", "served_on": "2025-10-16",
                                                        "service_proof": "刘某签收"})
        do(engine, session, case.id, "送达限期整改通知书", "chen", {            # issue 19: the month runs from service
            "rectification_service_method": "direct", "rectification_served_on": "2025-10-16",
            "rectification_service_proof": "王某某签收"})
        assert [t.name for t in ready(session, case.id)] == []          # nothing to follow up while the period runs
        clock.move_to(at("2025-11-17T23:59"))                             # a month: 11-16, a Sunday, rolls to 11-17
        fire_due_timers(engine, session)
        assert [t.name for t in ready(session, case.id)] == []
        clock.move_to(at("2025-11-18T00:01"))                             # the period (to the end of 11-17) is over
        fire_due_timers(engine, session)
        followup = task_named(session, case.id, "整改跟踪")
        assert followup.due_at == at("2025-11-25T00:00")                  # 5 working days: 11-18 … 11-24
        do(engine, session, case.id, "整改跟踪", "chen", {"rectified": True, "followup_note": "已退还部分代理费，投诉人表示满意"})
        do(engine, session, case.id, "报送整改情况", "chen", {"rectification_reported_on": "2025-11-16",
                                                          "rectification_report_method": "document"})
        assert [t.name for t in ready(session, case.id)] == ["归档"]


def test_suspected_crime_is_referred_to_the_judicial_organs(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "findings": "律师伪造当事人签名提交法院。",
                                                        "next_step": "report"})
        with pytest.raises(DataValidationError) as err:
            cases.complete_task(engine, session, task_named(session, case.id, "处理意见").id,
                                {"outcome": "judicial_referral", "outcome_reason": "涉嫌伪造证据", "legal_basis": "第四十二条"},
                                user=people.user_by_name(session, "chen"))
        assert [e.field for e in err.value.errors] == ["referral_org"]
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "judicial_referral", "outcome_reason": "涉嫌伪造证据",
                                                        "legal_basis": "《律师和律师事务所违法行为处罚办法》第四十二条",
                                                        "referral_org": "示范市公安局"})
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意移送"})
        letter = document_text(session, case.id, "移送函")
        assert "示范市公安局" in letter and "伪造当事人签名" in letter
        assert "已移送示范市公安局依法处理" in document_text(session, case.id, "答复书")
        assert [t.name for t in ready(session, case.id)] == ["答复送达"]


def test_overdue_investigation_goes_to_the_section_chief_then_the_leader(engine, session, complaint_setup):
    from datetime import timedelta

    from engine.records import notifications
    from engine.runtime.timers import fire_due_timers

    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = accept(engine, session)
        deadline = task_named(session, case.id, "调查核实").due_at
        assert deadline == at("2025-12-16T00:00")                    # 60 days: the end of Monday 12-15
        second = timedelta(seconds=1)
        clock.move_to(engine.calendar.add_working_days(deadline, -5) + second)
        fire_due_timers(engine, session)
        chen = people.user_by_name(session, "chen")
        assert "临期提醒：〔2025〕投诉第0001号 投诉调查" in [n.title for n in notifications.unread(session, chen.id)]
        assert not [t for t in ready(session, case.id) if t.name.startswith("督办")]
        clock.move_to(deadline + second)
        fire_due_timers(engine, session)
        chief = task_named(session, case.id, "督办（办理逾期）")
        assert [u.username for u in people.candidates(session, chief)] == ["zhou"]
        clock.move_to(engine.calendar.add_working_days(deadline, 3) + second)
        fire_due_timers(engine, session)
        leader = task_named(session, case.id, "领导督办（办理逾期）")
        assert [u.username for u in people.candidates(session, leader)] == ["dora"]
        assert task_named(session, case.id, "调查核实") is not None           # the investigation itself goes on
