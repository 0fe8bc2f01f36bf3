"""Complaint outcomes referred to the association: its discipline committee's filing, investigation, hearing and
decision (a sanction, or none), served and returned to the county."""
from __future__ import annotations

import time_machine

from engine.records import notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers

from .complaint_steps import at, accept, do, document_text, task_named, user
from .test_complaint_sanctions import (DISCIPLINE, FINDINGS, candidates, names, refused,  # noqa: F401
                                       sanctions_setup)


def _referred_to_the_bar(engine, session, clock):
    """An accepted complaint investigated, proposed for bar discipline and approved: referred to the association."""
    case = accept(engine, session)
    do(engine, session, case.id, "调查核实", "chen", FINDINGS)
    do(engine, session, case.id, "处理意见", "chen", DISCIPLINE)
    clock.move_to(at("2025-10-20T10:00"))
    do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意移送律师协会"})
    return case


def test_discipline_referral_ends_with_a_sanction(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = _referred_to_the_bar(engine, session, clock)
        assert cases.get_case(session, case.id).org.code == "bar-discipline"
        letter = document_text(session, case.id, "移送惩戒函")
        assert "市律师协会惩戒委员会：" in letter and "违规收案、收费的行为" in letter and "A区司法局" in letter
        filing = task_named(session, case.id, "惩戒立案审查")
        assert filing.due_at == at("2025-10-30T00:00") and candidates(session, case.id, "惩戒立案审查") == ["dc_member"]
        clock.move_to(at("2025-10-28T00:00:01"))                   # 2 working days before the end of 10-29
        fire_due_timers(engine, session)
        assert [n.title for n in notifications.unread(session, user(session, "dc_member").id)] == [
            "临期提醒：〔2025〕投诉第0001号 惩戒立案审查"]
        assert [n.body for n in notifications.unread(session, user(session, "dc_member").id)] == [
            "距决定是否立案的期限还有2个工作日。"]
        clock.move_to(at("2025-10-30T00:00:01"))
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "督办（立案逾期）") == ["dc_secretary"]
        do(engine, session, case.id, "督办（立案逾期）", "dc_secretary", {"supervision_note": "请尽快决定"})
        clock.move_to(at("2025-10-30T10:00"))                      # Thursday
        do(engine, session, case.id, "惩戒立案审查", "dc_member",
           {"discipline_filed": True, "discipline_filing_opinion": "立案"})
        notify = task_named(session, case.id, "通知被投诉会员")
        assert notify.due_at == at("2025-11-14T00:00") and candidates(session, case.id, "通知被投诉会员") == ["dc_worker"]
        do(engine, session, case.id, "通知被投诉会员", "dc_worker",
           {"member_notified_on": "2025-10-30", "member_notice_method": "post"})
        do(engine, session, case.id, "惩戒调查", "dc_worker", {
            "discipline_investigators": ["调查员甲", "调查员乙"], "discipline_findings": "会员收取费用后未出具票据，属实。",
            "member_defence": "承认未开票，已补开", "discipline_hearing_requested": True})
        do(engine, session, case.id, "惩戒听证", "dc_member", {"discipline_hearing_on": "2025-10-30",
                                                              "discipline_hearing_record": "会员对事实无异议"})
        decided = {"committee_members_total": 7, "committee_members_present": 3, "committee_votes_for": 3,
                   "discipline_sanction": "public_censure", "discipline_reason": "收费不出具票据，情节较重",
                   "discipline_basis": "《律师协会会员违规行为处分规则（试行）》"}
        no_sanction = {k: v for k, v in decided.items() if k != "discipline_sanction"}
        assert refused(engine, session, case.id, "惩戒委员会决定", "dc_member", no_sanction) == [
            ("discipline_sanction", "required")]
        assert refused(engine, session, case.id, "惩戒委员会决定", "dc_member",
                       {**decided, "discipline_sanction": "membership_suspension"}) == [
            ("membership_suspension_months", "required")]
        do(engine, session, case.id, "惩戒委员会决定", "dc_member", decided)      # 3 of 7: no quorum
        assert names(session, case.id) == ["惩戒委员会决定"]
        assert "处分决定未获有效通过：〔2025〕投诉第0001号" in [
            n.title for n in notifications.unread(session, user(session, "dc_member").id)]
        do(engine, session, case.id, "惩戒委员会决定", "dc_member",
           {**decided, "committee_members_present": 5, "committee_votes_for": 4})
        text = document_text(session, case.id, "会员违规行为处分决定书")
        for expected in ("市律师协会惩戒委员会", "王某某律师", "A区司法局移送", "2025年10月30日举行听证", "委员7人，出席5人，4人同意",
                         "给予王某某律师公开谴责的处分"):
            assert expected in text
        do(engine, session, case.id, "送达处分决定", "dc_worker", {"discipline_service_method": "direct",   # issue 19
                                                            "discipline_served_on": "2025-10-30", "discipline_service_proof": "王某某签收"})
        returned = cases.get_case(session, case.id)
        assert returned.org.code == "county-a" and returned.meta["discipline_sanction"] == "public_censure"
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-10-30"})
        assert "市律师协会惩戒委员会决定给予被投诉人公开谴责的行业处分" in document_text(session, case.id, "答复书")


def test_a_bar_decision_of_no_sanction_issues_its_own_decision_and_ends_without_service(engine, session,
                                                                                         sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = _referred_to_the_bar(engine, session, clock)
        clock.move_to(at("2025-10-22T10:00"))
        do(engine, session, case.id, "惩戒立案审查", "dc_member",
           {"discipline_filed": True, "discipline_filing_opinion": "立案"})
        do(engine, session, case.id, "通知被投诉会员", "dc_worker",
           {"member_notified_on": "2025-10-22", "member_notice_method": "post"})
        do(engine, session, case.id, "惩戒调查", "dc_worker", {
            "discipline_investigators": ["调查员甲", "调查员乙"],
            "discipline_findings": "会员已通过律师事务所开具票据，收费记录完整。",
            "member_defence": "票据已由律师事务所统一开具", "discipline_hearing_requested": False})
        do(engine, session, case.id, "惩戒委员会决定", "dc_member", {
            "committee_members_total": 7, "committee_members_present": 5, "committee_votes_for": 5,
            "discipline_sanction": "none", "discipline_reason": "违规事实不能成立，不予处分",
            "discipline_basis": "《律师协会会员违规行为处分规则（试行）》"})
        text = document_text(session, case.id, "不予处分决定书")
        for expected in ("市律师协会惩戒委员会", "不予处分决定书", "〔2025〕投诉第0001号", "会员：王某某律师",
                         "A区司法局移送", "会员已通过律师事务所开具票据", "票据已由律师事务所统一开具",
                         "违规事实不能成立", "委员7人，出席5人，5人同意", "决定对王某某律师不予处分", "申请复查"):
            assert expected in text, expected
        assert "举行听证" not in text and "的处分。" not in text
        assert "送达处分决定" not in names(session, case.id)                     # served only at 通报批评 or above
        returned = cases.get_case(session, case.id)
        assert returned.org.code == "county-a" and returned.meta["discipline_sanction"] == "none"
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-10-22"})
        assert "经审查决定对被投诉人不予处分" in document_text(session, case.id, "答复书")
