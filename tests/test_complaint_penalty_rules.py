"""Lawful penalty decisions (issue 19, §2.3.1 and §2.7 of the domain report): a decision heavier than what was
notified goes back to a new 事先告知; 吊销 is proposed to the province and the case continues with its answer;
sanctions fit the respondent and the article; recidivism is found in earlier cases of the same respondent; the
hearing notice is served 7 working days before the hearing; an unpaid fine gets its step."""
from __future__ import annotations

import io

import pytest
import time_machine
from docx import Document
from sqlalchemy import select

from engine.core.errors import DataValidationError
from engine.core.models import Case
from engine.definitions.forms import FormCache
from engine.records import documents, notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.work import casework

from .complaint_steps import accept, at, do, ready, task_named, user
from .conftest import ROOT
from .helpers import zh
from .test_complaint_sanctions import (DECIDED, FILED, FINDINGS, HEAVY, LIGHT, RECOMMENDATION, REVIEWED,  # noqa: F401
                                       SERVED, candidates, names, noticed, sanctions_setup)

WAIVED = {"statement_received_on": "2025-11-03", "statement_summary": "当事人承认收费未入账", "hearing_requested": False}
MEETING = {"meeting_type": "bureau_meeting", "meeting_date": "2025-11-20", "meeting_attendees": ["局长", "副局长甲", "副局长乙"],
           "meeting_conclusion": "同意"}


def latest_text(session, case_id, name):
    """The text of the newest document of that name (a notice given again is a second document)."""
    documents.render_pending(session)
    doc = [d for d in documents.case_documents(session, case_id) if d.name == name][-1]
    return "\n".join(p.text for p in Document(io.BytesIO(documents.document(session, case_id, doc.id).content)).paragraphs)


def all_texts(session, case_id, name):
    documents.render_pending(session)
    return ["\n".join(p.text for p in Document(io.BytesIO(documents.document(session, case_id, d.id).content)).paragraphs)
            for d in documents.case_documents(session, case_id) if d.name == name]


def recommended_now(engine, session):
    """Another complaint against the same lawyer, accepted, investigated and recommended for a penalty to the city,
    on the clock as it stands (the shared helper sets it to 2025-10-20), received that day."""
    case = accept(engine, session, received_on=engine.today().isoformat())
    do(engine, session, case.id, "调查核实", "chen", FINDINGS)
    do(engine, session, case.id, "处理意见", "chen", RECOMMENDATION)
    do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意提出处罚建议"})
    return case


def errors(engine, session, case_id, name, username, data):
    """(field, rule, Chinese message) of each field a task refuses; the task stays open."""
    try:
        cases.complete_task(engine, session, task_named(session, case_id, name).id, data, user=user(session, username))
    except DataValidationError as err:
        return sorted((e.field, e.rule, zh(e)) for e in err.errors)
    raise AssertionError("accepted")


def test_a_decision_heavier_than_notified_goes_back_to_a_new_notice_with_a_hearing(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)          # notified: 警告、罚款 5000 (Art.48), no hearing right
        assert "有权要求举行听证" not in latest_text(session, case.id, "行政处罚事先告知书")
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        clock.move_to(at("2025-11-12T10:00"))
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 6})
        assert names(session, case.id) == ["送达事先告知书"]           # no decision: a new notice first
        assert [d.name for d in documents.case_documents(session, case.id)].count("行政处罚决定书") == 0
        first, again = all_texts(session, case.id, "行政处罚事先告知书")
        assert "重新告知" not in first
        for expected in ("停止执业（期限6个月）", "有权要求举行听证", "重新告知", "决定的处罚种类重于事先告知的处罚种类",
                         "王某某律师", "私自收取委托人代理费两万元"):
            assert expected in again
        assert cases.get_case(session, case.id).meta["heavy_penalty"] is True
        do(engine, session, case.id, "送达事先告知书", "city_worker", {**SERVED, "notice_served_on": "2025-11-12"})
        statement = task_named(session, case.id, "陈述申辩与听证申请")
        assert statement.due_at == at("2025-11-20T00:00")             # a new 5-working-day window: 13 … 19
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-12", "statement_summary": "当事人要求听证", "hearing_requested": True,
            "hearing_date": "2025-11-24", "hearing_place": "市司法局第一会议室", "hearing_host": "孙主持"})
        assert names(session, case.id) == ["送达听证通知书"]           # the hearing the new proposal offers
        do(engine, session, case.id, "送达听证通知书", "city_worker", {
            "hearing_notice_service_method": "direct", "hearing_notice_served_on": "2025-11-12",
            "hearing_notice_service_proof": "王某某签收", "hearing_date": "2025-11-24"})
        clock.move_to(at("2025-11-24T10:00"))
        do(engine, session, case.id, "举行听证", "city_legal", {
            "hearing_held_on": "2025-11-24", "hearing_record": "当事人对停止执业的期限提出异议", "hearing_opinion": "维持"})
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        assert names(session, case.id) == ["集体讨论"]                  # the heavier proposal needs a collective decision
        do(engine, session, case.id, "集体讨论", "city_director", {**MEETING, "meeting_date": "2025-11-24"})
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 6})
        assert names(session, case.id) == ["送达处罚决定书"]           # as notified this time: decided
        decision = latest_text(session, case.id, "行政处罚决定书")
        assert "停止执业6个月" in decision and "对停止执业的期限提出异议" in decision


def test_a_lighter_decision_needs_no_new_notice(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["warning"], "penalty_fine_amount": 3000})
        assert names(session, case.id) == ["送达处罚决定书"]
        assert len(all_texts(session, case.id, "行政处罚事先告知书")) == 1


def test_a_fine_over_the_articles_cap_and_rectification_against_a_lawyer_are_refused(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)          # a lawyer, 《律师法》第四十八条
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        assert errors(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_fine_amount": 20000}) == [
            ("penalty_fine_amount", "maximum", "《中华人民共和国律师法》第四十八条：罚款不超过一万元")]
        # what the decider says the respondent is does not count: the form takes it from the case
        assert errors(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["firm_rectification"], "penalty_suspension_months": 3,
            "penalised_party": "firm"}) == [
            ("penalty_sanctions.0", "not",
             "停业整顿、吊销执业许可证只适用于律师事务所（《中华人民共和国律师法》第五十条），不能对律师作出")]
        assert errors(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 8}) == [
            ("penalty_suspension_months", "maximum", "《中华人民共和国律师法》第四十八条：停止执业三个月以上六个月以下")]
        assert names(session, case.id) == ["作出处罚决定"]
        # the investigator's proposal is held to the same rules
        clock.move_to(at("2025-11-04T10:00"))
        other = recommended_now(engine, session)
        do(engine, session, other.id, "立案审查", "city_chief", FILED)
        assert errors(engine, session, other.id, "调查取证", "city_worker", {**LIGHT, "proposed_fine_amount": 12000}) == [
            ("proposed_fine_amount", "maximum", "《中华人民共和国律师法》第四十八条：罚款不超过一万元")]


def test_revocation_becomes_a_proposal_to_the_province_and_the_case_continues_with_its_answer(
        engine, session, sanctions_setup):
    proposal = {**HEAVY, "violation_article": "lawyers_law_49", "proposed_sanctions": ["licence_revocation"],
                "proposed_basis": "《中华人民共和国律师法》第四十九条"}
    proposal.pop("proposed_suspension_months")
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, proposal)
        assert "吊销律师执业证书" in latest_text(session, case.id, "行政处罚事先告知书")
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, case.id, "集体讨论", "city_director", {**MEETING, "meeting_date": "2025-11-03"})
        revoke = {**DECIDED, "penalty_sanctions": ["licence_revocation"], "penalty_legal_basis": "《中华人民共和国律师法》第四十九条"}
        do(engine, session, case.id, "作出处罚决定", "city_director", revoke)
        assert names(session, case.id) == ["报送省司法厅"]            # the city decides no revocation
        assert "行政处罚决定书" not in [d.name for d in documents.case_documents(session, case.id)]
        letter = latest_text(session, case.id, "提请吊销函")
        for expected in ("市司法局", "省司法厅：", "王某某律师", "私自收取委托人代理费两万元", "吊销律师执业证书", "第三十一条"):
            assert expected in letter
        do(engine, session, case.id, "报送省司法厅", "city_worker", {
            "revocation_referred_on": "2025-11-03", "revocation_letter_number": "市司函〔2025〕8号",
            "revocation_referral_method": "delivered"})
        assert candidates(session, case.id, "登记省司法厅决定") == ["city_worker"]
        assert errors(engine, session, case.id, "登记省司法厅决定", "city_worker", {
            "province_answer": "revoked", "province_answered_on": "2025-11-03", "province_opinion": "同意吊销"}) == [
            ("province_decided_on", "required", "省司法厅决定日期为必填项"),
            ("province_decision_number", "required", "省司法厅决定书文号为必填项")]
        do(engine, session, case.id, "登记省司法厅决定", "city_worker", {
            "province_answer": "revoked", "province_answered_on": "2025-11-03", "province_opinion": "同意吊销",
            "province_decision_number": "省司罚〔2025〕3号", "province_decided_on": "2025-11-03"})
        returned = cases.get_case(session, case.id)               # the case goes on with the province's answer
        assert returned.org.code == "county-a" and returned.meta["penalty_sanctions"] == ["licence_revocation"]
        assert names(session, case.id) == ["接收处理结果"]
        do(engine, session, case.id, "接收处理结果", "chen", {"result_received_on": "2025-11-03"})
        assert "提请省司法厅吊销；省司法厅于2025-11-03决定（省司罚〔2025〕3号）对被投诉人作出行政处罚：吊销律师执业证书" \
            in latest_text(session, case.id, "答复书")


def test_a_province_that_declines_sends_the_decision_back_to_the_city(engine, session, sanctions_setup):
    proposal = {**HEAVY, "violation_article": "lawyers_law_49", "proposed_sanctions": ["licence_revocation"]}
    proposal.pop("proposed_suspension_months")
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, proposal)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, case.id, "集体讨论", "city_director", {**MEETING, "meeting_date": "2025-11-03"})
        do(engine, session, case.id, "作出处罚决定", "city_director", {**DECIDED, "penalty_sanctions": ["licence_revocation"]})
        do(engine, session, case.id, "报送省司法厅", "city_worker", {
            "revocation_referred_on": "2025-11-03", "revocation_letter_number": "市司函〔2025〕9号",
            "revocation_referral_method": "post"})
        do(engine, session, case.id, "登记省司法厅决定", "city_worker", {
            "province_answer": "declined", "province_answered_on": "2025-11-03", "province_opinion": "情节尚不属严重，退回依职权处理"})
        assert names(session, case.id) == ["作出处罚决定"]
        # a lighter kind than the notified revocation needs no new notice; Art.49: 6 to 12 months
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 12})
        assert names(session, case.id) == ["送达处罚决定书"]
        assert "停止执业12个月" in latest_text(session, case.id, "行政处罚决定书")


def test_recidivism_is_found_in_an_earlier_case_of_the_same_respondent(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        earlier = noticed(engine, session, clock, LIGHT)        # warned and fined on 2025-11-12
        do(engine, session, earlier.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, earlier.id, "法制审核", "city_legal", REVIEWED)
        clock.move_to(at("2025-11-12T10:00"))
        do(engine, session, earlier.id, "作出处罚决定", "city_director", DECIDED)
        assert cases.get_case(session, earlier.id).meta["penalty_decided_on"] == "2025-11-12"
        clock.move_to(at("2026-03-02T10:00"))                   # within a year: a second complaint, same lawyer
        case = recommended_now(engine, session)
        do(engine, session, case.id, "立案审查", "city_chief", FILED)
        data = casework.task_data(engine, session, task_named(session, case.id, "调查取证"))
        assert data["recidivism"] == "warned_again" and "第五十一条" in data["recidivism_text"]
        assert data["earlier_penalty_text"] == "〔2025〕投诉第0001号（2025-11-12）：警告、罚款"
        do(engine, session, case.id, "调查取证", "city_worker", {
            **LIGHT, "proposed_sanctions": ["practice_suspension"], "proposed_suspension_months": 3})
        do(engine, session, case.id, "送达事先告知书", "city_worker", {**SERVED, "notice_served_on": "2026-03-02"})
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {**WAIVED, "statement_received_on": "2026-03-02"})
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, case.id, "集体讨论", "city_director", {**MEETING, "meeting_date": "2026-03-02"})
        assert errors(engine, session, case.id, "作出处罚决定", "city_director", DECIDED) == [
            ("penalty_sanctions", "contains",
             "受到警告处罚后一年内又应当给予警告的，应给予停止执业三个月以上一年以下的处罚（《中华人民共和国律师法》第五十一条）")]
        do(engine, session, case.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 3})
        assert names(session, case.id) == ["送达处罚决定书"]


def test_an_earlier_suspension_ends_on_the_corresponding_day_of_its_last_month(engine, session, sanctions_setup):
    """停止执业 3 months decided on 03-31 ends on 06-30 (no 06-31: the month's last day), not on the 28th."""
    with time_machine.travel(at("2026-03-02T10:00"), tick=True) as clock:
        earlier = recommended_now(engine, session)
        do(engine, session, earlier.id, "立案审查", "city_chief", FILED)
        do(engine, session, earlier.id, "调查取证", "city_worker", {
            **LIGHT, "proposed_sanctions": ["practice_suspension"], "proposed_suspension_months": 3})
        do(engine, session, earlier.id, "送达事先告知书", "city_worker", {**SERVED, "notice_served_on": "2026-03-02"})
        do(engine, session, earlier.id, "陈述申辩与听证申请", "city_worker",
           {**WAIVED, "statement_received_on": "2026-03-02"})
        do(engine, session, earlier.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, earlier.id, "集体讨论", "city_director", {**MEETING, "meeting_date": "2026-03-02"})
        clock.move_to(at("2026-03-31T10:00"))
        do(engine, session, earlier.id, "作出处罚决定", "city_director", {
            **DECIDED, "penalty_sanctions": ["practice_suspension"], "penalty_suspension_months": 3})
        clock.move_to(at("2026-08-03T10:00"))
        case = recommended_now(engine, session)
        do(engine, session, case.id, "立案审查", "city_chief", FILED)
        data = casework.task_data(engine, session, task_named(session, case.id, "调查取证"))
        assert "（3个月，至2026-06-30期满）" in data["earlier_penalty_text"], data["earlier_penalty_text"]
        assert data["within_suspension_period"] is True


def test_the_hearing_notice_is_served_seven_working_days_before_the_hearing(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, HEAVY)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "hearing_requested": True, "hearing_date": "2025-11-17",
            "hearing_place": "市司法局第一会议室", "hearing_host": "孙主持"})
        service = task_named(session, case.id, "送达听证通知书")
        assert service.due_at == at("2025-11-07T00:00")           # the 7th working day before 11-17 is 11-06
        clock.move_to(at("2025-11-10T10:00"))                      # too late for 11-17: 11 … 19 are the 7 days
        served = {"hearing_notice_service_method": "post", "hearing_notice_served_on": "2025-11-10",
                  "hearing_notice_service_proof": "EMS1234567890", "hearing_date": "2025-11-17"}
        assert errors(engine, session, case.id, "送达听证通知书", "city_worker", served) == [
            ("hearing_date", "x-workingDaysAfter", "须在听证通知书送达日期之后第 7 个工作日或以后（最早为 2025-11-19）")]
        do(engine, session, case.id, "送达听证通知书", "city_worker", {**served, "hearing_date": "2025-11-20"})
        assert names(session, case.id) == ["送达听证通知书"]           # put off: a new notice to serve
        notices = all_texts(session, case.id, "听证通知书")
        assert len(notices) == 2 and "2025年11月20日" in notices[-1] and "市司法局第一会议室" in notices[-1]
        do(engine, session, case.id, "送达听证通知书", "city_worker", {**served, "hearing_date": "2025-11-20"})
        assert task_named(session, case.id, "举行听证").due_at == at("2025-11-21T00:00")


def test_an_unpaid_fine_gets_its_step(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        clock.move_to(at("2025-11-12T10:00"))
        do(engine, session, case.id, "作出处罚决定", "city_director", DECIDED)
        do(engine, session, case.id, "送达处罚决定书", "city_worker", {
            "decision_service_method": "direct", "decision_served_on": "2025-11-12", "decision_service_proof": "王某某签收"})
        assert names(session, case.id) == ["接收处理结果"]              # the complaint does not wait for the payment
        fine = session.scalars(select(Case).where(Case.process_key == "fine_payment")).one()
        assert fine.parent_id == case.id and fine.org.code == "city" and fine.meta["fine_amount"] == 5000
        payment = task_named(session, fine.id, "登记罚款缴纳")
        assert payment.due_at == at("2025-11-28T00:00")           # 15 days from 11-12: 11-27, a Thursday
        clock.move_to(at("2025-11-25T00:00:01"))
        fire_due_timers(engine, session)
        assert "临期提醒：〔2025〕投诉第0001号 罚款缴纳" in [
            n.title for n in notifications.unread(session, user(session, "city_worker").id)]
        assert "罚款缴纳期限还有72小时届满，请核实当事人是否已缴纳。" in [       # the row fine_remind, in its unit
            n.body for n in notifications.unread(session, user(session, "city_worker").id)]
        clock.move_to(at("2025-11-28T00:00:01"))
        fire_due_timers(engine, session)
        assert names(session, fine.id) == ["逾期未缴罚款处理"] and candidates(session, fine.id, "逾期未缴罚款处理") == ["city_chief"]
        assert cases.get_case(session, fine.id).meta["fine_status"] == "overdue"
        clock.move_to(at("2025-11-28T10:00"))
        do(engine, session, fine.id, "逾期未缴罚款处理", "city_chief", {"overdue_action": "urge", "overdue_opinion": "催缴"})
        text = latest_text(session, fine.id, "催缴罚款通知书")
        for expected in ("市司法局", "王某某律师", "〔2025〕投诉第0001号", "5000元", "2025年11月12日", "2025年11月27日",
                         "百分之三加处罚款"):
            assert expected in text
        assert cases.get_case(session, fine.id).status == "completed"


def test_a_fine_paid_in_time_is_recorded(engine, session, sanctions_setup):
    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", WAIVED)
        do(engine, session, case.id, "法制审核", "city_legal", REVIEWED)
        do(engine, session, case.id, "作出处罚决定", "city_director", DECIDED)
        do(engine, session, case.id, "送达处罚决定书", "city_worker", {
            "decision_service_method": "direct", "decision_served_on": "2025-11-03", "decision_service_proof": "签收"})
        fine = session.scalars(select(Case).where(Case.process_key == "fine_payment")).one()
        do(engine, session, fine.id, "登记罚款缴纳", "city_worker", {"fine_paid_on": "2025-11-03", "fine_receipt": "NO.0001"})
        fine = cases.get_case(session, fine.id)
        assert fine.status == "completed" and fine.meta["fine_status"] == "paid"
        assert ready(session, fine.id) == []


# --- the decision form's rules, case by case (律师法 第四十七条至第五十一条; procedures.md §2.7) ------------------------
DECIDE_FORM = "forms/complaint/penalty_decide.schema.json"
BASE = {"penalty_decision": "penalise", "penalty_reason": "违法事实清楚，证据确凿。", "penalty_legal_basis": "《中华人民共和国律师法》"}


def lawyer(article, *sanctions, recidivism="none", **more):
    return {**BASE, "penalised_party": "lawyer", "violation_article": f"lawyers_law_{article}", "recidivism": recidivism,
            "penalty_sanctions": list(sanctions), **more}


def firm(*sanctions, party="firm", recidivism="none", **more):
    return {**BASE, "penalised_party": party, "violation_article": "lawyers_law_50", "recidivism": recidivism,
            "penalty_sanctions": list(sanctions), **more}


RULES = [
    # 第五十条: 停业整顿 一个月以上六个月以下, only against a firm; fine ≤ ¥100,000; its head: warning or ≤ ¥20,000
    ("firm rectification 6 months", firm("firm_rectification", penalty_suspension_months=6), []),
    ("firm rectification 7 months", firm("firm_rectification", penalty_suspension_months=7), ["penalty_suspension_months"]),
    ("firm fine 100,000", firm("warning", "fine", penalty_fine_amount=100000), []),
    ("firm fine 100,001", firm("warning", "fine", penalty_fine_amount=100001), ["penalty_fine_amount"]),
    ("firm head fine 20,000", firm("fine", party="firm_head", penalty_fine_amount=20000), []),
    ("firm head fine 20,001", firm("fine", party="firm_head", penalty_fine_amount=20001), ["penalty_fine_amount"]),
    ("firm head suspended", firm("practice_suspension", party="firm_head", penalty_suspension_months=1),
     ["penalty_sanctions.0"]),
    ("firm suspended like a lawyer", firm("practice_suspension", penalty_suspension_months=1), ["penalty_sanctions.0"]),
    ("lawyer rectification", lawyer(48, "firm_rectification", penalty_suspension_months=2), ["penalty_sanctions.0"]),
    # 第四十七条: fine ≤ ¥5,000, 停止执业 ≤ 3 months
    ("art 47 fine 5,000", lawyer(47, "warning", "fine", penalty_fine_amount=5000), []),
    ("art 47 fine 5,001", lawyer(47, "warning", "fine", penalty_fine_amount=5001), ["penalty_fine_amount"]),
    ("art 47 suspension 3", lawyer(47, "practice_suspension", penalty_suspension_months=3), []),
    ("art 47 suspension 4", lawyer(47, "practice_suspension", penalty_suspension_months=4), ["penalty_suspension_months"]),
    # 第四十八条: fine ≤ ¥10,000, 停止执业 3–6 months
    ("art 48 fine 10,000", lawyer(48, "warning", "fine", penalty_fine_amount=10000), []),
    ("art 48 fine 10,001", lawyer(48, "warning", "fine", penalty_fine_amount=10001), ["penalty_fine_amount"]),
    ("art 48 suspension 2", lawyer(48, "practice_suspension", penalty_suspension_months=2), ["penalty_suspension_months"]),
    ("art 48 suspension 6", lawyer(48, "practice_suspension", penalty_suspension_months=6), []),
    ("art 48 suspension 7", lawyer(48, "practice_suspension", penalty_suspension_months=7), ["penalty_suspension_months"]),
    # 第四十九条: 停止执业 6–12 months (always), fine ≤ ¥50,000; serious: 吊销 by the province
    ("art 49 suspension 5", lawyer(49, "practice_suspension", penalty_suspension_months=5), ["penalty_suspension_months"]),
    ("art 49 suspension 12 and fine 50,000",
     lawyer(49, "practice_suspension", "fine", penalty_suspension_months=12, penalty_fine_amount=50000), []),
    ("art 49 suspension 13", lawyer(49, "practice_suspension", penalty_suspension_months=13), ["penalty_suspension_months"]),
    ("art 49 fine 50,001", lawyer(49, "practice_suspension", "fine", penalty_suspension_months=6,
                                  penalty_fine_amount=50001), ["penalty_fine_amount"]),
    ("art 49 fine without suspension", lawyer(49, "warning", "fine", penalty_fine_amount=5000), ["penalty_sanctions"]),
    ("art 49 revocation", lawyer(49, "licence_revocation"), []),
    # 第五十一条: warned again within a year → 停止执业 3–12 months; suspended (firm: rectified) again within two
    # years of its end where 停止执业 (停业整顿) is due again → 吊销 by the province, not another suspension
    ("warned again, warning only", lawyer(47, "warning", recidivism="warned_again"), ["penalty_sanctions"]),
    ("warned again, suspension 2", lawyer(47, "practice_suspension", recidivism="warned_again",
                                          penalty_suspension_months=2), ["penalty_suspension_months"]),
    ("warned again, suspension 12", lawyer(47, "practice_suspension", recidivism="warned_again",
                                           penalty_suspension_months=12), []),
    ("suspended again, suspension", lawyer(48, "practice_suspension", recidivism="suspended_again",
                                           penalty_suspension_months=6), ["penalty_sanctions"]),
    ("suspended again, revocation", lawyer(48, "licence_revocation", recidivism="suspended_again"), []),
    ("rectified again, rectification", firm("firm_rectification", recidivism="rectified_again",
                                            penalty_suspension_months=3), ["penalty_sanctions"]),
    ("rectified again, revocation", firm("firm_licence_revocation", recidivism="rectified_again"), []),
]


@pytest.mark.parametrize("data, refused_fields", [pytest.param(d, f, id=i) for i, d, f in RULES])
def test_the_decision_form_holds_each_articles_sanctions_and_caps(data, refused_fields):
    """Each rule of penalty_decide.schema.json through the engine's form check: a lawful decision passes, an
    unlawful one is refused on the field that breaks the article, with a message naming it."""
    form = (ROOT / DECIDE_FORM).read_bytes()
    try:
        FormCache().check(1, DECIDE_FORM, lambda: form, data)
    except DataValidationError as err:
        found = sorted({e.field for e in err.errors})
        messages = [zh(e) for e in err.errors]
    else:
        found, messages = [], []
    assert found == refused_fields, messages
    if refused_fields:                          # the form's own message, naming the article (not a generic one)
        assert any("律师法" in m for m in messages), messages
