"""The 信访 track (§2.3.4, processes/complaint/petition.bpmn): its limits under 《信访工作条例》 (15 日 to tell the
petitioner, 60 日 to handle with one 30-日 extension and its notice, 复查 and 复核 30 日 each), a matter already
handled not accepted again, and a complainant who contests the complaint's reply (G12) routed and recorded."""
from __future__ import annotations

import pytest
import time_machine

from engine.core.errors import DataValidationError
from engine.core import people
from engine.records import history, notifications
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers

from .complaint_steps import (
    PETITION_OPINION, at, do, document_text, petition, petition_ack, ready, task_named, user,
)


def _names(session, case_id):
    return sorted(t.name for t in ready(session, case_id))


def test_a_petition_runs_its_limits_acknowledge_handle_extend_and_review(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:            # Monday
        case = petition(engine, session)
        assert case.business_number == "〔2025〕信访第0001号" and case.meta["petition_status"] == "registered"
        ack = task_named(session, case.id, "书面告知信访人")
        assert ack.due_at == at("2025-10-29T00:00")            # 15 日 from receipt: the end of 10-28
        assert [u.username for u in people.candidates(session, ack)] == ["chen"]
        clock.move_to(at("2025-10-15T10:00"))
        do(engine, session, case.id, "书面告知信访人", "chen", petition_ack("2025-10-15"))
        handle = task_named(session, case.id, "办理信访事项")
        assert handle.due_at == at("2025-12-16T00:00")          # 60 日 from 10-15 is Sunday 12-14: rolls to 12-15
        assert cases.get_case(session, case.id).meta["petition_status"] == "accepted"

        clock.move_to(at("2025-12-01T10:00"))
        do(engine, session, case.id, "办理信访事项", "chen",
           {"petition_next": "extend", "petition_findings": "已调取代理合同，尚需询问律师事务所",
            "petition_extension_reason": "需向律师事务所和法院调查核实"})
        do(engine, session, case.id, "延期审批", "dora", {"approved": True, "approval_opinion": "同意延期 30 日"})
        handle = task_named(session, case.id, "办理信访事项")
        assert handle.due_at == at("2026-01-15T00:00")          # + 30 日: 2026-01-14, a Wednesday
        text = document_text(session, case.id, "信访事项延期告知书")
        for expected in ("吴某", "〔2025〕信访第0001号", "需向律师事务所和法院调查核实", "2026年1月14日", "第三十四条"):
            assert expected in text
        assert cases.get_case(session, case.id).meta["petition_extended"] is True
        do(engine, session, case.id, "办理信访事项", "chen",           # a second extension is not offered
           {"petition_next": "extend", "petition_findings": "同上", "petition_extension_reason": "仍需调查"})
        assert _names(session, case.id) == ["办理信访事项"]
        assert task_named(session, case.id, "办理信访事项").due_at == at("2026-01-15T00:00")

        clock.move_to(at("2025-12-10T10:00"))
        do(engine, session, case.id, "办理信访事项", "chen", PETITION_OPINION)
        text = document_text(session, case.id, "信访处理意见书")
        for expected in ("吴某", "王某某律师", "责令律师退还代理费", "予以支持", "责成律师事务所督促律师退还",
                         "《中华人民共和国律师法》第四十八条", "之日起30日内请求本机关的上一级机关复查"):
            assert expected in text
        do(engine, session, case.id, "送达信访处理意见书", "chen",
           {"petition_service_method": "post", "petition_served_on": "2025-12-10"})
        assert cases.get_case(session, case.id).meta["petition_status"] == "replied"
        wait = task_named(session, case.id, "登记复查请求")
        assert wait.due_at == at("2026-01-10T00:00")            # 30 日 from service: 2026-01-09, a Friday

        clock.move_to(at("2025-12-22T10:00"))
        do(engine, session, case.id, "登记复查请求", "xu", {"request_on": "2025-12-19", "request_reason": "认为退费数额不足"})
        review = task_named(session, case.id, "复查")
        assert review.due_at == at("2026-01-20T00:00")          # 30 日 from 12-19 is Sunday 01-18: rolls to 01-19
        assert cases.get_case(session, case.id).meta["petition_status"] == "review"
        clock.move_to(at("2026-01-13T00:00:01"))                 # 5 working days before 01-19: the end of 01-12
        fire_due_timers(engine, session)
        [note] = [n for n in notifications.unread(session, user(session, "chen").id) if n.kind == "reminder"]
        assert "复查" in note.title and note.body == "距复查期限还有5个工作日。"
        clock.move_to(at("2026-01-20T00:00:01"))
        fire_due_timers(engine, session)
        assert "督办（复查逾期）" in _names(session, case.id)
        do(engine, session, case.id, "复查", "chen",
           {"review_result": "upheld", "review_opinion": "原处理意见认定事实清楚，予以维持。", "review_on": "2026-01-20"})
        text = document_text(session, case.id, "信访事项复查意见书")
        assert "维持原处理意见" in text and "吴某" in text and "复核" in text

        # 复核 (第三十六条): requested within 30 日 of the 复查意见's service, answered within 30 日 of the request
        clock.move_to(at("2026-01-21T10:00"))
        do(engine, session, case.id, "督办（复查逾期）", "zhou", {"supervision_note": "复查已逾期一日，请说明原因"})
        do(engine, session, case.id, "送达复查意见书", "chen",
           {"petition_service_method": "post", "petition_served_on": "2026-01-21"})
        assert cases.get_case(session, case.id).meta["petition_status"] == "reviewed"
        assert "登记复核请求" in _names(session, case.id)                  # Timer_re_review_window waits on it
        clock.move_to(at("2026-02-02T10:00"))
        do(engine, session, case.id, "登记复核请求", "xu", {"request_on": "2026-02-02", "request_reason": "仍认为退费数额不足"})
        re_review = task_named(session, case.id, "复核")
        assert re_review.due_at == at("2026-03-05T00:00")       # 30 日 from 02-02: Wednesday 03-04
        assert cases.get_case(session, case.id).meta["petition_status"] == "re_review"
        clock.move_to(at("2026-02-10T10:00"))
        do(engine, session, case.id, "复核", "chen",
           {"review_result": "upheld", "review_opinion": "复查意见认定事实清楚，退费数额适当，予以维持。",
            "review_on": "2026-02-10"})
        text = document_text(session, case.id, "信访事项复核意见书")
        for expected in ("信访事项复核意见书", "〔2025〕信访第0001号", "吴某", "王某某律师", "维持复查意见",
                         "退费数额适当", "《信访工作条例》第三十六条", "不再受理"):
            assert expected in text, expected
        do(engine, session, case.id, "送达复核意见书", "chen",
           {"petition_service_method": "post", "petition_served_on": "2026-02-10"})
        closed = cases.get_case(session, case.id)
        assert closed.status == "completed" and closed.meta["petition_status"] == "re_reviewed"
        assert closed.meta["petition_re_review_result"] == "upheld"

        # 复核终结: the same matter filed again is not accepted (第三十六条第三款; 第十九条)
        again = petition(engine, session)
        assert cases.get_case(session, again.id).meta["petition_status"] == "not_accepted"
        assert _names(session, again.id) == ["送达不予受理告知书"]
        assert closed.business_number in document_text(session, again.id, "不予受理告知书")
        assert cases.get_case(session, case.id).meta["petition_review_result"] == "upheld"


def test_nobody_asks_for_review_in_30_days_and_the_opinion_stands(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = petition(engine, session)
        do(engine, session, case.id, "书面告知信访人", "chen", petition_ack("2025-10-13"))
        do(engine, session, case.id, "办理信访事项", "chen", PETITION_OPINION)
        clock.move_to(at("2025-10-20T10:00"))
        do(engine, session, case.id, "送达信访处理意见书", "chen",
           {"petition_service_method": "direct", "petition_served_on": "2025-10-20"})
        clock.move_to(at("2025-11-19T23:59"))                  # 30 日 from 10-20: the end of 11-19
        fire_due_timers(engine, session)
        assert _names(session, case.id) == ["登记复查请求"]
        clock.move_to(at("2025-11-20T00:00:01"))
        fire_due_timers(engine, session)
        case = cases.get_case(session, case.id)
        assert case.status == "completed" and case.meta["petition_status"] == "replied"
        assert history.case_path(session, case.id)[-1].element_id == "End_petition_replied"


def test_the_handling_limit_escalates_to_the_section_chief_then_the_leader(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        case = petition(engine, session)
        do(engine, session, case.id, "书面告知信访人", "chen", petition_ack("2025-10-13"))
        assert task_named(session, case.id, "办理信访事项").due_at == at("2025-12-13T00:00")   # Friday 12-12
        clock.move_to(at("2025-12-13T00:00:01"))
        fire_due_timers(engine, session)
        supervise = task_named(session, case.id, "督办（信访办理逾期）")
        assert [u.username for u in people.candidates(session, supervise)] == ["zhou"]
        clock.move_to(at("2025-12-18T00:00:01"))               # 3 working days later: the end of 12-17
        fire_due_timers(engine, session)
        escalate = task_named(session, case.id, "领导督办（信访办理逾期）")
        assert [u.username for u in people.candidates(session, escalate)] == ["dora"]


def test_an_opinion_without_its_result_and_basis_is_refused_by_field(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = petition(engine, session)
        do(engine, session, case.id, "书面告知信访人", "chen", petition_ack("2025-10-13"))
        task = task_named(session, case.id, "办理信访事项")
        with pytest.raises(DataValidationError) as err:
            cases.complete_task(engine, session, task.id, {"petition_next": "opinion", "petition_findings": "已核实"},
                                user=user(session, "chen"))
        assert {e.field for e in err.value.errors} == {"petition_result", "petition_opinion", "petition_basis"}


def test_a_transferred_matter_is_checked_in_5_working_days(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = petition(engine, session, petition_source="transferred", transferred_from="市信访局")
        check = task_named(session, case.id, "审查转送事项")
        assert check.due_at == at("2025-10-21T00:00")            # 5 working days: the end of 10-20
        do(engine, session, case.id, "审查转送事项", "chen",
           {"transfer_objection": True, "transfer_objection_reason": "所涉律师在外省执业，不属于本局职权范围"})
        case = cases.get_case(session, case.id)
        assert case.status == "completed" and case.meta["petition_status"] == "returned"


def test_a_matter_already_being_handled_is_not_accepted_again_with_a_notice(engine, session, complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        first = petition(engine, session)
        do(engine, session, first.id, "书面告知信访人", "chen", petition_ack("2025-10-13"))
        other = petition(engine, session, requests="要求律师书面道歉")          # another matter: accepted as usual
        assert _names(session, other.id) == ["书面告知信访人"]
        again = petition(engine, session, complainant_name="郑某", complainant_phone="13900000010")
        again = cases.get_case(session, again.id)
        assert again.meta["petition_repeat"] is True and again.meta["petition_status"] == "not_accepted"
        assert _names(session, again.id) == ["送达不予受理告知书"]
        assert task_named(session, again.id, "送达不予受理告知书").due_at == at("2025-10-29T00:00")
        text = document_text(session, again.id, "不予受理告知书")
        for expected in ("郑某", again.business_number, first.business_number, "不予受理", "第十九条", "王某某律师"):
            assert expected in text
        do(engine, session, again.id, "送达不予受理告知书", "chen",
           {"petition_service_method": "post", "petition_served_on": "2025-10-13"})
        assert history.case_path(session, again.id)[-1].element_id == "End_petition_refused"


def test_a_complaint_from_the_petition_channel_follows_the_petition_limits(engine, session, complaint_setup):
    from .complaint_steps import register
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case = register(engine, session, channel="petition", work_order_no="")
        assert _names(session, case.id) == ["书面告知信访人"]                 # no 初审: the 信访 limits apply
        assert task_named(session, case.id, "书面告知信访人").due_at == at("2025-10-29T00:00")
        do(engine, session, case.id, "书面告知信访人", "chen", petition_ack("2025-10-13"))
        assert task_named(session, case.id, "办理信访事项").due_at == at("2025-12-13T00:00")
        meta = cases.get_case(session, case.id).meta
        assert meta["petition_status"] == "accepted" and meta["channel"] == "petition"
        again = petition(engine, session, complainant_name="郑某", requests="查处并退还代理费")   # the same matter
        assert cases.get_case(session, again.id).meta["petition_status"] == "not_accepted"
        assert case.business_number in document_text(session, again.id, "不予受理告知书")


def _contest(engine, session, case_id, route, on):
    from .complaint_steps import user as _user
    assert "contest_reply" in cases.waiting_messages(engine, session, case_id)
    cases.send_message(engine, session, case_id, "contest_reply", {"note": "投诉人来电表示不服"}, actor="chen")
    do(engine, session, case_id, "登记不服答复及救济途径", "chen",
       {"contest_route": route, "contest_on": on, "contest_body": "市司法局", "contest_reason": "认为调查不充分"})


def test_a_contested_reply_to_administrative_review_is_recorded_with_its_result(engine, session, complaint_setup):
    from .complaint_steps import replied
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = replied(engine, session, clock)
        clock.move_to(at("2025-12-01T10:00"))
        _contest(engine, session, case.id, "administrative_review", "2025-11-28")
        assert _names(session, case.id) == ["归档", "登记复议或诉讼结果"]
        result = task_named(session, case.id, "登记复议或诉讼结果")
        with pytest.raises(DataValidationError) as err:
            cases.complete_task(engine, session, result.id, {"contest_result": "kept", "contest_result_on": "2025-12-01",
                                                             "contest_result_note": "维持"}, user=user(session, "chen"))
        assert [e.field for e in err.value.errors] == ["contest_result"]
        do(engine, session, case.id, "登记复议或诉讼结果", "chen",
           {"contest_result": "upheld", "contest_result_on": "2025-12-01", "contest_result_note": "复议机关维持答复"})
        do(engine, session, case.id, "归档", "chen", {"archive_no": "2025-TS-0001"})
        case = cases.get_case(session, case.id)
        assert case.status == "completed"
        assert case.meta["contest_route"] == "administrative_review" and case.meta["contest_result"] == "upheld"
        assert case.meta["contest_in_time"] is True                          # within 60 日 of service


def test_a_contested_reply_to_petition_review_runs_the_review_stage(engine, session, complaint_setup):
    from .complaint_steps import replied
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = replied(engine, session, clock)
        assert "contest_reply" in cases.waiting_messages(engine, session, case.id)
        clock.move_to(at("2025-12-24T10:00"))
        _contest(engine, session, case.id, "petition_review", "2025-12-24")       # 33 days after service: late
        review = task_named(session, case.id, "复查")
        assert review.due_at == at("2026-01-24T00:00")                        # 30 日 from 12-24: Friday 01-23
        do(engine, session, case.id, "复查", "chen",
           {"review_result": "changed", "review_opinion": "责成重新调查律师出庭情况。", "review_on": "2025-12-24"})
        text = document_text(session, case.id, "信访事项复查意见书")
        assert "刘某" in text and "变更原处理意见" in text and "责成重新调查" in text
        do(engine, session, case.id, "送达复查意见书", "chen",
           {"petition_service_method": "post", "petition_served_on": "2025-12-24"})
        clock.move_to(at("2026-01-24T00:00:01"))                              # no 复核 asked within 30 日
        fire_due_timers(engine, session)
        assert _names(session, case.id) == ["归档"]
        meta = cases.get_case(session, case.id).meta
        assert meta["contest_route"] == "petition_review" and meta["contest_result"] == "changed"
        assert meta["contest_in_time"] is False                            # 33 days: past the 30 日 of 第三十五条


@pytest.mark.parametrize("rolls_over, in_time", [(True, True), (False, False)], ids=["rolls over", "does not roll"])
def test_a_contest_window_ending_on_a_rest_day_follows_its_rows_roll_over_rule(engine, session, complaint_setup,
                                                                                rolls_over, in_time):
    """A window of the table (`administrative_review_window`, set here to 30 日) counted from service on Friday
    2025-11-21 ends on Sunday 12-21: the row's `rolls_over` says whether that last day rolls to Monday 12-22
    (`limit_due`; `add_days` always rolled), so an application made on Monday is in time only when it does."""
    import json

    from engine.definitions import drafts, limit_tables

    from .complaint_steps import replied

    draft = drafts.create(session, engine, actor="policy", name="期限调整")
    table = json.loads(drafts.files(session, draft.id)["forms/complaint/limits.json"])
    next(r for r in table["limits"] if r["name"] == "administrative_review_window").update(
        value=30, rolls_over=rolls_over)
    drafts.put(session, engine, draft.id, "forms/complaint/limits.json", limit_tables.table_bytes(table), actor="policy")
    drafts.publish_draft(session, engine, draft.id, actor="policy")
    with time_machine.travel(at("2025-10-16T16:00"), tick=False) as clock:
        case = replied(engine, session, clock)
        clock.move_to(at("2025-12-22T10:00"))                                  # Monday
        _contest(engine, session, case.id, "administrative_review", "2025-12-22")
        do(engine, session, case.id, "登记复议或诉讼结果", "chen",
           {"contest_result": "upheld", "contest_result_on": "2025-12-22", "contest_result_note": "复议机关维持答复"})
        assert cases.get_case(session, case.id).meta["contest_in_time"] is in_time
