"""Case repair (issue 21): moving a case to another step of its diagram and correcting a field, each previewed on
a copy that is rolled back, refused when it would leave the case inconsistent, audited with its reason. Both
databases; the complaint diagram as shipped."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from engine.core import AuditEvent, Case, DataValidationError, HumanTask, InvalidState
from engine.runtime import cases, repair

from .complaint_steps import at, register
from .helpers import raises_zh, ready, roundtrip


@pytest.fixture
def at_review(engine, session, complaint_setup):
    """A complaint registered on 2025-10-14, waiting at 初审."""
    with time_machine.travel(at("2025-10-14T09:00:00"), tick=False):
        case = register(engine, session)
    assert [t.name for t in ready(session, case.id)] == ["初审"]
    return case.id


def _trace(session, case_id):
    """What a refused or previewed repair must leave untouched."""
    session.commit()
    case = session.get(Case, case_id, populate_existing=True)
    tasks = session.execute(select(HumanTask.task_uuid, HumanTask.status, HumanTask.due_at)
                            .where(HumanTask.case_id == case_id).order_by(HumanTask.id)).all()
    audits = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
    return case.version, case.status, case.state, case.next_timer_at, tasks, audits


def test_a_preview_lists_the_cancelled_and_created_tasks_and_changes_nothing(engine, session, at_review):
    before = _trace(session, at_review)
    with time_machine.travel(at("2025-10-20T10:00:00"), tick=False):
        preview = repair.preview_move(engine, session, at_review, "Task_decide")
    assert preview.allowed and preview.status == "running"
    assert [(t["name"], t["lane"]) for t in preview.cancelled] == [("初审", "承办人")]
    assert [(t["name"], t["lane"]) for t in preview.created] == [("受理审查决定", "科室负责人")]
    # 受理审查决定 is due when the 10-working-day review ends: 2025-10-27 (the case's own review_deadline)
    assert preview.created[0]["due_at"] == datetime(2025, 10, 27, 16, 0, tzinfo=timezone.utc)
    assert _trace(session, at_review) == before


def test_a_move_cancels_the_open_tasks_starts_the_chosen_step_and_is_audited(engine, session, at_review):
    old = ready(session, at_review)[0]
    with time_machine.travel(at("2025-10-20T10:00:00"), tick=False):
        repair.move_case(engine, session, at_review, "Task_decide", actor="admin", reason="登记时漏填初审结论，已当面核实")
    roundtrip(engine, session, at_review)
    assert [t.name for t in ready(session, at_review)] == ["受理审查决定"]
    assert session.get(HumanTask, old.id).status == "cancelled"
    event = session.scalars(select(AuditEvent).where(AuditEvent.case_id == at_review, AuditEvent.action == "case_moved")).one()
    assert event.actor == "admin"
    assert event.detail["reason"] == "登记时漏填初审结论，已当面核实"
    assert event.detail["to"] == "Task_decide"
    # the open task and the timers waiting on it (its reminder, due and escalation events) were cancelled
    assert "初审" in event.detail["cancelled"] and "审查临期提醒" in event.detail["cancelled"]
    # 受理审查决定 has no timers of its own: 初审's reminder, due and escalation timers no longer wait
    assert session.get(Case, at_review, populate_existing=True).next_timer_at is None


def test_moving_back_to_a_step_with_timers_starts_them_again_from_the_move(engine, session, at_review):
    with time_machine.travel(at("2025-10-20T10:00:00"), tick=False):
        repair.move_case(engine, session, at_review, "Task_decide", actor="admin", reason="测试")
        repair.move_case(engine, session, at_review, "Task_preliminary", actor="admin", reason="退回初审")
    case = session.get(Case, at_review, populate_existing=True)
    # the reminder two working days before the review deadline (2025-10-28 00:00): Thursday 2025-10-23
    assert case.next_timer_at is not None and case.next_timer_at.date().isoformat() == "2025-10-23"
    assert [t.name for t in ready(session, at_review)] == ["初审"]


def test_the_moved_case_runs_on_from_the_chosen_step(engine, session, at_review):
    from .complaint_steps import do
    with time_machine.travel(at("2025-10-20T10:00:00"), tick=False):
        repair.move_case(engine, session, at_review, "Task_preliminary", actor="admin", reason="重新初审")
        assert [t.name for t in ready(session, at_review)] == ["初审"]
        from .complaint_steps import review
        do(engine, session, at_review, "初审", "chen", review("accept"))
    assert [t.name for t in ready(session, at_review)] == ["受理审查决定"]


def test_a_move_that_would_fail_at_once_is_refused_and_leaves_the_case_as_it_was(engine, session, at_review):
    """调查核实's handling timer needs the handling deadline a decision to accept computes: moving a case that was
    never accepted there would put it in error, so the move is refused, not made."""
    before = _trace(session, at_review)
    preview = repair.preview_move(engine, session, at_review, "Task_investigate")
    assert not preview.allowed
    with raises_zh(InvalidState, "handling_deadline"):
        repair.move_case(engine, session, at_review, "Task_investigate", actor="admin", reason="跳过受理")
    assert _trace(session, at_review) == before
    assert session.get(Case, at_review).status == "running"


@pytest.mark.parametrize("element, fragment", [
    ("Gateway_review", "只能选择"),                # a gateway
    ("Timer_review_due", "只能选择"),              # a boundary event
    ("Script_takeover", "只能选择"),               # inside the 领导接管 event subprocess
    ("Task_nowhere", "没有元素 Task_nowhere"),
])
def test_only_activities_and_intermediate_events_of_the_top_level_may_be_chosen(engine, session, at_review,
                                                                                  element, fragment):
    before = _trace(session, at_review)
    with raises_zh(InvalidState, fragment):
        repair.move_case(engine, session, at_review, element, actor="admin", reason="测试")
    assert _trace(session, at_review) == before
    assert element not in {t.element_id for t in repair.move_targets(engine, session.get(Case, at_review))}


def test_a_repair_needs_a_reason(engine, session, at_review):
    before = _trace(session, at_review)
    with pytest.raises(DataValidationError) as info:
        repair.move_case(engine, session, at_review, "Task_decide", actor="admin", reason="  ")
    assert [e.field for e in info.value.errors] == ["reason"]
    assert _trace(session, at_review) == before


def test_a_case_in_error_is_moved_and_runs_again(engine, session, at_review):
    cases.mark_failed(engine, session, at_review, "system", "测试：流程出错")
    assert session.get(Case, at_review).status == "error"
    repair.move_case(engine, session, at_review, "Task_decide", actor="admin", reason="出错后移至受理审查决定")
    case = session.get(Case, at_review, populate_existing=True)
    assert (case.status, case.error) == ("running", None)
    assert [t.name for t in ready(session, at_review)] == ["受理审查决定"]


def test_a_finished_or_suspended_case_is_not_repaired(engine, session, at_review):
    from engine.work import case_status
    case_status.suspend_case(engine, session, at_review, actor="admin", reason="中止")
    with raises_zh(InvalidState, "已挂起"):
        repair.move_case(engine, session, at_review, "Task_decide", actor="admin", reason="测试")
    with raises_zh(InvalidState, "已挂起"):
        repair.correct_field(engine, session, at_review, "facts", "新事实", actor="admin", reason="测试")


@time_machine.travel(at("2025-10-15T10:00:00"), tick=False)
def test_a_field_is_corrected_with_its_value_before_and_after_in_the_audit(engine, session, at_review):
    preview = repair.preview_correction(engine, session, at_review, "work_order_no", "GD20251013009")
    assert preview.allowed and preview.changed == [("work_order_no", "GD20251013001", "GD20251013009")]
    repair.correct_field(engine, session, at_review, "work_order_no", "GD20251013009", actor="admin",
                         reason="工单号录入错误")
    roundtrip(engine, session, at_review)
    fields = repair.correctable_fields(engine, session, session.get(Case, at_review))
    assert fields["work_order_no"] == "GD20251013009"
    event = session.scalars(select(AuditEvent).where(AuditEvent.case_id == at_review,
                                                     AuditEvent.action == "case_field_corrected")).one()
    assert event.detail == {"reason": "工单号录入错误", "field": "work_order_no", "before": "GD20251013001",
                            "after": "GD20251013009"}


@time_machine.travel(at("2025-10-15T10:00:00"), tick=False)
def test_correcting_a_deadline_field_moves_the_open_tasks_due(engine, session, at_review):
    """初审 is due at the case's review_deadline: correcting it recomputes the open task's due moment."""
    preview = repair.preview_correction(engine, session, at_review, "review_deadline", "2025-10-30T00:00:00+08:00")
    assert preview.allowed
    repair.correct_field(engine, session, at_review, "review_deadline", "2025-10-30T00:00:00+08:00",
                         actor="admin", reason="收到日期核实有误")
    assert ready(session, at_review)[0].due_at == datetime(2025, 10, 29, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("name, value, where, fragment", [
    ("received_on", 5, "value", "应为文本"),                         # the registration form asks for text
    ("received_on", "2025-13-40", "value", ""),                  # not a date
    ("repeat_count", "三", "value", "同一类型（数字）"),                        # no form asks for it: keeps its kind
    ("no_such_field", "x", "field", "no_such_field"),
    ("_lane_users", {}, "field", "_lane_users"),                 # engine variables are not corrected
    ("work_order_no", "GD20251013001", "value", "已是"),          # the value it holds already
])
@time_machine.travel(at("2025-10-15T10:00:00"), tick=False)
def test_a_bad_correction_is_refused_naming_the_input_and_nothing_changes(engine, session, at_review,
                                                                          name, value, where, fragment):
    before = _trace(session, at_review)
    with raises_zh(DataValidationError, fragment) as info:
        repair.correct_field(engine, session, at_review, name, value, actor="admin", reason="测试")
    assert [e.field for e in info.value.errors] == [where]
    assert _trace(session, at_review) == before
