"""lawflow's stored state against SpiffWorkflow's own serializer: both restores hold the same tasks, field by field.

Each workflow is driven step by step; at every step it is written by SpiffWorkflow's BpmnWorkflowSerializer and by
lawflow's codec, and both are restored and compared with the live workflow, whole and after compaction. A state
in SpiffWorkflow's full format loads through lawflow's load path, and one marked with an older serializer version
goes through SpiffWorkflow's migrations first.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from lxml import etree

from engine.definitions import limit_tables
from engine.runtime.case_context import running
from engine.runtime.compaction import compact
from engine.runtime.engine import Engine

from . import diagrams
from .diagrams import flow, user_task
from .workflow_compare import UPSTREAM, assert_same_workflow

ROOT = Path(__file__).resolve().parents[1]
APPLY = {"title": "购置办公设备", "reason": "现有设备老化", "when": datetime(2025, 10, 13, 9, tzinfo=timezone.utc),
         "span": timedelta(days=2), "rows": [{"甲": 1}, {"乙": [2, 3]}]}
RETURN = {"decision": "return", "opinion": "请补充"}
APPROVE = {"decision": "approve", "opinion": "同意"}


def mixed() -> dict[str, bytes]:
    """Timers (one due, one waiting), a parallel multi-instance task, an embedded subprocess and a call activity."""
    inner = ('<bpmn:subProcess id="Sub_inner" name="内部">'
             '<bpmn:startEvent id="Inner_start"/>' + user_task("Inner_task", name="内部任务")
             + '<bpmn:endEvent id="Inner_end"/>' + flow("Inner_1", "Inner_start", "Inner_task")
             + flow("Inner_2", "Inner_task", "Inner_end") + '</bpmn:subProcess>')
    many = ('<bpmn:userTask id="Task_many" name="会签"><bpmn:multiInstanceLoopCharacteristics>'
            '<bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>')
    parent = diagrams.process("mixed", [
        '<bpmn:startEvent id="StartEvent"/>', user_task("Task_a", name="办理"),
        diagrams.boundary_timer("Timer_due", "Task_a", '"2000-01-01T00:00:00+08:00"'),
        diagrams.boundary_timer("Timer_wait", "Task_a", '"P2D"', kind="timeDuration"),
        user_task("Task_late", name="督办"), '<bpmn:endEvent id="End_late"/>', '<bpmn:endEvent id="End_wait"/>',
        many, inner, '<bpmn:callActivity id="Call_child" calledElement="child_flow"/>',
        '<bpmn:endEvent id="EndEvent"/>',
    ], [
        flow("F1", "StartEvent", "Task_a"), flow("F2", "Task_a", "Task_many"), flow("F3", "Task_many", "Sub_inner"),
        flow("F4", "Sub_inner", "Call_child"), flow("F5", "Call_child", "EndEvent"),
        flow("F6", "Timer_due", "Task_late"), flow("F7", "Task_late", "End_late"), flow("F8", "Timer_wait", "End_wait"),
    ])
    child = diagrams.process("child_flow", [
        '<bpmn:startEvent id="Child_start"/>', user_task("Child_task", name="子任务"), '<bpmn:endEvent id="Child_end"/>',
    ], [flow("C1", "Child_start", "Child_task"), flow("C2", "Child_task", "Child_end")])
    return {"mixed.bpmn": parent, "child.bpmn": child}


def _parsed(files: dict[str, bytes], key: str):
    parser = SpiffBpmnParser()
    for name, content in files.items():
        if name.endswith(".dmn"):
            parser.add_dmn_xml(etree.fromstring(content), filename=name)
        else:
            parser.add_bpmn_xml(etree.fromstring(content), filename=name)
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def _shipped(folder: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((ROOT / "processes" / folder).iterdir())
            if p.suffix in (".bpmn", ".dmn")}


@pytest.fixture(scope="module")
def engine():
    return Engine()


@contextmanager
def sample_limits(engine):
    """The sample's timers call `limit_due`, which reads the running case's bundle: driven outside a case, its
    limit helpers answer from the shipped table (forms/sample/limits.json) as from a bundle's."""
    table = json.loads((ROOT / "forms/sample/limits.json").read_text(encoding="utf-8"))
    engine.limit_tables[(0, "forms/sample/limits.json")] = limit_tables.rows_by_name(table)
    definition = SimpleNamespace(bundle_id=0, file_path="processes/sample/sample_review.bpmn", properties={})
    case = SimpleNamespace(definition_id=0, definition=definition)
    with running(SimpleNamespace(engine=engine, session=None, case=case)):
        yield


@pytest.fixture(autouse=True)
def _sample_runs_with_its_limits(engine):
    with sample_limits(engine):
        yield


def _check_parity(engine, workflow, spec, subs) -> None:
    """SpiffWorkflow's restore, lawflow's restore of what lawflow stores, and of what SpiffWorkflow writes, agree."""
    upstream_text = UPSTREAM.serialize_json(workflow)
    by_upstream = UPSTREAM.deserialize_json(upstream_text)
    assert_same_workflow(workflow, by_upstream)
    by_lawflow = engine.codec.load_state(engine.codec.dump_state(workflow), spec, subs, engine.script_engine)
    assert_same_workflow(by_upstream, by_lawflow)
    from_upstream_text = engine.codec.load_state(upstream_text, spec, subs, engine.script_engine)
    assert_same_workflow(by_upstream, from_upstream_text)


def _drive(engine, workflow, spec, subs, answers) -> int:
    """Complete ready human tasks (each with the next answer), checking parity whole and compacted at every step."""
    steps = 0
    workflow.refresh_timers()
    workflow.do_engine_steps()
    while True:
        _check_parity(engine, workflow, spec, subs)
        compact(workflow)
        _check_parity(engine, workflow, spec, subs)
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            return steps
        task = ready[0]
        task.data.update(answers[min(steps, len(answers) - 1)])
        task.run()
        steps += 1
        workflow.refresh_timers()
        workflow.do_engine_steps()


def test_the_sample_review_restores_as_spiffworkflow_restores_it(engine):
    spec, subs = _parsed(_shipped("sample"), "sample_review")
    workflow = BpmnWorkflow(spec, subs, script_engine=engine.script_engine)
    assert _drive(engine, workflow, spec, subs, [APPLY, RETURN, APPLY, APPROVE]) >= 4
    assert workflow.is_completed()


def test_timers_multi_instance_and_subprocesses_restore_as_spiffworkflow_restores_them(engine):
    spec, subs = _parsed(mixed(), "mixed")
    workflow = BpmnWorkflow(spec, subs, script_engine=engine.script_engine)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    names = {t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    assert names == {"Task_a", "Task_late"}          # the due timer fired; the other one waits
    seen = set()
    steps = 0
    while not workflow.is_completed() and steps < 12:
        _check_parity(engine, workflow, spec, subs)
        compact(workflow)
        _check_parity(engine, workflow, spec, subs)
        seen |= {t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)}
        seen |= {sub.spec.name for sub in workflow.subprocesses.values()}
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(APPLY)
        task.run()
        workflow.refresh_timers()
        workflow.do_engine_steps()
        steps += 1
    assert workflow.is_completed()
    assert {"Timer_wait", "Task_many", "Inner_task", "Child_task", "Sub_inner", "child_flow"} <= seen


def test_the_complaint_procedure_restores_as_spiffworkflow_restores_it(engine, session, complaint_setup):
    """Started as a case (its limits, `limit_due`, are read from its bundle version while the case runs)."""
    from engine.runtime import cases

    case = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-a", actor="xu")
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    workflow = engine.load_workflow(session, case)
    _check_parity(engine, workflow, spec, subs)
    assert workflow.get_tasks(state=TaskState.READY, manual=True)


def _state_marked(engine, version: str | None):
    """A sample-review state in SpiffWorkflow's full format, its serializer version replaced (or removed)."""
    spec, subs = _parsed(_shipped("sample"), "sample_review")
    workflow = BpmnWorkflow(spec, subs, script_engine=engine.script_engine)
    workflow.do_engine_steps()
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update({"title": "t", "reason": "r"})
    task.run()
    workflow.do_engine_steps()
    dct = json.loads(UPSTREAM.serialize_json(workflow))
    del dct["serializer_version"]
    if version is not None:
        dct["serializer_version"] = version
    return workflow, spec, subs, dct


def test_a_state_from_an_older_serializer_goes_through_spiffworkflows_migration(engine, monkeypatch):
    workflow, spec, subs, dct = _state_marked(engine, "1.4")
    seen = []

    def migration(full):            # SpiffWorkflow's 1.4 -> 1.5 migration, watched
        seen.append(set(full))
        MIGRATIONS_BEFORE["1.4"](full)
        full["data"]["migrated"] = True         # proves the migrated dict is what is restored

    MIGRATIONS_BEFORE = dict(MIGRATIONS)
    monkeypatch.setitem(MIGRATIONS, "1.4", migration)
    restored = engine.codec.load_state(json.dumps(dct), spec, subs, engine.script_engine)
    assert len(seen) == 1 and {"spec", "subprocess_specs", "tasks"} <= seen[0] and "serializer_version" not in seen[0]
    assert restored.data.pop("migrated") is True
    assert_same_workflow(workflow, restored)


def test_a_lawflow_state_from_an_older_serializer_is_migrated_in_full_format(engine, monkeypatch):
    workflow, spec, subs, _ = _state_marked(engine, None)
    stored = json.loads(engine.codec.dump_state(workflow))
    assert stored["serializer_version"] == VERSION and stored["format"] == 2
    stored["serializer_version"] = "1.4"
    seen = []
    monkeypatch.setitem(MIGRATIONS, "1.4", seen.append)
    spec_text = engine.codec.dump_specs(spec, subs)
    restored = engine.codec.load_state(json.dumps(stored), spec, subs, engine.script_engine,
                                       spec_text=lambda: spec_text)
    assert len(seen) == 1 and seen[0]["spec"] == json.loads(spec_text)["spec"]
    assert all("id" in task and task["typename"] == "Task" for task in seen[0]["tasks"].values())
    assert_same_workflow(workflow, restored)


def test_states_written_before_the_version_mark_load_without_migration(engine, monkeypatch):
    workflow, spec, subs, dct = _state_marked(engine, None)
    stored = json.loads(engine.codec.dump_state(workflow))
    del stored["serializer_version"], stored["typename"]
    calls = []
    monkeypatch.setattr(type(engine.codec._serializer), "migrate", lambda self, dct: calls.append(dct))
    for text in (json.dumps(dct), json.dumps(stored)):
        assert_same_workflow(workflow, engine.codec.load_state(text, spec, subs, engine.script_engine))
    assert calls == []


def test_specs_carry_the_serializer_version(engine):
    spec, subs = _parsed(_shipped("sample"), "sample_review")
    text = engine.codec.dump_specs(spec, subs)
    assert json.loads(text)["serializer_version"] == VERSION
    restored, _ = engine.codec.load_specs(text)
    assert restored.name == spec.name and restored.task_specs.keys() == spec.task_specs.keys()


def test_reset_to_a_task_compaction_cut_away_fails(engine):
    """Why 驳回 must be drawn as a flow back, never built on reset: compaction leaves nothing to reset to."""
    spec, subs = _parsed(_shipped("sample"), "sample_review")
    workflow = BpmnWorkflow(spec, subs, script_engine=engine.script_engine)
    workflow.do_engine_steps()
    first = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    first.data.update(APPLY)
    first.run()
    workflow.do_engine_steps()
    assert compact(workflow) > 0 and first.id not in workflow.tasks
    with pytest.raises(TaskNotFoundException):
        workflow.reset_from_task_id(first.id)


def test_the_registry_restores_spiffworkflows_full_format_on_its_own(engine):
    spec, subs = _parsed(_shipped("sample"), "sample_review")
    workflow = BpmnWorkflow(spec, subs, script_engine=engine.script_engine)
    workflow.do_engine_steps()
    restored = engine.codec.registry.restore(json.loads(UPSTREAM.serialize_json(workflow)))
    assert restored.spec is not spec and restored.spec.name == spec.name
    assert_same_workflow(workflow, restored)
