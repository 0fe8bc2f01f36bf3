"""Issue 19, classification and referrals: anonymous reports (no name, no phone, no reply, still handled), a named
complaint refused without its phone, a court's referral with its 7 + 7 working days and its two letters, several
outcomes in one case (批评教育 with 责令改正; a penalty recommendation with a bar referral), and the classification
fields in the case's reportable data and the classification report."""
from __future__ import annotations

from uuid import UUID

import pytest
import time_machine

from engine.core import people
from engine.core.errors import DataValidationError
from engine.records import directory, documents
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import reports

from .complaint_steps import EXPLANATION, REGISTRATION, at, do, document_text, ready, review, task_named, user
from .test_complaint_sanctions import (  # noqa: F401  (sanctions_setup is a fixture)
    DECIDED, FILED, LIGHT, REVIEWED, SERVED, sanctions_setup,
)

FINDINGS = {"investigators": ["陈刚", "林涛"], "next_step": "report",
            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}
COURT = {"channel": "court", "referral_org": "示范市中级人民法院", "complainant_name": "示范市中级人民法院",
         "complainant_type": "organization", "complainant_phone": "0100-1234567"}


def names(session, case_id):
    return sorted(t.name for t in ready(session, case_id))


def document_names(session, case_id):
    documents.render_pending(session)
    return {d.name for d in documents.case_documents(session, case_id)}


def start(engine, session):
    return cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-a", actor="xu")


def registered(engine, session, data):
    case = start(engine, session)
    do(engine, session, case.id, "投诉登记", "xu", data)
    return cases.get_case(session, case.id)


def refused_fields(engine, session, data):
    case = start(engine, session)
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, task_named(session, case.id, "投诉登记").id, data, user=user(session, "xu"))
    return sorted((e.field, e.rule) for e in err.value.errors)


def without(data, *keys):
    return {k: v for k, v in data.items() if k not in keys}


def test_an_anonymous_report_is_registered_and_handled_with_no_reply(engine, session, complaint_setup):
    anonymous = {**without(REGISTRATION, "complainant_name", "complainant_type", "complainant_phone"),
                 "report_kind": "anonymous_report", "channel": "letter", "matter_type": "violation"}
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = registered(engine, session, anonymous)
        assert case.title == "匿名举报人举报王某某律师"
        assert case.meta["report_kind"] == "anonymous_report" and case.meta["matter_type"] == "violation"
        do(engine, session, case.id, "初审", "chen", review("accept"))
        clock.move_to(at("2025-10-16T16:00"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        assert names(session, case.id) == ["被投诉人书面说明"]             # no 告知投诉人: nobody to tell
        assert "受理通知书" not in document_names(session, case.id)
        do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "criticism", "outcome_reason": "未按约出庭，违反执业规范",
                                                        "legal_basis": "《律师执业管理办法》第五十条"})
        clock.move_to(at("2025-11-20T10:00"))
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        assert names(session, case.id) == ["归档"]                           # handled, but no 答复送达
        assert not {"答复书", "送达回证"} & document_names(session, case.id)
        assert "调查报告" in document_names(session, case.id)
        data = engine.load_workflow(session, cases.get_case(session, case.id)).get_task_from_id(
            UUID(task_named(session, case.id, "归档").task_uuid)).data
        assert data["reply_skipped_reason"] == "匿名举报，不予答复"
        assert data["notice_skipped_reason"] == "匿名举报，不予答复"
        do(engine, session, case.id, "归档", "chen", {"archive_no": "2025-TS-0009"})
        case = cases.get_case(session, case.id)
        assert case.status == "completed" and case.meta["outcome"] == "criticism"


def test_a_named_complaint_without_a_phone_is_refused_at_the_phone(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        assert refused_fields(engine, session, without(REGISTRATION, "complainant_phone")) == [
            ("complainant_phone", "required")]
        assert refused_fields(engine, session, {**without(REGISTRATION, "complainant_phone", "complainant_name"),
                                                "report_kind": "named_report"}) == [
            ("complainant_name", "required"), ("complainant_phone", "required")]
        assert refused_fields(engine, session, {**REGISTRATION, **COURT, "referral_org": ""}) == [
            ("referral_org", "minLength")]
        assert refused_fields(engine, session, without({**REGISTRATION, **COURT}, "referral_org")) == [
            ("referral_org", "required")]
        assert refused_fields(engine, session, {**REGISTRATION, "report_kind": "rumour"}) == [("report_kind", "enum")]


def test_a_courts_referral_runs_seven_and_seven_working_days_and_the_court_gets_its_letters(
        engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:          # Monday
        case = registered(engine, session, {**REGISTRATION, **COURT})
        assert case.meta["referral_source"] is True
        assert task_named(session, case.id, "初审").due_at == at("2025-10-23T00:00")   # 7 working days: 14 … 22
        do(engine, session, case.id, "初审", "chen", review("accept"))
        assert task_named(session, case.id, "受理审查决定").due_at == at("2025-10-23T00:00")
        clock.move_to(at("2025-10-16T16:00"))                                          # Thursday
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        feedback = task_named(session, case.id, "向移送机关反馈")
        assert feedback.due_at == at("2025-10-28T00:00")            # 7 working days from 10-16: 17, 20 … 27
        assert [u.username for u in people.candidates(session, feedback)] == ["chen"]
        letter = document_text(session, case.id, "反馈函")
        for expected in ("A区司法局", "〔2025〕投诉第0001号", "示范市中级人民法院：", "王某某律师", "2025年10月13日",
                         "予以受理", "2025年10月16日", "属于受理范围", "第五十九条"):
            assert expected in letter
        clock.move_to(at("2025-10-28T00:00:01"))                    # not fed back in time: the chief supervises
        fire_due_timers(engine, session)
        assert [u.username for u in people.candidates(session, task_named(session, case.id, "督办（反馈逾期）"))] == ["zhou"]
        do(engine, session, case.id, "督办（反馈逾期）", "zhou", {"supervision_note": "请立即反馈法院"})
        clock.move_to(at("2025-10-28T10:00"))
        do(engine, session, case.id, "向移送机关反馈", "chen", {"feedback_sent_on": "2025-10-28", "feedback_method": "post"})
        assert names(session, case.id) == ["被投诉人书面说明"]
        do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        do(engine, session, case.id, "处理意见", "chen", {"outcome": "criticism", "outcome_reason": "未按约出庭，违反执业规范",
                                                        "legal_basis": "《律师执业管理办法》第五十条"})
        clock.move_to(at("2025-11-20T10:00"))                                          # Thursday
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        do(engine, session, case.id, "答复送达", "chen", {"service_method": "post", "served_on": "2025-11-20",
                                                        "service_proof": "EMS1234567890"})
        told = task_named(session, case.id, "告知提出建议的机关")
        assert told.due_at == at("2025-11-28T00:00")                # 7 days from 11-20: the end of 11-27
        notice = document_text(session, case.id, "处理结果告知函")
        for expected in ("示范市中级人民法院：", "王某某律师", "对被投诉人予以批评教育", "未按约出庭", "2025年11月20日",
                         "《律师执业管理办法》第五十九条"):
            assert expected in notice
        clock.move_to(at("2025-11-28T00:00:01"))
        fire_due_timers(engine, session)
        assert "督办（告知机关逾期）" in names(session, case.id)
        do(engine, session, case.id, "告知提出建议的机关", "chen",
           {"organ_notified_on": "2025-11-28", "organ_notice_method": "confidential_mail"})
        assert names(session, case.id) == ["归档", "督办（告知机关逾期）"]


def test_a_complaint_not_referred_has_no_feedback_step(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = registered(engine, session, REGISTRATION)
        assert case.meta["referral_source"] is False
        assert task_named(session, case.id, "初审").due_at == at("2025-10-28T00:00")   # still 10 working days
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
        assert names(session, case.id) == ["被投诉人书面说明"]
        assert "反馈函" not in document_names(session, case.id)


def test_criticism_with_an_order_to_correct_runs_both(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = registered(engine, session, REGISTRATION)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        clock.move_to(at("2025-10-16T16:00"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        proposal = {"outcome": "criticism", "outcome_reason": "未按约出庭，违反执业规范",
                    "legal_basis": "《律师执业管理办法》第五十条", "additional_measures": ["order_correct"]}
        with pytest.raises(DataValidationError) as err:
            do(engine, session, case.id, "处理意见", "chen", {**proposal, "additional_measures": ["discipline_referral"]})
        assert sorted(e.field for e in err.value.errors) == ["bar_violation_category", "discipline_org", "outcome"]
        with pytest.raises(DataValidationError) as err:
            do(engine, session, case.id, "处理意见", "chen", {**proposal, "outcome": "no_violation"})
        assert sorted(e.field for e in err.value.errors) == ["additional_measures", "rectification_period"]
        do(engine, session, case.id, "处理意见", "chen", {**proposal, "rectification_period": 1})
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        reply = document_text(session, case.id, "答复书")
        assert "对被投诉人予以批评教育；并责令被投诉人限期改正（自限期整改通知书送达之日起1个月）" in reply
        assert cases.get_case(session, case.id).meta["outcome_measures"] == ["criticism", "order_correct"]
        do(engine, session, case.id, "答复送达", "chen", {"service_method": "direct", "served_on": "2025-10-16",
                                                        "service_proof": "刘某签收"})
        assert names(session, case.id) == ["送达限期整改通知书"]             # the month runs from its service
        do(engine, session, case.id, "送达限期整改通知书", "chen", {
            "rectification_service_method": "direct", "rectification_served_on": "2025-10-16",
            "rectification_service_proof": "王某某签收"})
        assert names(session, case.id) == []                      # the rectification period runs
        clock.move_to(at("2025-11-18T00:01"))                      # 10-16 + one month: 11-16 is a Sunday → 11-17
        fire_due_timers(engine, session)
        assert names(session, case.id) == ["整改跟踪"]


def test_a_penalty_recommendation_with_a_bar_referral_runs_both(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = registered(engine, session, REGISTRATION)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
        do(engine, session, case.id, "调查核实", "chen", {**FINDINGS, "findings": "被投诉律师私自收取代理费两万元，未出具票据。"})
        do(engine, session, case.id, "处理意见", "chen", {
            "outcome": "penalty_recommended", "outcome_reason": "私自收取费用，违反《律师法》第四十八条",
            "legal_basis": "《中华人民共和国律师法》第四十八条、第五十二条", "penalty_org": "city",
            "recommended_sanctions": ["warning", "fine"], "violation_category": "lawyers_law_48",
            "additional_measures": ["discipline_referral"], "discipline_org": "bar-discipline",
            "bar_violation_category": "improper_fees"})
        clock.move_to(at("2025-10-20T10:00"))
        do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
        assert cases.get_case(session, case.id).org.code == "city"                  # the penalty first
        clock.move_to(at("2025-10-22T09:00"))
        do(engine, session, case.id, "立案审查", "city_chief", FILED)
        do(engine, session, case.id, "调查取证", "city_worker", LIGHT)
        clock.move_to(at("2025-11-03T10:00"))
        do(engine, session, case.id, "送达事先告知书", "city_worker", SERVED)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "statement_summary": "无异议", "hearing_requested": False})
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        clock.move_to(at("2025-11-12T10:00"))
        do(engine, session, case.id, "作出处罚决定", "city_director", DECIDED)
        do(engine, session, case.id, "送达处罚决定书", "city_worker", {
            "decision_service_method": "direct", "decision_served_on": "2025-11-12", "decision_service_proof": "签收"})
        case = cases.get_case(session, case.id)             # back at the county, which then refers to the association
        assert case.org.code == "county-a" and case.meta["penalty_decision"] == "penalise"
        received = task_named(session, case.id, "接收处罚结果（并移送律师协会）")
        assert [u.username for u in people.candidates(session, received)] == ["chen"]
        do(engine, session, case.id, "接收处罚结果（并移送律师协会）", "chen", {"result_received_on": "2025-11-12"})
        assert cases.get_case(session, case.id).org.code == "bar-discipline"
        assert names(session, case.id) == ["惩戒立案审查"]
        letter = document_text(session, case.id, "移送惩戒函")
        assert "市律师协会惩戒委员会：" in letter and "违规收案、收费的行为" in letter and "A区司法局" in letter
        clock.move_to(at("2025-11-13T10:00"))
        do(engine, session, case.id, "惩戒立案审查", "dc_member", {"discipline_filed": True, "discipline_filing_opinion": "立案"})
        do(engine, session, case.id, "通知被投诉会员", "dc_worker",
           {"member_notified_on": "2025-11-13", "member_notice_method": "post"})
        do(engine, session, case.id, "惩戒调查", "dc_worker", {
            "discipline_investigators": ["调查员甲", "调查员乙"], "discipline_findings": "收费后未出具票据，属实。",
            "discipline_hearing_requested": True})
        do(engine, session, case.id, "惩戒听证", "dc_member", {"discipline_hearing_on": "2025-11-13",
                                                              "discipline_hearing_record": "会员对事实无异议"})
        do(engine, session, case.id, "惩戒委员会决定", "dc_member", {
            "committee_members_total": 7, "committee_members_present": 5, "committee_votes_for": 4,
            "discipline_sanction": "public_censure", "discipline_reason": "收费不出具票据，情节较重",
            "discipline_basis": "《律师协会会员违规行为处分规则(试行)》"})
        do(engine, session, case.id, "送达处分决定", "dc_worker", {          # 公开谴责 is served, then published
            "discipline_service_method": "post", "discipline_served_on": "2025-11-13",
            "discipline_service_proof": "EMS5550002"})
        case = cases.get_case(session, case.id)
        assert case.org.code == "county-a"
        assert case.meta["penalty_decision"] == "penalise" and case.meta["discipline_sanction"] == "public_censure"
        assert case.meta["outcome_measures"] == ["penalty_recommended", "discipline_referral"]
        assert case.meta["violation_category"] == "lawyers_law_48" and case.meta["bar_violation_category"] == "improper_fees"
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-11-13"})
        reply = document_text(session, case.id, "答复书")
        assert "市司法局依法立案查处，对被投诉人作出行政处罚：警告、罚款人民币5000元" in reply
        assert "市律师协会惩戒委员会决定给予被投诉人公开谴责的行业处分" in reply
        assert names(session, case.id) == ["答复送达"]


def test_the_classification_is_in_the_reportable_data_and_the_report(engine, session, complaint_setup):
    directory.add_entry(session, "respondent", "L-0002", "赵某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001", "position": "firm_head"})
    directory.add_entry(session, "respondent", "L-0003", "钱某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "F-0001", "position": "partner"})
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        head = registered(engine, session, {**REGISTRATION, "respondent_id": "L-0002", "matter_type": "violation",
                                             "cross_region": "cross_city", "amount_involved": 50000})
        assert head.meta["respondent_role"] == "firm_head" and head.meta["respondent_type"] == "lawyer"
        assert head.meta["cross_region"] == "cross_city" and head.meta["amount_involved"] == 50000
        assert head.meta["report_kind"] == "complaint"
        do(engine, session, head.id, "初审", "chen", review("accept", severity="serious"))
        assert cases.get_case(session, head.id).meta["severity"] == "serious"
        partner = registered(engine, session, {**REGISTRATION, "respondent_id": "L-0003", "matter_type": "violation",
                                                "complainant_phone": "13800000002"})
        assert partner.meta["respondent_role"] == "partner"
        lawyer = registered(engine, session, {**REGISTRATION, "matter_type": "practice_dispute",
                                               "complainant_phone": "13800000003"})
        assert lawyer.meta["respondent_role"] == "lawyer"
        firm = registered(engine, session, {**without(REGISTRATION, "complainant_name", "complainant_phone"),
                                             "respondent_id": "F-0001", "report_kind": "anonymous_report",
                                             "matter_type": "practice_dispute"})
        assert firm.meta["respondent_role"] == "firm"
        chief = user(session, "zhou")
        result = reports.compute(session, chief, reports.report(session, chief, "complaint_classification"))
        table = {g.key: {name: f.value for name, f in g.figures.items()} for g in result.groups}
        assert table["violation"] == {"received": 2, "anonymous": 0, "firm_leaders": 2, "cross_region": 1, "serious": 1}
        assert table["practice_dispute"] == {"received": 2, "anonymous": 1, "firm_leaders": 0, "cross_region": 0,
                                             "serious": 0}


def test_the_portal_takes_an_anonymous_report_but_not_a_complaint_without_a_phone(app, client):
    from .test_portal import case_count, file, text
    from .web_helpers import field_errors

    before = case_count(app)
    refused = file(client, complainant_phone="")
    assert refused.status_code == 422 and set(field_errors(text(refused))) == {"complainant_phone"}
    assert case_count(app) == before
    receipt = file(client, report_kind="anonymous_report", complainant_name="", complainant_phone="", complainant_type="")
    assert receipt.status_code == 200 and "提交成功" in text(receipt)
    assert case_count(app) == before + 1
