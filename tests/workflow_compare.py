"""Compare two workflows task by task: a live one with its restored copy, or two restores of one state."""
from __future__ import annotations

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.runtime.live_workflow import LiveSubWorkflow, LiveTask, LiveWorkflow

# SpiffWorkflow's own serializer, configured as its Spiff parser's workflows need, with none of lawflow's converters.
# It writes the engine's workflow classes as the SpiffWorkflow classes they extend (they add no state).
UPSTREAM = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_UPSTREAM_CLASS = {LiveWorkflow: BpmnWorkflow, LiveSubWorkflow: BpmnSubWorkflow, LiveTask: Task}
for _live, _upstream in _UPSTREAM_CLASS.items():
    UPSTREAM.registry.typenames[_live] = UPSTREAM.registry.typenames[_upstream]


def task_fields(task) -> dict:
    """Everything a task carries from one step to the next."""
    return {"type": _UPSTREAM_CLASS.get(type(task), type(task)), "id": task.id, "task_spec": task.task_spec.name, "state": task.state,
            "data": task.data, "internal_data": task.internal_data, "parent": task._parent,
            "children": list(task._children), "last_state_change": task.last_state_change,
            "triggered": task.triggered}


def workflow_fields(workflow) -> dict:
    """What a (sub)workflow carries besides its tasks."""
    return {"spec": workflow.spec.name, "data": workflow.data, "correlations": workflow.correlations,
            "success": workflow.success, "completed": workflow.completed, "root": workflow.task_tree.id,
            "last_task": workflow.last_task.id if workflow.last_task is not None else None,
            "task_ids": list(workflow.tasks)}


def assert_same_workflow(expected, actual) -> None:
    """`actual` holds every task, subprocess and event of `expected`, field by field."""
    _assert_same_tree(expected, actual)
    assert list(actual.subprocesses) == list(expected.subprocesses)
    for sub_id, sub in expected.subprocesses.items():
        restored = actual.subprocesses[sub_id]
        assert restored.parent_task_id == sub.parent_task_id
        _assert_same_tree(sub, restored)
    convert = UPSTREAM.registry.convert
    assert convert(actual.bpmn_events) == convert(expected.bpmn_events)
    assert _waiting(actual) == _waiting(expected)


def _assert_same_tree(expected, actual) -> None:
    assert workflow_fields(actual) == workflow_fields(expected)
    for tid, task in expected.tasks.items():
        assert task_fields(actual.tasks[tid]) == task_fields(task), task.task_spec.name


def _waiting(workflow) -> list:
    # As a set: a live run lists its waiting events in the order they began waiting (parallel branches interleave),
    # a restore in the order of the task tree.
    return sorted(((e.name, e.event_type, e.value) for e in workflow.waiting_events()), key=repr)
