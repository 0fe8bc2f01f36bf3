"""Issue 19, "clocks": limits start from the date the law counts from (收到之日), registration is due the day of
receipt, the 60-day limit runs to the 处理决定, a suspension is watched, and terminated or withdrawn cases get a
written answer."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from engine.core import people
from engine.core.errors import DataValidationError
from engine.records import history, notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import worklists

from .complaint_steps import (
    REGISTRATION, accept, at, do, document_text, investigated, ready, register, review, suspended, task_named, user,
)
from .test_complaint_intake import transfer

SECOND = timedelta(seconds=1)


def candidates(session, case_id, name):
    return [u.username for u in people.candidates(session, task_named(session, case_id, name))]


def test_a_letter_registered_four_days_after_receipt_is_due_ten_working_days_after_receipt(
        engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-17T09:00"), tick=False):                  # Friday; received Monday 10-13
        case = register(engine, session, received_on="2025-10-13")
        assert task_named(session, case.id, "初审").due_at == at("2025-10-28T00:00")      # 14 … 27, not 20 … 31
        do(engine, session, case.id, "初审", "chen", review("accept"))
        assert task_named(session, case.id, "受理审查决定").due_at == at("2025-10-28T00:00")
        with pytest.raises(DataValidationError) as refused:                          # a receipt after today
            register(engine, session, received_on="2025-10-20")
        assert [e.field for e in refused.value.errors] == ["received_on"]


def test_a_transfer_is_due_ten_working_days_after_the_receiving_body_received_it(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("not_accept", has_jurisdiction=False))
        transfer(engine, session, case.id, "zhou", "county-b")
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
        clock.move_to(at("2025-10-17T10:00"))                                        # registered on Friday
        do(engine, session, case.id, "接收转办", "b_intake", {"transfer_received_on": "2025-10-15"})
        assert task_named(session, case.id, "初审").due_at == at("2025-10-30T00:00")      # 16 … 29 from the receipt
        assert cases.get_case(session, case.id).meta["transfer_days_total"] == 2


def test_the_review_clock_resumes_from_the_day_the_supplement_was_received(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        clock.move_to(at("2025-10-15T10:00"))                                        # 8 working days left
        do(engine, session, case.id, "初审", "chen", review("supplement", supplement_items="付款凭证"))
        clock.move_to(at("2025-10-22T11:00"))                                        # recorded on Wednesday
        do(engine, session, case.id, "收到补正材料", "xu",
           {"supplement_received_on": "2025-10-20", "supplement_summary": "已提交付款凭证"})
        assert task_named(session, case.id, "初审").due_at == at("2025-10-31T00:00")      # 21 … 30, not 23 … 11-03


def test_registration_is_due_the_day_of_receipt_and_a_backlog_is_supervised(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-a", actor="xu")
        registration = task_named(session, case.id, "投诉登记")
        assert registration.due_at == at("2025-10-14T00:00")                          # the end of the day
        clock.move_to(at("2025-10-14T00:00") + SECOND)
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "督办（登记逾期）") == ["zhou"]
        overdue = {t.id for view in ("mine", "group") for t in worklists.inbox(
            session, user(session, "xu"), view, due="overdue", now=at("2025-10-14T00:00") + SECOND)}
        assert registration.id in overdue
        do(engine, session, case.id, "投诉登记", "xu", REGISTRATION)
        assert task_named(session, case.id, "初审").due_at == at("2025-10-28T00:00")
    with time_machine.travel(at("2025-10-18T10:00"), tick=False):                   # an online complaint on Saturday
        online = cases.start_case(engine, session, "lawyer_complaint", {"received_on": "2025-10-18"},
                                  org_code="county-a", actor="xu")
        assert task_named(session, online.id, "投诉登记").due_at == at("2025-10-21T00:00")   # rolls to Monday 10-20


def test_a_decision_step_that_runs_past_day_sixty_is_reminded_supervised_and_escalated(
        engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = investigated(engine, session)
        deadline = at("2025-12-16T00:00")                                             # 60 days: the end of 12-15
        assert task_named(session, case.id, "处理意见").due_at == deadline
        clock.move_to(engine.calendar.add_working_days(deadline, -5) + SECOND)
        fire_due_timers(engine, session)
        assert "临期提醒：〔2025〕投诉第0001号 处理意见" in [
            n.title for n in notifications.unread(session, user(session, "chen").id)]
        clock.move_to(deadline + SECOND)
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "督办（办理逾期）") == ["zhou"]
        clock.move_to(engine.calendar.add_working_days(deadline, 3) + SECOND)
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "领导督办（办理逾期）") == ["dora"]
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "no_violation", "outcome_reason": "投诉反映的问题查证不实",
                                                        "legal_basis": "《律师执业管理办法》第五十条"})
        approval = task_named(session, case.id, "处理决定审批")
        assert approval.due_at == deadline                                            # the same limit, already past
        fire_due_timers(engine, session)
        assert sorted(t.name for t in ready(session, case.id)).count("领导督办（办理逾期）") == 2


def test_the_lead_leaders_task_is_due_within_the_handling_limit(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        case = register(engine, session, channel="higher_authority", referral_org="示范市司法局")
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou",
           {"decision": "accepted", "decision_reason": "上级交办", "possible_severe_penalty": True})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        assert task_named(session, case.id, "领导包案").due_at == at("2025-12-16T00:00")   # 60 days from acceptance


def test_a_suspended_case_past_sixty_days_can_be_terminated_with_a_notice_to_the_complainant(
        engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        clock.move_to(at("2025-10-26T10:00"))
        case = suspended(engine, session)
        text = document_text(session, case.id, "中止通知书（被投诉人）")
        for expected in ("王某某律师：", "刘某投诉你（单位）一案", "须以其他案件的审理结果为依据", "2025年10月26日"):
            assert expected in text
        clock.move_to(at("2025-12-25T10:00"))                                        # 60 days: the end of 12-25
        assert fire_due_timers(engine, session) == 0
        assert [t.name for t in ready(session, case.id)] == ["恢复办理"]
        clock.move_to(at("2025-12-26T00:00") + SECOND)
        fire_due_timers(engine, session)
        assert [t.name for t in ready(session, case.id)] == ["中止期满审查"]
        assert candidates(session, case.id, "中止期满审查") == ["chen"]
        with pytest.raises(DataValidationError) as refused:
            do(engine, session, case.id, "中止期满审查", "chen", {"suspension_review": "resume",
                                                              "suspension_review_opinion": "原因已消除"})
        assert [(e.field, e.rule) for e in refused.value.errors] == [("resume_reason", "required")]
        do(engine, session, case.id, "中止期满审查", "chen", {"suspension_review": "terminate",
                                                          "suspension_review_opinion": "关联案件仍未审结"})
        assert cases.get_case(session, case.id).meta.get("next_step") == "suspend"
        do(engine, session, case.id, "终止审批", "zhou", {"approved": True, "approval_opinion": "同意终止"})
        assert cases.get_case(session, case.id).status == "completed"
        assert history.case_path(session, case.id)[-1].element_id == "End_terminated"
        text = document_text(session, case.id, "终止告知书")
        for expected in ("A区司法局", "〔2025〕投诉第0001号", "刘某：", "王某某律师", "2025年10月13日",
                         "中止满60日，中止原因仍未消除", "2025年12月26日", "2025年10月26日", "行政复议"):
            assert expected in text


def test_a_refused_termination_keeps_the_case_suspended_and_resuming_stays_possible(
        engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-26T10:00"), tick=False) as clock:
        case = suspended(engine, session)
        clock.move_to(at("2025-12-26T09:00"))
        fire_due_timers(engine, session)
        do(engine, session, case.id, "中止期满审查", "chen", {"suspension_review": "terminate",
                                                          "suspension_review_opinion": "关联案件仍未审结"})
        do(engine, session, case.id, "终止审批", "zhou", {"approved": False, "approval_opinion": "关联案件即将审结"})
        assert [t.name for t in ready(session, case.id)] == ["恢复办理"]                # still suspended, watched anew
        clock.move_to(at("2026-01-05T10:00"))
        do(engine, session, case.id, "恢复办理", "chen", {"resume_reason": "关联民事案件已审结"})
        investigate = task_named(session, case.id, "调查核实")
        assert investigate.due_at == at("2026-03-07T00:00")           # 60 days left from 01-05: the end of 03-06
        text = document_text(session, case.id, "恢复通知书（被投诉人）")
        for expected in ("王某某律师：", "关联民事案件已审结", "2026年1月5日", "2026年3月6日"):
            assert expected in text


def test_the_expiry_review_can_resume_the_case(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-26T10:00"), tick=False) as clock:
        case = suspended(engine, session)
        clock.move_to(at("2025-12-26T09:00"))
        fire_due_timers(engine, session)
        do(engine, session, case.id, "中止期满审查", "chen", {"suspension_review": "resume", "resume_reason": "鉴定意见已出具",
                                                          "suspension_review_opinion": "恢复办理"})
        assert task_named(session, case.id, "调查核实").due_at == at("2026-02-25T00:00")   # 12-26 + 60 = Tue 02-24
        assert "鉴定意见已出具" in document_text(session, case.id, "恢复通知书（被投诉人）")
        assert "鉴定意见已出具" in document_text(session, case.id, "恢复通知书")


def test_a_withdrawn_case_ends_with_a_written_confirmation(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = accept(engine, session)
        clock.move_to(at("2025-10-20T10:00"))
        cases.send_message(engine, session, case.id, "withdraw", {"reason": "已与律师和解"}, actor="xu")
        assert task_named(session, case.id, "撤回投诉审查").due_at == at("2025-12-16T00:00")
        do(engine, session, case.id, "撤回投诉审查", "zhou", {"continue_ex_officio": False, "withdrawal_opinion": "同意撤回"})
        assert cases.get_case(session, case.id).status == "completed"
        assert history.case_path(session, case.id)[-1].element_id == "End_withdrawn"
        text = document_text(session, case.id, "准予撤回告知书")
        for expected in ("准予撤回", "刘某：", "王某某律师", "2025年10月13日", "2025年10月20日", "已与律师和解", "同意撤回"):
            assert expected in text


def test_a_case_terminated_while_investigated_gets_the_termination_notice(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = accept(engine, session)
        clock.move_to(at("2025-11-03T10:00"))
        do(engine, session, case.id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "findings": "双方已达成和解协议。",
                                                        "next_step": "terminate", "termination_ground": "settled"})
        do(engine, session, case.id, "终止审批", "zhou", {"approved": True, "approval_opinion": "同意终止"})
        assert history.case_path(session, case.id)[-1].element_id == "End_terminated"
        text = document_text(session, case.id, "终止告知书")
        for expected in ("刘某：", "王某某律师", "双方已经和解", "2025年11月3日", "2025年10月16日"):
            assert expected in text
        assert "中止办理。" not in text
