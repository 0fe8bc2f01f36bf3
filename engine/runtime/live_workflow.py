"""The workflow classes the engine runs: SpiffWorkflow's, with two tree walks made lean.

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

`CHECK_WALKS`: set by the test suite, so that every walk in every test is checked, step by step, against
SpiffWorkflow's own iterator.
"""
from __future__ import annotations

from collections.abc import Iterator

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
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


class LiveWorkflow(_LeanWalks, BpmnWorkflow):
    """A case's workflow as the engine runs it."""

    def create_subprocess(self, my_task, spec_name):
        subprocess = LiveSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess


class LiveSubWorkflow(_LeanWalks, BpmnSubWorkflow):
    """A subprocess (embedded, called or event subprocess) of a LiveWorkflow."""
