"""Workflow state: spec once per bundle version, and a compact live state per case.

A case's stored state holds only what can still run: finished history above the
live frontier is cut away after every step (and kept as audit and step rows), so
loading and saving a case costs the same after 400 loops as after one.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

STATE_FORMAT = 1


class StateCodec:
    """Turns specs and live workflow state into JSON text and back."""

    def __init__(self) -> None:
        self.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self._encoder = create_encoder(self.registry)
        # Re-registering the configured converter gives us a handle on it; the registry is unchanged.
        self._workflow_converter = SPIFF_CONFIG[BpmnWorkflow](BpmnWorkflow, self.registry)

    def _dumps(self, value) -> str:
        self.registry._encoder_mode = True
        try:
            return json.dumps(value, cls=self._encoder, ensure_ascii=False, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False

    def dump_specs(self, spec, subprocess_specs: dict) -> str:
        """Serialize a process spec and the specs it calls (done once, at deploy)."""
        return self._dumps({
            "spec": self.registry.convert(spec),
            "subprocess_specs": {k: self.registry.convert(v) for k, v in subprocess_specs.items()},
        })

    def load_specs(self, text: str):
        """Restore a process spec and its called specs."""
        dct = json.loads(text)
        spec = self.registry.restore(dct["spec"])
        subs = {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        return spec, subs

    def dump_state(self, workflow: BpmnWorkflow) -> str:
        """Serialize a workflow's live state, without its spec."""
        registry = self.registry
        dct = {
            "format": STATE_FORMAT,
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {str(k): registry.convert(t) for k, t in workflow.tasks.items()},
            "root": str(workflow.task_tree.id),
            "subprocesses": {str(k): registry.convert(sp) for k, sp in workflow.subprocesses.items()},
            "bpmn_events": registry.convert(workflow.bpmn_events),
        }
        return self._dumps(dct)

    def load_state(self, text: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
        """Rebuild a workflow from its live state and an already restored spec."""
        dct = json.loads(text)
        registry = self.registry
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = {UUID(k): registry.restore(v, workflow=workflow) for k, v in dct["tasks"].items()}
        workflow.task_tree = workflow.tasks[UUID(dct["root"])]
        self._workflow_converter.set_default_attributes(workflow, dct)
        self._workflow_converter.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = registry.restore(dct.get("bpmn_events", []))
        return workflow


def compact(workflow: BpmnWorkflow) -> int:
    """Cut finished history above the live frontier; return how many tasks were dropped."""
    dropped = _compact_tree(workflow)
    for sub in list(workflow.subprocesses.values()):
        dropped += _compact_tree(sub)
    return dropped


def _compact_tree(wf) -> int:
    root = wf.task_tree
    live = [t for t in wf.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not live:
        return 0
    anchor = _common_ancestor(live)
    if anchor is None or anchor is root or anchor.parent is root:
        return 0
    keep = {t.id for t in anchor}
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
    if wf.last_task is not None and wf.last_task.id not in keep:
        wf.last_task = anchor
    return len(dropped)


def _common_ancestor(tasks):
    paths = []
    for task in tasks:
        path = []
        node = task
        while node is not None:
            path.append(node)
            node = node.parent
        paths.append(path[::-1])
    common = None
    for nodes in zip(*paths):
        first = nodes[0]
        if any(n is not first for n in nodes):
            break
        common = first
    return common


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


def plain(value):
    """A JSON-ready copy of task data: dates become ISO text, other objects their text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)
