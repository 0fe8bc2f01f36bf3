"""Complaint outcomes that leave the county: the city's administrative penalty, the association's discipline,
and the respondent's written explanation before the investigation."""
from __future__ import annotations

import pytest
import time_machine

from engine.core import people
from engine.core.errors import DataValidationError
from engine.records import notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers

from .complaint_steps import EXPLANATION, accept, at, do, document_text, ready, register, review, task_named, user

# The clocks in these tests tick from each moment a test moves to, so every step is later than the one before: the
# engine reads a case's current data from its most recently changed task, and a frozen clock makes that a tie.

FINDINGS = {"investigators": ["陈刚", "林涛"], "next_step": "report",
            "findings": "被投诉律师私自收取委托人代理费两万元，未通过律师事务所统一收费，未出具票据。"}
RECOMMENDATION = {"outcome": "penalty_recommended", "outcome_reason": "私自接受委托、收取费用，违反《律师法》第四十八条",
                  "legal_basis": "《律师法》第四十八条、第五十二条", "penalty_org": "city",
                  "recommended_sanctions": ["warning", "fine"]}
FILED = {"penalty_filed": True, "within_limitation": True, "penalty_officers": ["赵执法", "钱执法"],
         "filing_opinion": "有违法事实，符合立案条件"}
LIGHT = {"penalty_findings": "当事人私自收取委托人代理费两万元未入所账。", "penalty_evidence": ["收款记录", "委托人陈述"],
         "violation_article": "lawyers_law_48", "investigation_conclusion": "propose_penalty",
         "proposed_sanctions": ["warning", "fine"], "proposed_fine_amount": 5000, "proposed_basis": "《律师法》第四十八条"}
HEAVY = {**{k: v for k, v in LIGHT.items() if k != "proposed_fine_amount"},
         "proposed_sanctions": ["practice_suspension"], "proposed_suspension_months": 3}
SERVED = {"notice_service_method": "direct", "notice_served_on": "2025-11-03", "notice_service_proof": "王某某签收"}
REVIEWED = {"legal_review_passed": True, "legal_review_opinion": "事实清楚，证据确凿，程序合法，处罚适当"}
DECIDED = {"penalty_decision": "penalise", "penalty_sanctions": ["warning", "fine"], "penalty_fine_amount": 5000,
           "penalty_reason": "当事人私自收取委托人财物，事实清楚，证据确凿。", "penalty_legal_basis": "《律师法》第四十八条第一项"}
DISCIPLINE = {"outcome": "discipline_referral", "outcome_reason": "收费后不出具票据，违反行业收费规范",
              "legal_basis": "《律师执业管理办法》第五十条", "discipline_org": "bar-discipline",
              "bar_violation_category": "improper_fees"}


@pytest.fixture
def sanctions_setup(session, complaint_setup):
    """The city bureau's penalty staff, and the association's discipline committee with its own staff."""
    for code, name in (("legal_reviewer", "法制审核人员"), ("discipline_committee", "惩戒委员会"), ("bar_secretary", "秘书长")):
        people.add_role(session, code, name)
    people.add_organization(session, "bar-discipline", "市律师协会惩戒委员会", "city-bar")
    for username, name, org, role in (
            ("city_worker", "市局承办人", "city", "caseworker"), ("city_chief", "市局科长", "city", "section_chief"),
            ("city_legal", "市局法制审核", "city", "legal_reviewer"), ("city_director", "市局分管领导", "city", "director"),
            ("dc_worker", "惩戒调查员", "bar-discipline", "caseworker"),
            ("dc_member", "惩戒委员", "bar-discipline", "discipline_committee"),
            ("dc_secretary", "律协秘书长", "bar-discipline", "bar_secretary")):
        people.add_user(session, username, name, org, [role])
    session.commit()


def names(session, case_id):
    return sorted(t.name for t in ready(session, case_id))


def candidates(session, case_id, name):
    return [u.username for u in people.candidates(session, task_named(session, case_id, name))]


def refused(engine, session, case_id, name, username, data):
    """The fields a task refuses data for, with the rule each breaks; the task stays open."""
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, task_named(session, case_id, name).id, data, user=user(session, username))
    return sorted({(e.field, e.rule) for e in err.value.errors})


def recommended(engine, session, clock, **changes):
    """Accepted, investigated, and on Monday 2025-10-20 the county approves a penalty recommendation to the city."""
    case = accept(engine, session)
    do(engine, session, case.id, "调查核实", "chen", FINDINGS)
    do(engine, session, case.id, "处理意见", "chen", {**RECOMMENDATION, **changes})
    clock.move_to(at("2025-10-20T10:00"))
    do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意提出处罚建议"})
    return case


def noticed(engine, session, clock, proposal):
    """A penalty case filed on Wednesday 10-22 (90 days: the end of 2026-01-20), its notice served on Monday 11-03."""
    case = recommended(engine, session, clock)
    clock.move_to(at("2025-10-22T09:00"))
    do(engine, session, case.id, "立案审查", "city_chief", FILED)
    do(engine, session, case.id, "调查取证", "city_worker", proposal)
    clock.move_to(at("2025-11-03T10:00"))
    do(engine, session, case.id, "送达事先告知书", "city_worker", SERVED)
    return case


def test_penalty_recommendation_moves_the_case_to_the_city(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = recommended(engine, session, clock)
        assert cases.get_case(session, case.id).org.code == "city"
        assert candidates(session, case.id, "立案审查") == ["city_chief"]
        assert task_named(session, case.id, "立案审查").due_at == at("2025-10-30T00:00")    # 7 working days: 21 … 29
        text = document_text(session, case.id, "处罚建议书")
        for expected in ("A区司法局", "市司法局：", "王某某律师", "私自收取委托人代理费", "警告、罚款", "第五十二条"):
            assert expected in text
        # 《律师执业管理办法》第五十九条 governs an organ's proposal (法院、检察院、公安机关), not the county's own
        assert "第五十九条" not in text
        clock.move_to(at("2025-10-22T09:00"))
        do(engine, session, case.id, "立案审查", "city_chief", FILED)
        investigate = task_named(session, case.id, "调查取证")
        assert investigate.due_at == at("2026-01-21T00:00")         # 90 days from 10-22: the end of 2026-01-20
        assert candidates(session, case.id, "调查取证") == ["city_worker"]


def test_penalty_without_hearing_is_decided_served_and_replied(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)
        notice = document_text(session, case.id, "行政处罚事先告知书")
        assert "警告、罚款（罚款人民币5000元）" in notice and "市司法局" in notice and "有权要求举行听证" not in notice
        assert "之日起5个工作日内" in notice               # the template reads limits.statement.text from the table
        statement = task_named(session, case.id, "陈述申辩与听证申请")
        assert statement.due_at == at("2025-11-11T00:00")            # 5 working days from service: 4 … 10
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "statement_summary": "当事人承认收费未入账，请求从轻处罚",
            "hearing_requested": False})
        assert candidates(session, case.id, "法制审核") == ["city_legal"]
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        assert names(session, case.id) == ["作出处罚决定"]                # no collective decision for a light penalty
        assert candidates(session, case.id, "作出处罚决定") == ["city_director"]
        clock.move_to(at("2025-11-12T10:00"))                              # Wednesday
        do(engine, session, case.id, "作出处罚决定", "city_director", DECIDED)
        service = task_named(session, case.id, "送达处罚决定书")
        assert service.due_at == at("2025-11-22T00:00")              # 7 working days: 13 … 21
        decision = document_text(session, case.id, "行政处罚决定书")
        for expected in ("市司法局", "王某某律师", "警告、罚款人民币5000元", "请求从轻处罚", "15日内缴纳罚款", "60日内依法申请行政复议"):
            assert expected in decision
        assert "集体讨论" not in decision
        do(engine, session, case.id, "送达处罚决定书", "city_worker", {
            "decision_service_method": "direct", "decision_served_on": "2025-11-12", "decision_service_proof": "王某某签收"})
        returned = cases.get_case(session, case.id)
        assert returned.org.code == "county-a" and returned.meta["penalty_decision"] == "penalise"
        assert returned.meta["penalty_sanctions"] == ["warning", "fine"] and returned.meta["heavy_penalty"] is False
        assert candidates(session, case.id, "接收处理结果") == ["chen"]
        assert task_named(session, case.id, "接收处理结果").due_at == at("2025-11-18T00:00")   # 3 working days: 13, 14, 17
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-11-12"})
        reply = document_text(session, case.id, "答复书")
        assert "A区司法局" in reply and "市司法局依法立案查处，对被投诉人作出行政处罚：警告、罚款人民币5000元" in reply
        assert names(session, case.id) == ["答复送达"]


def test_heavy_penalty_with_hearing_needs_a_collective_decision(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, HEAVY)
        assert cases.get_case(session, case.id).meta["heavy_penalty"] is True
        notice = document_text(session, case.id, "行政处罚事先告知书")
        assert "停止执业（期限3个月）" in notice and "有权要求举行听证" in notice
        assert refused(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "hearing_requested": True}) == [
            ("hearing_date", "required"), ("hearing_host", "required"), ("hearing_place", "required")]
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "statement_summary": "当事人认为处罚过重", "hearing_requested": True,
            "hearing_date": "2025-11-17", "hearing_place": "市司法局第一会议室", "hearing_host": "孙主持"})
        hearing_notice = document_text(session, case.id, "听证通知书")
        assert "2025年11月17日" in hearing_notice and "市司法局第一会议室" in hearing_notice and "孙主持" in hearing_notice
        assert task_named(session, case.id, "送达听证通知书").due_at == at("2025-11-07T00:00")   # 7 WD before 11-17
        do(engine, session, case.id, "送达听证通知书", "city_worker", {
            "hearing_notice_service_method": "direct", "hearing_notice_served_on": "2025-11-03",
            "hearing_notice_service_proof": "王某某签收", "hearing_date": "2025-11-17"})
        hearing = task_named(session, case.id, "举行听证")
        assert hearing.due_at == at("2025-11-18T00:00") and candidates(session, case.id, "举行听证") == ["city_legal"]
        clock.move_to(at("2025-11-17T10:00"))                      # the hearing is held on the day it was set for
        do(engine, session, case.id, "举行听证", "city_legal", {
            "hearing_held_on": "2025-11-17", "hearing_record": "当事人对事实无异议，对处罚幅度提出异议", "hearing_opinion": "维持拟处罚意见"})
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        assert names(session, case.id) == ["集体讨论"] and candidates(session, case.id, "集体讨论") == ["city_director"]
        clock.move_to(at("2025-11-20T10:00"))
        do(engine, session, case.id, "集体讨论", "city_director", {
            "meeting_type": "bureau_meeting", "meeting_date": "2025-11-20", "meeting_attendees": ["局长", "副局长甲", "副局长乙"],
            "meeting_conclusion": "同意给予停止执业三个月的处罚"})
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 3})
        decision = document_text(session, case.id, "行政处罚决定书")
        assert "停止执业3个月" in decision and "集体讨论决定（2025年11月20日）" in decision and "对处罚幅度提出异议" in decision
        meta = cases.get_case(session, case.id).meta
        assert meta["hearing_requested"] is True and meta["penalty_sanctions"] == ["practice_suspension"]


def test_hearing_request_window_expires_after_five_working_days(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, HEAVY)
        clock.move_to(at("2025-11-10T00:00:01"))                   # the reminder, 1 working day before: end of 11-07
        fire_due_timers(engine, session)
        assert "临期提醒：〔2025〕投诉第0001号 陈述申辩和听证申请" in [
            n.title for n in notifications.unread(session, user(session, "city_worker").id)]
        assert names(session, case.id) == ["陈述申辩与听证申请"]
        clock.move_to(at("2025-11-11T00:00:01"))                   # served Monday 11-03: the window ended with 11-10
        assert fire_due_timers(engine, session) == 1
        assert names(session, case.id) == ["法制审核"]                  # no hearing
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, case.id, "集体讨论", "city_director", {
            "meeting_type": "office_meeting", "meeting_date": "2025-11-11",
            "meeting_attendees": ["王局长", "李副局长", "张副局长"], "meeting_conclusion": "同意"})
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 3})
        assert "未提出陈述、申辩，也未要求听证，视为放弃" in document_text(session, case.id, "行政处罚决定书")
        assert cases.get_case(session, case.id).meta["hearing_requested"] is False


def test_ninety_day_decision_limit_reminds_then_escalates(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = recommended(engine, session, clock)
        clock.move_to(at("2025-10-22T09:00"))
        do(engine, session, case.id, "立案审查", "city_chief", FILED)
        clock.move_to(at("2026-01-14T00:00:01"))                   # 5 working days before 01-20: 19, 16, 15, 14, 13
        fire_due_timers(engine, session)
        assert [n.title for n in notifications.unread(session, user(session, "city_worker").id)] == [
            "临期提醒：〔2025〕投诉第0001号 行政处罚决定"]
        assert [n.body for n in notifications.unread(session, user(session, "city_worker").id)] == [
            "距立案之日起90日的处罚决定期限还有5个工作日。"]           # both periods read from the limits table
        clock.move_to(at("2026-01-21T00:00:01"))
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "督办（处罚决定逾期）") == ["city_chief"]
        clock.move_to(at("2026-01-24T00:00:01"))                   # 3 working days later: 21, 22, 23
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "领导督办（处罚决定逾期）") == ["city_director"]
        assert names(session, case.id) == ["督办（处罚决定逾期）", "调查取证", "领导督办（处罚决定逾期）"]


def test_seven_working_day_service_limit(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "hearing_requested": False})
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        clock.move_to(at("2025-12-26T15:00"))                      # Friday; 7 working days: 29, 30, 31, 01-04 … 07
        do(engine, session, case.id, "作出处罚决定", "city_director", DECIDED)
        # 01-01 … 03 are holidays and Sunday 01-04 a make-up working day
        assert task_named(session, case.id, "送达处罚决定书").due_at == at("2026-01-08T00:00")
        clock.move_to(at("2026-01-06T00:00:01"))
        fire_due_timers(engine, session)
        assert "临期提醒：〔2025〕投诉第0001号 处罚决定书送达" in [
            n.title for n in notifications.unread(session, user(session, "city_worker").id)]
        clock.move_to(at("2026-01-08T00:00:01"))
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "督办（送达逾期）") == ["city_chief"]
        clock.move_to(at("2026-01-13T00:00:01"))                   # 8, 9, 12
        fire_due_timers(engine, session)
        assert candidates(session, case.id, "领导督办（送达逾期）") == ["city_director"]


def test_bad_penalty_input_is_refused_field_by_field(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = accept(engine, session)
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        assert refused(engine, session, case.id, "处理意见", "chen", {
            **RECOMMENDATION, "penalty_org": "nowhere"}) == [("penalty_org", "organization")]
        without = {k: v for k, v in RECOMMENDATION.items() if k != "recommended_sanctions"}
        assert refused(engine, session, case.id, "处理意见", "chen", without) == [("recommended_sanctions", "required")]
        case = noticed(engine, session, clock, LIGHT)
        assert refused(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {"hearing_requested": False}) == [
            ("statement_received_on", "required")]
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "hearing_requested": False})
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        no_sanction = {k: v for k, v in DECIDED.items() if k not in ("penalty_sanctions", "penalty_fine_amount")}
        assert refused(engine, session, case.id, "作出处罚决定", "city_director", no_sanction) == [
            ("penalty_sanctions", "required")]
        assert refused(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["fine", "detention"]}) == [("penalty_sanctions.1", "enum")]
        assert refused(engine, session, case.id, "作出处罚决定", "city_director", {
            **no_sanction, "penalty_sanctions": ["fine"]}) == [("penalty_fine_amount", "required")]
        assert names(session, case.id) == ["作出处罚决定"]


def test_not_filing_ends_the_penalty_case_and_a_failed_legal_review_sends_it_back(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        stale = recommended(engine, session, clock)
        do(engine, session, stale.id, "立案审查", "city_chief", {
            "penalty_filed": False, "within_limitation": False, "filing_opinion": "违法行为发生在二年前，不再给予行政处罚"})
        assert cases.get_case(session, stale.id).org.code == "county-a"
        do(engine, session, stale.id, "接收处理结果", "chen", {"result_received_on": "2025-10-20"})
        assert "市司法局经审查决定不予立案：违法行为发生在二年前" in document_text(session, stale.id, "答复书")
        case = noticed(engine, session, clock, LIGHT)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "hearing_requested": False})
        do(engine, session, case.id, "法制审核", "city_legal", {"legal_review_passed": False,
                                                              "legal_review_opinion": "证据不足，补充调查"})
        assert names(session, case.id) == ["调查取证"]


def test_respondent_explanation_supplied_goes_into_the_report(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True):
        case = accept(engine, session)
        assert cases.get_case(session, case.id).meta["explanation_status"] == "supplied"
        text = document_text(session, case.id, "书面说明通知书")
        assert "王某某律师：" in text and "2025年10月27日前" in text and "代理合同约定出庭三次" in text
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        report = document_text(session, case.id, "调查报告")
        assert "被投诉人书面说明（2025年10月16日收到）：" + EXPLANATION["explanation_summary"] in report


def test_respondent_explanation_not_supplied_in_time_is_recorded(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        assert candidates(session, case.id, "被投诉人书面说明") == ["chen"]
        clock.move_to(at("2025-10-24T00:00:01"))                   # 2 working days before the end of 10-27
        fire_due_timers(engine, session)
        assert "临期提醒：〔2025〕投诉第0001号 被投诉人书面说明" in [
            n.title for n in notifications.unread(session, user(session, "chen").id)]
        clock.move_to(at("2025-10-28T00:00:01"))
        assert fire_due_timers(engine, session) == 1
        assert names(session, case.id) == ["调查核实"]
        assert task_named(session, case.id, "调查核实").due_at == at("2025-12-16T00:00")   # the 60 days are unchanged
        assert cases.get_case(session, case.id).meta["explanation_status"] == "not_supplied"
        do(engine, session, case.id, "调查核实", "chen", FINDINGS)
        assert "被投诉人未在2025年10月27日前提交书面说明，视为放弃说明。" in document_text(session, case.id, "调查报告")


def test_complainant_may_withdraw_while_the_explanation_is_awaited(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True):
        case = register(engine, session)
        do(engine, session, case.id, "初审", "chen", review("accept"))
        do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
        do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
        cases.send_message(engine, session, case.id, "withdraw", {"reason": "已和解"}, actor="xu")
        do(engine, session, case.id, "撤回投诉审查", "zhou", {"continue_ex_officio": False, "withdrawal_opinion": "同意撤回"})
        assert cases.get_case(session, case.id).status == "completed"
