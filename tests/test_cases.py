"""Cases of the sample process, end to end, with a save/reload round trip after every step, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.core import people
from engine.core.errors import ConflictError, DataValidationError, InvalidState, NotAllowed, NotFound
from engine.core.models import AuditEvent, Case
from engine.records import history
from engine.runtime import cases
from engine.work import case_status

from .helpers import only_ready, raises_zh, ready, roundtrip, zh

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def start(engine, session, **data):
    case = cases.start_case(engine, session, "sample_review", data, org_code="county-a", actor="alice")
    roundtrip(engine, session, case.id)
    return case


def complete(engine, session, case_id, data, username):
    task = only_ready(session, case_id)
    case = cases.complete_task(engine, session, task.id, data, user=people.user_by_name(session, username)).case
    roundtrip(engine, session, case_id)
    return case


def test_sample_runs_from_start_to_end_through_a_return(engine, session, deployed):
    case = start(engine, session)
    assert case.status == "running"
    assert case.business_number == f"〔{case.created_at.year}〕样例第0001号"
    task = only_ready(session, case.id)
    assert (task.name, task.lane, task.form) == ("填写申请", "经办人", "sample/apply.schema.json")
    assert [u.username for u in people.candidates(session, task)] == ["alice", "amy"]

    complete(engine, session, case.id, APPLY, "alice")
    review = only_ready(session, case.id)
    assert (review.name, review.lane) == ("审核", "负责人")
    assert [u.username for u in people.candidates(session, review)] == ["bob"]

    complete(engine, session, case.id, {"decision": "return", "opinion": "请补充预算"}, "bob")
    assert only_ready(session, case.id).name == "填写申请"
    complete(engine, session, case.id, {**APPLY, "amount": 5000}, "amy")
    case = complete(engine, session, case.id, {"decision": "approve", "opinion": "同意"}, "bob")

    assert case.status == "completed" and case.ended_at is not None
    assert case.title == APPLY["title"]
    assert case.meta == {"title": APPLY["title"], "decision": "approve", "result": "已通过"}
    assert ready(session, case.id) == []
    path = [s.element_id for s in history.case_path(session, case.id)]
    assert path[-4:] == ["Gateway_decision", "Script_archive", "Throw_notice", "EndEvent_approved"]
    assert path.count("Task_fill") == 2


def test_business_numbers_count_up_per_year(engine, session, deployed):
    first = start(engine, session)
    second = start(engine, session)
    assert first.business_number.endswith("第0001号")
    assert second.business_number.endswith("第0002号")


def test_invalid_form_data_reports_every_field_and_saves_nothing(engine, session, deployed):
    case = start(engine, session)
    task = only_ready(session, case.id)
    version = case.version
    state = cases.stored_state(session, case.id)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(DataValidationError) as err:
        cases.complete_task(engine, session, task.id, {"title": "x", "amount": -1, "colour": "red"},
                            user=people.user_by_name(session, "alice"))
    fields = {e.field: zh(e) for e in err.value.errors}
    assert fields == {"reason": "申请理由为必填项", "title": "至少需要 2 个字符", "amount": "不能小于 0",
                      "colour": "表单中没有这一项"}
    session.expire_all()
    assert session.get(Case, case.id).version == version
    assert cases.stored_state(session, case.id) == state
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert only_ready(session, case.id).id == task.id


def test_only_candidates_complete_a_task(engine, session, deployed):
    case = start(engine, session)
    task = only_ready(session, case.id)
    with pytest.raises(NotAllowed):     # wrong role
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "bob"))
    with pytest.raises(NotFound):       # right role in another county: the task is not there for them
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "carl"))


def test_case_naming_users_for_a_lane_overrides_the_role(engine, session, deployed):
    case = start(engine, session, lane_users={"负责人": ["cora"]})
    complete(engine, session, case.id, APPLY, "alice")
    review = only_ready(session, case.id)
    assert [u.username for u in people.candidates(session, review)] == ["cora"]
    with pytest.raises(NotAllowed):
        cases.complete_task(engine, session, review.id, {"decision": "approve", "opinion": "同意"},
                            user=people.user_by_name(session, "bob"))


def test_audit_records_who_when_what(engine, session, deployed):
    case = start(engine, session, note="初始")
    complete(engine, session, case.id, APPLY, "alice")
    events = history.case_history(session, case.id)
    assert [(e.action, e.actor) for e in events] == [("case_started", "alice"), ("task_completed", "alice")]
    assert events[0].detail["keys"] == ["note"]
    assert events[1].detail == {"element": "Task_fill", "name": "填写申请", "keys": ["reason", "title"],
                                "answer": APPLY}           # what was signed, kept with the completion
    assert all(e.at is not None for e in events)


def test_suspend_resume_terminate(engine, session, deployed):
    case = start(engine, session)
    task = only_ready(session, case.id)
    case_status.suspend_case(engine, session, case.id, actor="bob", reason="等待材料")
    roundtrip(engine, session, case.id)
    with pytest.raises(InvalidState):
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    with pytest.raises(InvalidState):
        case_status.suspend_case(engine, session, case.id)
    case_status.resume_case(engine, session, case.id, actor="bob")
    roundtrip(engine, session, case.id)
    complete(engine, session, case.id, APPLY, "alice")
    case = case_status.terminate_case(engine, session, case.id, actor="bob", reason="申请人撤回")
    roundtrip(engine, session, case.id)
    assert case.status == "terminated"
    assert ready(session, case.id) == []
    actions = [e.action for e in history.case_history(session, case.id)]
    assert actions[-4:] == ["case_suspended", "case_resumed", "task_completed", "case_terminated"]
    with pytest.raises(InvalidState):
        case_status.resume_case(engine, session, case.id)


def test_message_with_payload_reaches_the_waiting_case(engine, session, deployed):
    case = start(engine, session)
    assert cases.waiting_messages(engine, session, case.id) == ["withdraw"]
    with pytest.raises(InvalidState):
        cases.send_message(engine, session, case.id, "no_such_message", {})
    case = cases.send_message(engine, session, case.id, "withdraw", {"reason": "已协商解决"}, actor="alice")
    roundtrip(engine, session, case.id)
    assert case.status == "completed"
    assert [e.element_id for e in history.case_path(session, case.id)][-2:] == ["Boundary_withdraw",
                                                                              "EndEvent_withdrawn"]
    assert [t.status for t in cases.case_tasks(session, case.id)] == ["cancelled"]
    event = history.case_history(session, case.id)[-2]
    assert (event.action, event.detail) == ("message_received", {"message": "withdraw", "keys": ["reason"]})


def test_stale_expected_version_is_a_conflict(engine, session, deployed):
    case = start(engine, session)
    task = only_ready(session, case.id)
    with pytest.raises(ConflictError):
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"),
                            expected_version=case.version - 1)
    cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"),
                        expected_version=case.version)
    with pytest.raises(ConflictError):
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "amy"))


def test_live_state_does_not_grow_with_history(engine, session, deployed):
    case = start(engine, session)
    sizes = []
    for _ in range(60):
        complete(engine, session, case.id, APPLY, "alice")
        complete(engine, session, case.id, {"decision": "return", "opinion": "再改改"}, "bob")
        sizes.append(len(cases.stored_state(session, case.id)))
    assert max(sizes) - min(sizes) < 200, sizes
    assert len(history.case_path(session, case.id)) == 1 + 60 * 3   # start, then fill, review, gateway per loop


def test_a_rule_met_twice_is_reported_once():
    from jsonschema import Draft202012Validator

    from engine.definitions.forms import field_errors

    schema = {"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
              "allOf": [{"required": ["a", "b"]}]}
    assert [(e.field, e.rule) for e in field_errors(Draft202012Validator(schema), {})] == [
        ("a", "required"), ("b", "required")]


def test_a_process_meant_to_be_called_cannot_be_started_on_its_own(engine, session, deployed):
    with raises_zh(InvalidState, "只能由其他流程调用"):
        cases.start_case(engine, session, "penalty_procedure", {}, org_code="city")


def _refs(session, case_id):
    return [{"id": t.id, "name": t.name, "lane": t.lane} for t in ready(session, case_id)]


def test_a_completion_answers_the_tasks_the_step_opened(engine, session, deployed):
    case = start(engine, session)
    task = only_ready(session, case.id)
    done, next_tasks = cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    assert done.version == 2
    assert next_tasks == _refs(session, case.id) and next_tasks[0]["name"] == "审核"


def test_a_completion_answers_tasks_that_stay_ready(engine, session, org_tree):
    from engine.definitions import bundles
    from . import diagrams
    from .conftest import bundle_with
    bundles.deploy(session, bundle_with({"processes/test/deadlines.bpmn": diagrams.deadlines()}), engine=engine)
    case = cases.start_case(engine, session, "deadlines", {}, org_code="county-a")
    by_name = {t.name: t for t in ready(session, case.id)}
    _, next_tasks = cases.complete_task(engine, session, by_name["按表达式计时"].id, APPLY,
                                        user=people.user_by_name(session, "alice"))
    assert [t["name"] for t in next_tasks] == ["按定时器计时"]
    assert next_tasks == _refs(session, case.id)


def test_a_chinese_value_of_a_declared_field_is_found_by_keyword(engine, session, deployed):
    from engine.work import worklists

    case = start(engine, session, result="同意购置十台电脑")
    assert case.meta["result"] == "同意购置十台电脑" and "同意购置" not in (case.title or "")
    admin = people.user_by_name(session, "alice")
    found = worklists.search_cases(session, admin, q="购置十台")
    assert [c.id for c in found] == [case.id]
