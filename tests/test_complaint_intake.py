"""The complaint procedure, registration to the acceptance decision and notice: one scenario per route."""
from __future__ import annotations

from uuid import UUID

import pytest
import time_machine

from engine.core import people
from engine.core.errors import DataValidationError
from engine.records import history, notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers

from .complaint_steps import (
    EXPLANATION, REGISTRATION, at, do, document_text, ready, register, review, roundtrip, task_named, user,
)

def test_accepted_complaint_is_noticed_within_three_working_days(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:          # Monday
        case = register(engine, session)
        assert case.business_number == "〔2025〕投诉第0001号" and case.title == "刘某投诉王某某律师"
        assert case.meta["channel"] == "hotline_12345" and case.meta["repeat_count"] == 0
        preliminary = task_named(session, case.id, "初审")
        assert preliminary.due_at == at("2025-10-28T00:00")       # 10 working days: the end of 10-27
        assert [u.username for u in people.candidates(session, preliminary)] == ["chen"]
        clock.move_to(at("2025-10-15T10:00"))
        do(engine, session, case.id, "初审", "chen", review("accept"))
        decide = task_named(session, case.id, "受理审查决定")
        assert decide.due_at == at("2025-10-28T00:00") and [u.username for u in people.candidates(session, decide)] == ["zhou"]
        clock.move_to(at("2025-10-16T16:00"))                       # Thursday
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        notify = task_named(session, case.id, "告知投诉人")
        assert notify.due_at == at("2025-10-22T00:00")              # 10-17, 20, 21 → the end of 10-21
        text = document_text(session, case.id, "受理通知书")
        for expected in ("A区司法局", "〔2025〕投诉第0001号", "刘某", "王某某律师", "2025年10月13日", "予以受理"):
            assert expected in text
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        case = cases.get_case(session, case.id)
        assert case.status == "running" and case.meta["decision"] == "accepted"
        explanation = task_named(session, case.id, "被投诉人书面说明")
        assert explanation.due_at == at("2025-10-28T00:00")       # 7 working days from the notice: 17, 20 … 27
        do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
        investigate = task_named(session, case.id, "调查核实")
        assert investigate.due_at == at("2025-12-16T00:00")       # 60 days from acceptance on 10-16: the end of 12-15


def test_out_of_scope_complaint_is_not_accepted_with_a_notice(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = register(engine, session, facts="要求律师事务所返还借款两万元，属民间借贷纠纷。")
        do(engine, session, case.id, "初审", "chen", review("not_accept", in_scope=False))
        do(engine, session, case.id, "受理审查决定", "zhou", {
            "decision": "not_accepted", "decision_reason": "属于民事纠纷，不属于律师执业投诉受理范围",
            "other_channel": "向人民法院提起民事诉讼"})
        text = document_text(session, case.id, "不予受理（引导）告知书")
        assert "本机关决定不予受理" in text and "向人民法院提起民事诉讼" in text and "民事纠纷" in text
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "in_person", "notified_on": "2025-10-13"})
        assert history.case_path(session, case.id)[-1].element_id == "End_closed"


def test_supplement_pauses_the_review_clock(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        clock.move_to(at("2025-10-15T10:00"))           # 8 working days left after today: 16, 17, 20 … 27
        do(engine, session, case.id, "初审", "chen", review("supplement", supplement_items="委托代理合同复印件、付款凭证"))
        waiting = task_named(session, case.id, "收到补正材料")
        assert waiting.due_at == at("2025-10-31T00:00")          # 15 days for the complainant
        text = document_text(session, case.id, "补正通知书")
        assert "委托代理合同复印件、付款凭证" in text and "2025年10月30日" in text
        clock.move_to(at("2025-10-20T11:00"))          # supplement arrives on Monday: the clock resumes with 8 left
        do(engine, session, case.id, "收到补正材料", "xu",
           {"supplement_received_on": "2025-10-20", "supplement_summary": "已提交合同及付款凭证"})
        assert task_named(session, case.id, "初审").due_at == at("2025-10-31T00:00")   # 21 … 30: the end of 10-30
        do(engine, session, case.id, "初审", "chen", review("supplement", supplement_items="付款凭证原件"))  # only one: goes on
        assert task_named(session, case.id, "受理审查决定").due_at == at("2025-10-31T00:00")


def test_a_supplement_request_names_the_materials_and_a_transfer_its_receiver(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = register(engine, session)
        with pytest.raises(DataValidationError) as refused:
            do(engine, session, case.id, "初审", "chen", review("supplement"))
        assert [e.field for e in refused.value.errors] == ["supplement_items"]
        do(engine, session, case.id, "初审", "chen", review("accept"))
        with pytest.raises(DataValidationError) as refused:
            do(engine, session, case.id, "受理审查决定", "zhou",
               {"decision": "transferred", "decision_reason": "被投诉人执业机构所在地不在本辖区"})
        assert [e.field for e in refused.value.errors] == ["transfer_to"]
        assert cases.get_case(session, case.id).status == "running"
        assert task_named(session, case.id, "受理审查决定").status == "ready"


def test_supplement_not_received_in_time_ends_not_accepted(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("supplement", supplement_items="身份证明"))
        clock.move_to(at("2025-10-29T00:00:01"))
        assert fire_due_timers(engine, session) == 1
        notify = task_named(session, case.id, "告知投诉人")
        assert "投诉人逾期未补正材料" in document_text(session, case.id, "不予受理（引导）告知书")
        assert notify.due_at == at("2025-11-04T00:00")          # decided on Wed 10-29: 30, 31, 11-03


def test_repeat_complaint_without_new_facts_is_not_accepted(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        first = register(engine, session)
        second = register(engine, session)
        assert second.meta["repeat_count"] == 1
        data = engine.load_workflow(session, second).get_task_from_id(
            UUID(task_named(session, second.id, "初审").task_uuid)).data
        assert [e["number"] for e in data["earlier"]] == [first.business_number]
        do(engine, session, second.id, "初审", "chen", review("not_accept", repeat_without_new_facts=True))
        do(engine, session, second.id, "受理审查决定", "zhou",
           {"decision": "not_accepted", "decision_reason": "重复投诉且无新的事实和理由"})
        assert "重复投诉" in document_text(session, second.id, "不予受理（引导）告知书")


def test_overdue_review_goes_to_the_section_chief_then_the_leader(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        clock.move_to(at("2025-10-24T00:00:01"))                # 2 working days before the deadline
        fire_due_timers(engine, session)
        assert [n.title for n in notifications.unread(session, user(session, "chen").id)] == [
            "临期提醒：〔2025〕投诉第0001号 投诉审查"]
        clock.move_to(at("2025-10-28T00:00:01"))
        fire_due_timers(engine, session)
        assert [u.username for u in people.candidates(session, task_named(session, case.id, "督办（审查逾期）"))] == ["zhou"]
        clock.move_to(at("2025-10-30T00:00:01"))
        fire_due_timers(engine, session)
        assert [u.username for u in people.candidates(session, task_named(session, case.id, "领导督办（审查逾期）"))] == ["dora"]


def test_bad_registrations_are_refused_field_by_field(engine, session, complaint_setup):
    case = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-a", actor="xu")
    task = task_named(session, case.id, "投诉登记")
    bad = {**REGISTRATION, "respondent_id": "L-9999", "complainant_phone": "abc"}
    del bad["facts"]
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, task.id, bad, user=user(session, "xu"))
    assert {e.field for e in err.value.errors} == {"facts", "complainant_phone"}
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, task.id, {**REGISTRATION, "respondent_id": "L-9999"}, user=user(session, "xu"))
    assert [(e.field, e.rule) for e in err.value.errors] == [("respondent_id", "directory")]
    assert task_named(session, case.id, "投诉登记").id == task.id


def transfer(engine, session, case_id, chief, to):
    do(engine, session, case_id, "受理审查决定", chief,
       {"decision": "transferred", "decision_reason": "被投诉人执业机构所在地不在本辖区", "transfer_to": to})


def transferred(engine, session, to, receiver):
    """A complaint registered in county A, transferred to `to` and received there by `receiver`."""
    case = register(engine, session)
    do(engine, session, case.id, "初审", "chen", review("not_accept"))
    transfer(engine, session, case.id, "zhou", to)
    do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
    do(engine, session, case.id, "接收转办", receiver, {"transfer_received_on": "2025-10-13"})
    return case


def test_transfer_to_another_county_records_the_days_in_transfer(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("not_accept", has_jurisdiction=False))
        transfer(engine, session, case.id, "zhou", "county-b")
        text = document_text(session, case.id, "转办函")
        assert "B县司法局" in text and "代理合同约定出庭三次" in text and "此前转办次数：0" in text
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
        receive = task_named(session, case.id, "接收转办")
        assert [u.username for u in people.candidates(session, receive)] == ["b_intake"]
        assert cases.get_case(session, case.id).org.code == "county-b"
        clock.move_to(at("2025-10-15T10:00"))
        do(engine, session, case.id, "接收转办", "b_intake", {"transfer_received_on": "2025-10-15"})
        preliminary = task_named(session, case.id, "初审")
        assert [u.username for u in people.candidates(session, preliminary)] == ["b_worker"]
        assert preliminary.due_at == at("2025-10-30T00:00")        # 10 working days from receipt: 16 … 29
        case = cases.get_case(session, case.id)
        assert case.meta["transfer_count"] == 1 and case.meta["transfer_days_total"] == 2
        moved = [e.detail for e in history.case_history(session, case.id) if e.action == "case_org_changed"]
        assert moved == [{"from": "county-a", "to": "county-b"}]


def test_transfer_to_the_lawyers_association(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = transferred(engine, session, "city-bar", "bar_intake")
        assert [u.username for u in people.candidates(session, task_named(session, case.id, "初审"))] == ["bar_worker"]


def test_a_second_transfer_needs_the_leaders_approval(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = transferred(engine, session, "county-b", "b_intake")
        do(engine, session, case.id, "初审", "b_worker", review("not_accept", has_jurisdiction=False))
        transfer(engine, session, case.id, "b_chief", "county-a")
        approval = task_named(session, case.id, "再次转办审批")
        assert [u.username for u in people.candidates(session, approval)] == ["b_director"]
        do(engine, session, case.id, "再次转办审批", "b_director",
           {"transfer_approved": False, "approval_opinion": "本机关有管辖权，不得再次转办"})
        do(engine, session, case.id, "受理审查决定", "b_chief", {"decision": "accepted", "decision_reason": "依法受理"})
        assert "接收转办" not in [t.name for t in ready(session, case.id)]
        assert cases.get_case(session, case.id).org.code == "county-b"


def test_transfer_to_an_unknown_organisation_is_refused(engine, session, complaint_setup):
    case = register(engine, session)
    do(engine, session, case.id, "初审", "chen", review("not_accept"))
    with pytest.raises(DataValidationError) as err:
        transfer(engine, session, case.id, "zhou", "nowhere")
    assert [(e.field, e.rule) for e in err.value.errors] == [("transfer_to", "organization")]


def test_major_case_goes_to_a_leader_under_lead_responsibility(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = register(engine, session, channel="higher_authority", referral_org="示范市司法局", media_attention=True)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou",
           {"decision": "accepted", "decision_reason": "上级交办", "possible_severe_penalty": True})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
        lead = task_named(session, case.id, "领导包案")
        assert [u.username for u in people.candidates(session, lead)] == ["dora"]
        data = engine.load_workflow(session, cases.get_case(session, case.id)).get_task_from_id(UUID(lead.task_uuid)).data
        assert data["major_reasons"] == ["可能给予停止执业、停业整顿或吊销执业证书处罚", "引起媒体关注", "上级机关交办"]
        assert cases.get_case(session, case.id).meta["is_major"] is True
        do(engine, session, case.id, "领导包案", "dora", {"lead_plan": "成立专班，两周内完成调查", "lead_members": "陈刚、林涛",
                                                       "lead_target_date": "2025-12-31", "lead_responsibility": "陈刚负责调查",
                                                       "lead_milestones": [{"milestone": "完成调查", "milestone_due": "2025-11-15"}]})
        assert [t.name for t in ready(session, case.id)] == ["被投诉人书面说明"]


def test_ordinary_case_is_not_major(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
        case = cases.get_case(session, case.id)
        assert case.meta["is_major"] is False and [t.name for t in ready(session, case.id)] == ["被投诉人书面说明"]


def test_a_leader_takes_over_a_running_case_and_gets_its_approvals(engine, session, complaint_setup):
    people.add_user(session, "b_director2", "B县另一位分管领导", "county-b", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = transferred(engine, session, "county-b", "b_intake")
        assert "leader_takeover" in cases.waiting_messages(engine, session, case.id)
        cases.send_message(engine, session, case.id, "leader_takeover", {"leader": "b_director2"}, actor="b_director2")
        roundtrip(engine, session, case.id)
        [note] = notifications.unread(session, user(session, "b_worker").id)
        assert note.kind == "takeover"
        do(engine, session, case.id, "初审", "b_worker", review("not_accept", has_jurisdiction=False))
        transfer(engine, session, case.id, "b_chief", "county-a")
        approval = task_named(session, case.id, "再次转办审批")
        assert [u.username for u in people.candidates(session, approval)] == ["b_director2"]   # not b_director
        assert cases.get_case(session, case.id).meta["lead_leader"] == "b_director2"


def test_the_leader_who_signs_the_lead_task_becomes_the_lead(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = register(engine, session, channel="higher_authority")
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "上级交办"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
        do(engine, session, case.id, "领导包案", "dora", {"lead_plan": "成立专班开展调查", "lead_members": "陈刚",
                                                       "lead_target_date": "2025-12-31", "lead_responsibility": "陈刚负责调查",
                                                       "lead_milestones": [{"milestone": "完成调查", "milestone_due": "2025-11-15"}]})
        workflow = engine.load_workflow(session, cases.get_case(session, case.id))
        assert workflow.data_objects["lead_leader"] == "dora"
