"""A non-interrupting boundary timer already due when its case starts fires in the starting run; the case row
still gets the data the case started with (its reportable fields and title)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine

from engine.definitions import bundles
from engine.runtime import cases

from . import diagrams
from .conftest import bundle_with
from .diagrams import flow, process, user_task
from .helpers import ready, roundtrip

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def reminded_at_once() -> bytes:
    """A task whose reminder is due before the case starts (it fires in the starting run and ends on its own),
    and which a message may close."""
    xml = process("reminded", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_wait", name="办理"),
        '<bpmn:scriptTask id="Script_init" name="初始化"><bpmn:script>heading = applicant + "的申请"</bpmn:script>'
        '</bpmn:scriptTask>',
        diagrams.boundary_timer("Timer_remind", "Task_wait", '"2026-01-01T00:00:00+00:00"'),
        '<bpmn:scriptTask id="Script_reminded" name="已提醒"><bpmn:script>reminded = True</bpmn:script>'
        '</bpmn:scriptTask>',
        '<bpmn:boundaryEvent id="Boundary_closed" attachedToRef="Task_wait" cancelActivity="true">'
        '<bpmn:messageEventDefinition messageRef="Message_closed"/></bpmn:boundaryEvent>',
        '<bpmn:endEvent id="EndEvent"/>', '<bpmn:endEvent id="EndEvent_reminded"/>',
        '<bpmn:endEvent id="EndEvent_closed"/>',
    ], [
        flow("Flow_0", "StartEvent", "Script_init"),
        flow("Flow_1", "Script_init", "Task_wait"), flow("Flow_2", "Task_wait", "EndEvent"),
        flow("Flow_3", "Timer_remind", "Script_reminded"), flow("Flow_4", "Script_reminded", "EndEvent_reminded"),
        flow("Flow_5", "Boundary_closed", "EndEvent_closed"),
    ], lanes={"经办人": ["StartEvent", "Task_wait", "Timer_remind", "Script_reminded", "EndEvent",
                       "EndEvent_reminded", "Boundary_closed", "EndEvent_closed", "Script_init"]},
        properties={"reportableFields": "applicant,amount", "titleField": "heading"})
    return xml.replace(b"<bpmn:process ", b'<bpmn:message id="Message_closed" name="closed"/><bpmn:process ', 1)


@pytest.fixture
def reminded_bundle(session, engine, org_tree):
    return bundles.deploy(session, bundle_with({"processes/test/reminded.bpmn": reminded_at_once()}),
                          engine=engine).bundle


def test_a_timer_fired_in_the_starting_run_keeps_the_cases_fields_and_title(engine, session, reminded_bundle):
    with time_machine.travel(START, tick=True):      # a ticking clock: the ended branch changed last
        case = cases.start_case(engine, session, "reminded", {"applicant": "张三", "amount": 12},
                                org_code="county-a")
        session.commit()
        session.expire_all()
        case = cases.get_case(session, case.id)
        assert [t.name for t in ready(session, case.id)] == ["办理"]
        assert case.meta == {"applicant": "张三", "amount": 12}
        assert case.title == "张三的申请"
        roundtrip(engine, session, case.id)
        assert cases.get_case(session, case.id).meta == {"applicant": "张三", "amount": 12}
