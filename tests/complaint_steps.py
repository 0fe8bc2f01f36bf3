"""Shared steps for the complaint procedure's scenario tests."""
from __future__ import annotations

import io
from datetime import datetime

from docx import Document

from engine.core import people
from engine.records import documents
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ

from .helpers import ready, roundtrip

REGISTRATION = {
    "channel": "hotline_12345", "received_on": "2025-10-13", "work_order_no": "GD20251013001",
    "complainant_name": "刘某", "complainant_type": "person", "complainant_phone": "13800000001",
    "respondent_id": "L-0001", "facts": "代理合同约定出庭三次，律师未出庭且拒绝退费。", "requests": "查处并退还代理费",
}


EXPLANATION = {"explanation_received_on": "2025-10-16", "explanation_method": "in_person",
               "explanation_summary": "被投诉律师称因另案开庭时间冲突未能出庭，同意退还部分代理费。"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def user(session, name):
    return people.user_by_name(session, name)


def task_named(session, case_id, name):
    return next(t for t in ready(session, case_id) if t.name == name)


def do(engine, session, case_id, name, username, data):
    task = task_named(session, case_id, name)
    cases.complete_task(engine, session, task.id, data, user=user(session, username))
    roundtrip(engine, session, case_id)


def register(engine, session, **changes):
    case = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-a", actor="xu")
    do(engine, session, case.id, "投诉登记", "xu", {**REGISTRATION, **changes})
    return cases.get_case(session, case.id)


def review(conclusion, **extra):
    return {"in_scope": True, "has_jurisdiction": True, "materials_complete": conclusion != "supplement",
            "repeat_without_new_facts": False, "review_conclusion": conclusion, "review_opinion": "经审查", **extra}


def document_text(session, case_id, name):
    documents.render_pending(session)
    doc = next(d for d in documents.case_documents(session, case_id) if d.name == name)
    return "\n".join(p.text for p in Document(io.BytesIO(documents.document(session, case_id, doc.id).content)).paragraphs)


def accept(engine, session, **changes):
    """A complaint accepted on Thursday 2025-10-16, the respondent's explanation in, standing at 调查核实
    (60 days: the end of 12-15); `changes` change what was registered."""
    case = register(engine, session, **changes)
    do(engine, session, case.id, "初审", "chen", review("accept"))
    do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
    do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-16"})
    do(engine, session, case.id, "被投诉人书面说明", "chen", EXPLANATION)
    return case


def answers_rectification_ordered(engine, session, **changes):
    """Accepted on Thursday 2025-10-16, ordered to correct, approved and the reply served the same day: the
    限期整改通知书 waits to be served (issue 19, part "answers")."""
    case = accept(engine, session, **changes)
    do(engine, session, case.id, "调查核实", "chen", {
        "investigators": ["陈刚", "林涛"], "next_step": "report", "findings": "被投诉律师未按约出庭三次。"})
    do(engine, session, case.id, "处理意见", "chen", {"outcome": "order_correct", "outcome_reason": "未按约出庭，违反执业规范",
                                                    "legal_basis": "《律师执业管理办法》第五十条", "rectification_period": 1})
    do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
    do(engine, session, case.id, "答复送达", "chen", {"service_method": "direct", "served_on": "2025-10-16",
                                                    "service_proof": "刘某签收"})
    return case


def answers_discipline_referred(engine, session, clock):
    """Accepted, investigated, and on Monday 2025-10-20 referred to the association's discipline committee
    (`bar-discipline`, the sanctions tests' people), standing at 惩戒立案审查."""
    case = accept(engine, session)
    do(engine, session, case.id, "调查核实", "chen", {
        "investigators": ["陈刚", "林涛"], "next_step": "report",
        "findings": "被投诉律师私自收取委托人代理费两万元，未通过律师事务所统一收费，未出具票据。"})
    do(engine, session, case.id, "处理意见", "chen", {
        "outcome": "discipline_referral", "outcome_reason": "收费后不出具票据，违反行业收费规范",
        "legal_basis": "《律师执业管理办法》第五十条", "discipline_org": "bar-discipline",
        "bar_violation_category": "improper_fees"})
    clock.move_to(at("2025-10-20T10:00"))
    do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意移送律师协会"})
    return case


def investigated(engine, session, **changes):
    """An accepted complaint (handling limit: the end of Monday 2025-12-15) whose investigation is finished, standing
    at 处理意见; call inside a time_machine travel at 2025-10-16T16:00."""
    case = accept(engine, session, **changes)
    do(engine, session, case.id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "explanation_received": True,
                                                    "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。",
                                                    "next_step": "report"})
    return case


def suspended(engine, session, ground="pending_other_case"):
    """A complaint accepted and suspended (中止) on Sunday 2025-10-26 with the chief's approval (60 days of the
    handling limit left), standing at 恢复办理; call inside a time_machine travel whose clock is at 2025-10-26."""
    case = accept(engine, session)
    do(engine, session, case.id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "explanation_received": True,
                                                    "findings": "关联民事案件尚未审结，投诉事实有赖该案认定。",
                                                    "next_step": "suspend", "suspension_ground": ground})
    do(engine, session, case.id, "中止审批", "zhou", {"approved": True, "approval_opinion": "同意中止"})
    return case


LEAD_PLAN = {"lead_plan": "成立专班，两周内完成调查并组织双方沟通", "lead_members": "陈刚、林涛",
             "lead_target_date": "2025-12-31", "lead_responsibility": "陈刚负责调查取证，林涛负责回访投诉人",
             "lead_milestones": [{"milestone": "完成调查取证", "milestone_due": "2025-11-15"}]}


def accept_to_lead(engine, session, **changes):
    """A complaint registered and accepted on Monday 2025-10-13, waiting at 领导包案 when it is major."""
    case = register(engine, session, **changes)
    do(engine, session, case.id, "初审", "chen", review("accept"))
    do(engine, session, case.id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
    do(engine, session, case.id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
    return case


PETITION = {
    "petition_source": "direct", "received_on": "2025-10-13", "complainant_name": "吴某", "complainant_phone": "13900000009",
    "respondent_id": "L-0001", "facts": "律师收取代理费后未出庭，投诉后仍未退费。", "requests": "责令律师退还代理费",
}


def petition(engine, session, **changes):
    """A 信访 matter registered by the intake clerk (processes/complaint/petition.bpmn, started on its own)."""
    case = cases.start_case(engine, session, "complaint_petition", {}, org_code="county-a", actor="xu")
    do(engine, session, case.id, "信访登记", "xu", {**PETITION, **changes})
    return cases.get_case(session, case.id)


def petition_ack(on, accepted=True):
    return {"petition_accepted": accepted, "petition_ack_on": on, "petition_ack_method": "post",
            "petition_ack_note": "本局受理，按《信访工作条例》第三十一条第六项调查核实后出具信访处理意见书" if accepted
            else "不属于本机关职权范围，请向市律师协会提出"}


PETITION_OPINION = {"petition_next": "opinion", "petition_findings": "经调取代理合同和庭审记录，律师确未出庭。",
                    "petition_result": "support", "petition_opinion": "责成律师事务所督促律师退还未履行部分的代理费。",
                    "petition_basis": "《中华人民共和国律师法》第四十八条"}


def replied(engine, session, clock):
    """A complaint accepted on 2025-10-16, found unfounded, approved on 11-20 and its reply served on 11-21,
    waiting at 归档 (the clock is left at 2025-11-21)."""
    case = accept(engine, session)
    do(engine, session, case.id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "explanation_received": True,
                                                    "findings": "经调取庭审记录，律师均按约出庭。", "next_step": "report"})
    do(engine, session, case.id, "处理意见", "chen", {"outcome": "no_violation", "outcome_reason": "投诉反映的问题查证不实",
                                                    "legal_basis": "《律师执业管理办法》第五十条"})
    clock.move_to(at("2025-11-20T10:00"))
    do(engine, session, case.id, "处理决定审批", "dora", {"approved": True, "approval_opinion": "同意"})
    clock.move_to(at("2025-11-21T10:00"))
    do(engine, session, case.id, "答复送达", "chen", {"service_method": "post", "served_on": "2025-11-21",
                                                    "service_proof": "EMS1234567890", "respondent_notified": True})
    return case
