"""Compaction: the live state keeps only what can still run, cut after every step.

After each step the finished history above the live frontier (the deepest task every open task descends from) is
cut from the task tree of the workflow and of each subprocess; the frontier task is hung under the root. What was
cut is kept elsewhere, as `case_step` and `audit_event` rows, so loading and saving a case costs the same after
400 loops as after one. The readers of the live frontier (`open_tasks`, `next_timer`) sit here too: they walk what
compaction leaves.

What compaction makes unsafe, and deploy therefore refuses or nobody may build on:
- Compensation (compensate event definitions, compensation boundary events, `isForCompensation` activities): it
  re-runs handlers of activities that finished, and those tasks are gone. SpiffWorkflow 3.2 parses a compensate
  event as a plain none event, so such a diagram would run silently wrong; validation refuses it.
- History-based reset: SpiffWorkflow's `reset_from_task_id` (and `Task.reset_branch`) rewinds the tree to an
  earlier task, which only works while that task is still in the tree. Whoever builds sending a case back (驳回)
  must model it in the diagram (a flow back to the earlier task, as the shipped processes do) or re-run from
  the recorded path, never reset to a task id taken before the last step: compaction has cut it away, and
  `reset_from_task_id` then fails with SpiffWorkflow's TaskNotFoundException.
"""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .live_workflow import tasks_in_states


def compact(workflow: BpmnWorkflow) -> int:
    """Cut finished history above the live frontier; return how many tasks were dropped."""
    dropped = _compact_tree(workflow)
    for sub in list(workflow.subprocesses.values()):
        dropped += _compact_tree(sub)
    return dropped


def _compact_tree(wf) -> int:
    root = wf.task_tree
    chain = _finished_chain(wf.tasks, root)
    if chain is not None:
        # The frontier below a chain of finished tasks: the chain and its finished leaves are all there is to cut.
        path, dropped = chain
        if len(path) < 2:
            return 0
        anchor = path[-1]
    else:
        live = [t for t in wf.tasks.values() if not t.state & TaskState.FINISHED_MASK]
        if not live:
            return 0
        anchor = _common_ancestor(live)
        if anchor is None or anchor is root or anchor.parent is root:
            return 0
        keep = _subtree_ids(wf.tasks, anchor.id)
        keep.add(root.id)
        dropped = [tid for tid in wf.tasks if tid not in keep]
    top = wf.top_workflow
    for tid in dropped:
        if tid in top.subprocesses:
            top.delete_subprocess(wf.tasks[tid])
    anchor._parent = root.id
    root._children = [anchor.id]
    for tid in dropped:
        del wf.tasks[tid]
    if wf.last_task is not None and wf.last_task.id not in wf.tasks:     # what is left is what was kept
        wf.last_task = anchor
    return len(dropped)


def _finished_chain(tasks: dict, root) -> tuple[list, list] | None:
    """What most steps leave: from the root down, finished tasks each with one child that goes on (its other
    children finished leaves: a boundary event cancelled, a branch not taken), to the first unfinished task. That
    task is the deepest one every open task descends from, found without a walk of the tree. Answers the tasks
    below the root down to it, and the ids of those above it and of the finished leaves beside them; None when a
    finished task has two children that go on, or none (the general case)."""
    path, dropped, node = [], [], root
    while node._state & TaskState.FINISHED_MASK:
        onward = None
        for child_id in node._children:
            child = tasks.get(child_id)
            if child is None:
                return None
            if child._state & TaskState.FINISHED_MASK and not child._children:
                dropped.append(child_id)
            elif onward is not None:
                return None
            else:
                onward = child
        if onward is None:
            return None
        if node is not root:
            dropped.append(node.id)
        path.append(onward)
        node = onward
    return path, dropped


def _common_ancestor(tasks):
    """The deepest task all the given tasks are (or descend from); None when they share no root."""
    path = []                   # the first task and its ancestors, from the bottom up
    node = tasks[0]
    while node is not None:
        path.append(node)
        node = node.parent
    height = {id(n): i for i, n in enumerate(path)}
    highest = 0
    for task in tasks[1:]:      # climb from each task only until it meets the first one's path
        node = task
        while id(node) not in height:
            node = node.parent
            if node is None:
                return None
        highest = max(highest, height[id(node)])
    return path[highest]


def _subtree_ids(tasks: dict, top) -> set:
    """Ids of the task `top` and all its descendants."""
    found, stack = set(), [top]
    while stack:
        tid = stack.pop()
        found.add(tid)
        stack.extend(tasks[tid]._children)
    return found


_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def open_tasks(workflow: BpmnWorkflow) -> list:
    """The ready, waiting and started tasks, subprocesses included, in `get_tasks` order: the lean walk of the
    definite part of the tree (live_workflow.py), which the runner asks for on every step."""
    return tasks_in_states(workflow, _OPEN)


_TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


def next_timer(workflow) -> datetime | None:
    """The earliest moment a waiting timer of the workflow is due, if any."""
    due = []
    for event in workflow.waiting_events():
        if event.event_type not in _TIMER_EVENTS or event.value is None:
            continue
        value = event.value.get("next") if isinstance(event.value, dict) else event.value
        if isinstance(value, str) and not value.upper().startswith("P"):
            due.append(TimerEventDefinition.get_datetime(value))
    return min(due) if due else None
