"""The engine's workflow classes (engine/runtime/live_workflow.py): SpiffWorkflow's, with lean tree walks and a
lean state change.

The whole suite runs with `CHECK_WALKS` on (conftest.py): every walk of every test is compared with SpiffWorkflow's
own iterator. The tests here drive a diagram with every kind of nesting side by side with plain SpiffWorkflow, show
that the check itself can fail, and that a stored case comes back as the engine's classes.
"""
from __future__ import annotations

import logging

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.runtime import live_workflow
from engine.runtime.compaction import open_tasks
from engine.runtime.engine import Engine
from engine.runtime.live_workflow import LiveSubWorkflow, LiveTask, LiveWorkflow

from .test_state_parity import APPLY, _parsed, mixed

OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _shape(workflow, state=TaskState.ANY_MASK) -> list[tuple[str, str]]:
    """The tasks SpiffWorkflow's own iterator finds, by spec and state, in its order (ids differ between runs)."""
    found = BpmnWorkflow.get_tasks(workflow, state=state)
    return [(t.task_spec.name, TaskState.get_name(t.state)) for t in found]


def _step(workflow) -> bool:
    workflow.refresh_timers()
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if not ready:
        return False
    ready[0].data.update(APPLY)
    ready[0].run()
    return True


def test_a_live_workflow_runs_step_for_step_as_spiffworkflow_runs_it():
    """Timers (one due), a boundary event, parallel multi-instance, an embedded subprocess and a call activity."""
    engine = Engine()
    spec, subs = _parsed(mixed(), "mixed")
    live = LiveWorkflow(spec, subs, script_engine=engine.script_engine)
    plain = BpmnWorkflow(spec, subs, script_engine=engine.script_engine)
    kinds, steps = set(), 0
    while True:
        going = _step(live)
        assert _step(plain) == going
        assert _shape(live) == _shape(plain)
        # The lean walk answers what the generic one does, subprocess trees included.
        assert live.get_tasks(state=OPEN) == BpmnWorkflow.get_tasks(live, state=OPEN)
        assert open_tasks(live) == BpmnWorkflow.get_tasks(live, state=OPEN)       # the runner's frontier, the same walk
        kinds |= {type(sub) for sub in live.subprocesses.values()}
        assert _task_classes(live) == {LiveTask}
        if not going:
            break
        steps += 1
    assert live.is_completed() and plain.is_completed()
    assert steps >= 6
    assert kinds == {LiveSubWorkflow}        # embedded and called subprocesses alike are the engine's class


def test_filters_the_lean_walk_does_not_answer_go_to_spiffworkflow():
    engine = Engine()
    spec, subs = _parsed(mixed(), "mixed")
    live = LiveWorkflow(spec, subs, script_engine=engine.script_engine)
    live.refresh_timers()
    live.do_engine_steps()
    for kwargs in ({"state": TaskState.MAYBE}, {"state": TaskState.READY, "manual": True}, {"spec_name": "Task_a"},
                   {"state": TaskState.COMPLETED}):
        assert live.get_tasks(**kwargs) == BpmnWorkflow.get_tasks(live, **kwargs)
    assert [t.task_spec.name for t in live.get_tasks(state=TaskState.READY, manual=True)] == ["Task_a", "Task_late"]


def test_the_check_against_spiffworkflow_fails_on_a_wrong_walk(monkeypatch):
    """The suite-wide check is not a formality: a walk that misses a task is caught, for each of the two walks."""
    assert live_workflow.CHECK_WALKS
    engine = Engine()
    spec, subs = _parsed(mixed(), "mixed")
    live = LiveWorkflow(spec, subs, script_engine=engine.script_engine)
    live.refresh_timers()
    live.do_engine_steps()
    monkeypatch.setattr(live_workflow, "tasks_in_states", lambda wf, state: [])
    with pytest.raises(AssertionError, match="ready walk"):
        live.get_tasks(state=TaskState.READY)
    monkeypatch.setattr(live_workflow, "waiting_tasks", lambda wf: iter(()))
    with pytest.raises(AssertionError, match="ended before SpiffWorkflow's"):
        live.update_waiting_tasks()       # Task_a's boundary events wait


def test_a_stored_case_comes_back_as_the_engine_classes():
    engine = Engine()
    spec, subs = _parsed(mixed(), "mixed")
    live = LiveWorkflow(spec, subs, script_engine=engine.script_engine)
    for _ in range(4):           # Task_a, Task_late, then the two instances of Task_many: into the subprocess
        _step(live)
    live.refresh_timers()
    live.do_engine_steps()
    assert live.subprocesses
    text = engine.codec.dump_state(live)
    assert '"typename":"BpmnWorkflow"' in text and "LiveWorkflow" not in text     # stored as SpiffWorkflow's
    restored = engine.codec.load_state(text, spec, subs, engine.script_engine)
    assert type(restored) is LiveWorkflow
    assert {type(sub) for sub in restored.subprocesses.values()} == {LiveSubWorkflow}
    assert _shape(restored, OPEN) == _shape(live, OPEN)
    assert "LiveTask" not in text and _task_classes(restored) == {LiveTask}


def _task_classes(workflow) -> set[type]:
    """The classes of every task of a workflow and its subprocesses."""
    tasks = [*workflow.tasks.values(), *(t for sub in workflow.subprocesses.values() for t in sub.tasks.values())]
    return {type(task) for task in tasks}


def _state_log(caplog, level: int, workflow_class) -> list[tuple[str, str, str]]:
    """What the `spiff.task` log records while a workflow of the class runs its first steps, with the log at a level."""
    engine = Engine()
    spec, subs = _parsed(mixed(), "mixed")
    caplog.clear()
    with caplog.at_level(level, logger="spiff"):
        workflow = workflow_class(spec, subs, script_engine=engine.script_engine)
        for _ in range(3):
            _step(workflow)
    return [(r.name, r.getMessage(), getattr(r, "task_spec", None), getattr(r, "state", None))
            for r in caplog.records if r.name in ("spiff.task", "spiff.workflow")]


def test_state_changes_are_logged_as_spiffworkflow_logs_them_when_the_log_is_enabled(caplog):
    live = _state_log(caplog, logging.INFO, LiveWorkflow)
    assert live == _state_log(caplog, logging.INFO, BpmnWorkflow)
    assert ("spiff.task", "State changed to READY", "Task_a", "READY") in live
    assert ("spiff.workflow", "Initialized workflow") in [entry[:2] for entry in live]
    debug = _state_log(caplog, logging.DEBUG, LiveWorkflow)
    assert debug == _state_log(caplog, logging.DEBUG, BpmnWorkflow)
    assert any(message.startswith("State set to") for _, message, _, _ in debug)      # a state set again
    assert _state_log(caplog, logging.WARNING, LiveWorkflow) == []
