"""The workflow and task classes the engine runs: SpiffWorkflow's, with two tree walks and a state change made lean.

On every step SpiffWorkflow walks the task tree to find what to run next (`get_tasks(state=READY)`, once per pass
of `do_engine_steps`) and, after every task that finishes, to re-check the waiting ones (`update_waiting_tasks`).
It walks with its generic task iterator, whose cost per visited task is a filter object's checks, list
concatenations and depth bookkeeping that climbs the tree. Measured on the benchmark's diagram these walks were
about a tenth of a completion. The classes here walk with a plain stack instead, and visit and yield the same
tasks in the same order, as lazily: a task's children are taken as it is reached, before its caller acts on it.

- Only the definite part of the tree is entered, as SpiffWorkflow's iterator does for these filters: below a
  predicted task (MAYBE, LIKELY) there are only predicted tasks. A subprocess's tree is entered from its task
  (`get_tasks`, not `update_waiting_tasks`, which stays in its own workflow), before that task's children.
- One difference: SpiffWorkflow's iterator stops descending at depth 1000, which would leave a ready task deeper
  than that unrun; these walks have no such cap. Compaction keeps stored trees shallow, and a run's step budget
  keeps one run from growing a tree that deep.

A task's state change (`LiveTask._set_state`) is SpiffWorkflow's, less the log record it builds for every change:
a dict of nine fields and two state names, about a twentieth of a completion, made even when nothing reads the
`spiff.task` log. The record is still made, by SpiffWorkflow's own method, whenever that log is enabled.

`CHECK_WALKS`: set by the test suite, so that every walk in every test is checked, step by step, against
SpiffWorkflow's own iterator.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

CHECK_WALKS = False

_DEFINITE_BELOW = TaskState.FUTURE      # a task below this state (a predicted one) has only predicted tasks below it


def _lean_filter(kwargs: dict) -> int | None:
    """The state mask of a `get_tasks` call the lean walk answers: a filter by definite states and nothing else."""
    state = kwargs.get("state")
    if len(kwargs) != 1 or state is None:
        return None
    if not isinstance(state, int) or state & TaskState.PREDICTED_MASK or not state & TaskState.DEFINITE_MASK:
        return None
    return state


def tasks_in_states(workflow, state: int) -> list:
    """`workflow.get_tasks(state=state)` for a mask of definite states: subprocesses' trees included."""
    subprocesses = workflow.top_workflow.subprocesses
    found, stack = [], [workflow.task_tree]
    while stack:
        task = stack.pop()
        sub = subprocesses.get(task.id)
        children = task._children
        if children and (task._state >= _DEFINITE_BELOW or sub is not None):
            lookup = task.workflow.tasks.get
            stack.extend(lookup(child) for child in reversed(children))
        if sub is not None:
            stack.append(sub.task_tree)
        if task._state & state:
            found.append(task)
    return found


def waiting_tasks(workflow) -> Iterator:
    """The waiting tasks of one workflow's own tree, in the order SpiffWorkflow's `update_waiting_tasks` meets them,
    found as lazily: each is yielded before the walk goes on past it."""
    lookup = workflow.tasks.get
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        if task._children and task._state >= _DEFINITE_BELOW:
            stack.extend(lookup(child) for child in reversed(task._children))
        if task._state & TaskState.WAITING:
            yield task


class _LeanWalks:
    """What the engine's workflow and subworkflow classes share: the two walks."""

    def get_tasks(self, first_task=None, **kwargs) -> list:
        state = _lean_filter(kwargs) if first_task is None else None
        if state is None:
            return super().get_tasks(first_task, **kwargs)
        found = tasks_in_states(self, state)
        if CHECK_WALKS:
            expected = super().get_tasks(state=state)
            assert found == expected, f"ready walk {_names(found)} != SpiffWorkflow's {_names(expected)}"
        return found

    def update_waiting_tasks(self) -> None:
        walk = waiting_tasks(self)
        if CHECK_WALKS:
            walk = _checked(walk, TaskIterator(self.task_tree, state=TaskState.WAITING))
        for task in walk:
            task.task_spec._update(task)


def _checked(walk: Iterator, spiff: Iterator) -> Iterator:
    """The lean walk, each step compared with SpiffWorkflow's iterator taken over the same tree at the same moment."""
    for task in walk:
        expected = next(spiff, None)
        assert task is expected, f"waiting walk met {_names([task])}, SpiffWorkflow's {_names([expected])}"
        yield task
    left = next(spiff, None)
    assert left is None, f"waiting walk ended before SpiffWorkflow's, which meets {_names([left])}"


def _names(tasks: list) -> list[str]:
    return [t.task_spec.name if t is not None else "None" for t in tasks]


_TASK_LOG = logging.getLogger("spiff.task")       # SpiffWorkflow's task and workflow logs
_WORKFLOW_LOG = logging.getLogger("spiff.workflow")


class LiveTask(Task):
    """A task of a live workflow; its children are LiveTasks too."""

    def _set_state(self, value: int) -> None:
        if _TASK_LOG.isEnabledFor(logging.DEBUG if value == self._state else logging.INFO):
            super()._set_state(value)
        elif value != self._state:
            self.last_state_change = time.time()
            self._state = value

    def _add_child(self, task_spec, state: int = TaskState.MAYBE) -> "LiveTask":
        """SpiffWorkflow's `Task._add_child`, making a LiveTask."""
        if self._state & TaskState.PREDICTED_MASK and not state & TaskState.PREDICTED_MASK:
            raise WorkflowException("Attempt to add non-predicted child to predicted task", task_spec=self.task_spec)
        task = LiveTask(self.workflow, task_spec, self, state=state)
        task.thread_id = self.thread_id
        if state == TaskState.READY:
            task._ready()
        return task


def _planted(workflow, deserializing: bool) -> None:
    """What SpiffWorkflow's `Workflow.__init__` does for a new workflow, with a LiveTask as its root: the root, the
    prediction of the tasks ahead, and the root made ready. (A restored workflow gets its tasks from the codec.)"""
    if deserializing:
        return
    workflow.task_tree = LiveTask(workflow, workflow.spec.start, state=TaskState.FUTURE)
    workflow.task_tree.task_spec._predict(workflow.task_tree, mask=TaskState.NOT_FINISHED_MASK)
    if _WORKFLOW_LOG.isEnabledFor(logging.INFO):
        _WORKFLOW_LOG.info("Initialized workflow", extra=workflow.collect_log_extras())
    workflow.task_tree._ready()


class LiveWorkflow(_LeanWalks, BpmnWorkflow):
    """A case's workflow as the engine runs it."""

    def __init__(self, spec, subprocess_specs=None, script_engine=None, deserializing: bool = False):
        super().__init__(spec, subprocess_specs, script_engine, deserializing=True)
        _planted(self, deserializing)

    def create_subprocess(self, my_task, spec_name):
        subprocess = LiveSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess


class LiveSubWorkflow(_LeanWalks, BpmnSubWorkflow):
    """A subprocess (embedded, called or event subprocess) of a LiveWorkflow."""

    def __init__(self, spec, parent_task_id, top_workflow, deserializing: bool = False):
        super().__init__(spec, parent_task_id, top_workflow, deserializing=True)
        _planted(self, deserializing)
