"""An answer for every complainant and both directions of 两结合 (issue 19, part "answers"): the transfer notice,
责令改正 with its 限期整改通知书 served and its month counted from service, the follow-up reported to the city, bar
sanctions of 通报批评 and above served and marked for publication, the association handing a case back to the
bureau, and a fee dispute referred to the association for mediation."""
from __future__ import annotations

import time_machine

from engine.runtime import cases
from engine.work import public_lists
from engine.runtime.timers import fire_due_timers

from .complaint_steps import (accept, at, do, document_text, ready, register, review, task_named,
                              answers_discipline_referred, answers_rectification_ordered)
from .test_complaint_sanctions import DISCIPLINE, FINDINGS, candidates, names, refused, sanctions_setup  # noqa: F401

INVESTIGATED = {"discipline_investigators": ["调查员甲", "调查员乙"], "discipline_findings": "会员收取费用后未出具票据，属实。",
                "member_defence": "承认未开票", "discipline_hearing_requested": False}
VOTE = {"committee_members_total": 7, "committee_members_present": 5, "committee_votes_for": 4,
        "discipline_reason": "收费不出具票据", "discipline_basis": "《律师协会会员违规行为处分规则(试行)》"}
MEDIATION = {"outcome": "mediation_referral", "outcome_reason": "律师未按约出庭，双方就退还代理费发生争议",
             "legal_basis": "《关于县级司法行政机关加强律师日常监督管理工作的意见》第四部分第（五）项",
             "mediation_org": "city-bar", "mediation_dispute": "fee"}


def test_a_transfer_sends_the_complainant_a_notice_naming_the_receiving_body(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True):
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "transferred", "transfer_to": "county-b",
                                                         "decision_reason": "被投诉人执业机构在B县"})
        notice = document_text(session, case.id, "转办告知书")
        for expected in ("刘某：", "〔2025〕投诉第0001号", "王某某律师", "转B县司法局依法处理", "接收机关：B县司法局",
                         "《关于进一步规范全省律师和律师事务所违法违规行为投诉处理工作的通知》"):
            assert expected in notice
        assert task_named(session, case.id, "告知投诉人").due_at == at("2025-10-22T00:00")   # 3 working days: 17, 20, 21
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        assert cases.get_case(session, case.id).org.code == "county-b"


def test_an_order_to_correct_runs_a_month_from_its_service_and_is_reported_to_the_city(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = answers_rectification_ordered(engine, session)
        assert names(session, case.id) == ["送达限期整改通知书"]
        service = task_named(session, case.id, "送达限期整改通知书")
        assert service.due_at == at("2025-10-22T00:00")                        # 3 working days (本地设定)
        notice = document_text(session, case.id, "限期整改通知书")
        for expected in ("王某某律师：", "未按约出庭", "自本通知书送达之日起1个月内改正", "顺延"):
            assert expected in notice
        assert refused(engine, session, case.id, "送达限期整改通知书", "chen", {
            "rectification_service_method": "post", "rectification_served_on": "2025-10-30",
            "rectification_service_proof": "EMS1"}) == [("rectification_served_on", "x-notAfter")]
        clock.move_to(at("2025-10-17T09:00"))                                 # served the next day, not at the decision
        do(engine, session, case.id, "送达限期整改通知书", "chen", {
            "rectification_service_method": "post", "rectification_served_on": "2025-10-17",
            "rectification_service_proof": "EMS9876543210"})
        meta = cases.get_case(session, case.id).meta
        assert meta["rectification_served_on"] == "2025-10-17"
        receipt = document_text(session, case.id, "送达回证（限期整改通知书）")
        assert "邮寄送达" in receipt and "EMS9876543210" in receipt and "2025年11月17日止" in receipt
        assert names(session, case.id) == []                                  # the month runs: nothing to do
        clock.move_to(at("2025-11-17T23:59"))                                # a month: 11-17 (a Monday)
        fire_due_timers(engine, session)
        assert names(session, case.id) == []
        clock.move_to(at("2025-11-18T00:01"))
        fire_due_timers(engine, session)
        assert task_named(session, case.id, "整改跟踪").due_at == at("2025-11-25T00:00")    # 5 working days
        do(engine, session, case.id, "整改跟踪", "chen", {"rectified": True, "followup_note": "已退还代理费，投诉人表示满意"})
        report = document_text(session, case.id, "整改情况报告")
        for expected in ("市司法局：", "王某某律师", "2025年10月17日送达", "至2025年11月17日止", "被投诉人已按要求整改",
                         "已退还代理费，投诉人表示满意"):
            assert expected in report
        assert names(session, case.id) == ["报送整改情况"]
        do(engine, session, case.id, "报送整改情况", "chen", {"rectification_reported_on": "2025-11-18",
                                                          "rectification_report_method": "document"})
        assert names(session, case.id) == ["归档"]
        assert cases.get_case(session, case.id).meta["rectification_reported_on"] == "2025-11-18"


def test_a_month_ending_on_a_rest_day_rolls_over_and_a_short_month_ends_on_its_last_day(engine, session,
                                                                                       complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = answers_rectification_ordered(engine, session)
        do(engine, session, case.id, "送达限期整改通知书", "chen", {
            "rectification_service_method": "direct", "rectification_served_on": "2025-10-16",
            "rectification_service_proof": "王某某签收"})
        assert "2025年11月17日止" in document_text(session, case.id, "送达回证（限期整改通知书）")   # 11-16 is a Sunday
        other = answers_rectification_ordered(engine, session, complainant_phone="13800000002")
        clock.move_to(at("2026-01-31T10:00"))
        do(engine, session, other.id, "送达限期整改通知书", "chen", {
            "rectification_service_method": "direct", "rectification_served_on": "2026-01-30",
            "rectification_service_proof": "王某某签收"})                      # 02-28 is a make-up working day
        assert "2026年2月28日止" in document_text(session, other.id, "送达回证（限期整改通知书）")   # no 02-30


def test_a_circulated_criticism_is_served_on_the_member_and_marked_for_publication(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = answers_discipline_referred(engine, session, clock)
        do(engine, session, case.id, "惩戒立案审查", "dc_member", {"discipline_filed": True, "discipline_filing_opinion": "立案"})
        do(engine, session, case.id, "通知被投诉会员", "dc_worker",
           {"member_notified_on": "2025-10-20", "member_notice_method": "post"})
        do(engine, session, case.id, "惩戒调查", "dc_worker", INVESTIGATED)
        clock.move_to(at("2025-10-21T10:00"))                                 # Tuesday
        do(engine, session, case.id, "惩戒委员会决定", "dc_member", {**VOTE, "discipline_sanction": "circulated_criticism"})
        held = cases.get_case(session, case.id)
        assert held.org.code == "bar-discipline" and held.meta["discipline_publication"] == "to_publish"
        serve = task_named(session, case.id, "送达处分决定")
        assert serve.due_at == at("2025-10-31T00:00")                         # 7 working days: 22 … 30
        assert candidates(session, case.id, "送达处分决定") == ["dc_worker"]
        assert refused(engine, session, case.id, "送达处分决定", "dc_worker", {
            "discipline_service_method": "post", "discipline_served_on": "2025-10-21"}) == [
            ("discipline_service_proof", "required")]
        do(engine, session, case.id, "送达处分决定", "dc_worker", {
            "discipline_service_method": "post", "discipline_served_on": "2025-10-21",
            "discipline_service_proof": "EMS5550001"})
        receipt = document_text(session, case.id, "处分决定送达回证")
        for expected in ("王某某律师", "通报批评", "邮寄送达", "2025年10月21日", "EMS5550001", "公布"):
            assert expected in receipt
        returned = cases.get_case(session, case.id)
        assert returned.org.code == "county-a" and returned.meta["discipline_publication"] == "published"
        assert returned.meta["discipline_sanction"] == "circulated_criticism"
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-10-21"})
        assert "市律师协会惩戒委员会决定给予被投诉人通报批评的行业处分" in document_text(session, case.id, "答复书")
        listed = public_lists.public_list(session, "lawyer_complaint", "sanctions")    # 公开 on the portal
        assert listed["total"] == 1 and listed["titled"] is False
        [row] = listed["rows"]
        assert row["number"] == returned.business_number and row["title"] is None
        assert row["fields"][:2] == ["王某某律师", "通报批评"] and listed["columns"][:2] == ["被处分人", "处分种类"]
        assert "刘某" not in str(listed)                                   # the complainant is never published


def test_a_warning_is_neither_served_nor_published(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = answers_discipline_referred(engine, session, clock)
        do(engine, session, case.id, "惩戒立案审查", "dc_member", {"discipline_filed": True, "discipline_filing_opinion": "立案"})
        do(engine, session, case.id, "通知被投诉会员", "dc_worker",
           {"member_notified_on": "2025-10-20", "member_notice_method": "post"})
        do(engine, session, case.id, "惩戒调查", "dc_worker", INVESTIGATED)
        do(engine, session, case.id, "惩戒委员会决定", "dc_member", {**VOTE, "discipline_sanction": "warning"})
        returned = cases.get_case(session, case.id)
        assert returned.org.code == "county-a" and returned.meta["discipline_publication"] == "not_published"
        assert public_lists.public_list(session, "lawyer_complaint", "sanctions")["total"] == 0
        assert names(session, case.id) == ["接收处理结果"]


def test_the_association_hands_a_case_back_to_the_bureau(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = answers_discipline_referred(engine, session, clock)
        opinion = "私自收费属《律师法》第四十八条规定的违法行为，应由司法行政机关给予行政处罚"
        assert refused(engine, session, case.id, "惩戒立案审查", "dc_member", {
            "discipline_filed": False, "discipline_return": True, "discipline_filing_opinion": opinion}) == [
            ("discipline_return_reason", "required")]
        assert refused(engine, session, case.id, "惩戒立案审查", "dc_member", {
            "discipline_filed": True, "discipline_return": True, "discipline_return_reason": "needs_administrative_penalty",
            "discipline_filing_opinion": opinion}) == [("discipline_filed", "const")]
        do(engine, session, case.id, "惩戒立案审查", "dc_member", {
            "discipline_filed": False, "discipline_return": True, "discipline_return_reason": "needs_administrative_penalty",
            "discipline_filing_opinion": opinion})
        letter = document_text(session, case.id, "退回函")
        for expected in ("A区司法局：", "刘某投诉王某某律师", "该案应当给予行政处罚，由司法行政机关处理", opinion):
            assert expected in letter
        back = cases.get_case(session, case.id)
        assert back.org.code == "county-a" and back.meta["discipline_returned"] is True
        assert back.meta["discipline_sanction"] == "returned"
        assert names(session, case.id) == ["处理意见"] and candidates(session, case.id, "处理意见") == ["chen"]
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "criticism", "outcome_reason": "收费不规范，予以批评教育",
                                                       "legal_basis": "《律师执业管理办法》第五十条"})
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        assert "对被投诉人予以批评教育" in document_text(session, case.id, "答复书")
        assert names(session, case.id) == ["答复送达"]


def test_a_fee_dispute_is_referred_to_the_association_for_mediation(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "findings": "律师未按约出庭，双方就退费金额争执。"})
        assert refused(engine, session, case.id, "处理意见", "chen",
                       {k: v for k, v in MEDIATION.items() if k != "mediation_org"}) == [("mediation_org", "required")]
        do(engine, session, case.id, "处理意见", "chen", MEDIATION)
        clock.move_to(at("2025-10-20T10:00"))
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意移送调解"})
        assert cases.get_case(session, case.id).org.code == "city-bar"
        letter = document_text(session, case.id, "纠纷调解移送函")
        for expected in ("市律师协会：", "刘某投诉王某某律师", "律师服务收费争议", "代理合同约定出庭三次", "查处并退还代理费",
                         "2025年11月19日前", "第四部分第（五）项"):
            assert expected in letter
        result = task_named(session, case.id, "记录调解结果")
        assert result.due_at == at("2025-11-20T00:00")                       # 30 days: 11-19, a Wednesday
        assert candidates(session, case.id, "记录调解结果") == ["bar_worker"]
        assert refused(engine, session, case.id, "记录调解结果", "bar_worker", {
            "mediation_result": "agreed", "mediation_closed_on": "2025-10-20", "mediation_summary": "双方到场协商"}) == [
            ("mediation_agreement", "required")]
        do(engine, session, case.id, "记录调解结果", "bar_worker", {
            "mediation_result": "agreed", "mediation_closed_on": "2025-10-20", "mediation_summary": "双方到场协商，达成一致",
            "mediation_agreement": "律师于十日内退还代理费一万元"})
        back = cases.get_case(session, case.id)
        assert back.org.code == "county-a" and back.meta["mediation_result"] == "agreed"
        assert task_named(session, case.id, "接收处理结果").due_at == at("2025-10-24T00:00")   # 3 working days
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-10-20"})
        reply = document_text(session, case.id, "答复书")
        assert "刘某：" in reply and "市律师协会主持调解，双方达成调解协议：律师于十日内退还代理费一万元" in reply
        assert names(session, case.id) == ["答复送达"]
