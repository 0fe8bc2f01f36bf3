"""Workflow state: spec once per bundle version, and a compact live state per case.

A case's stored state holds only what can still run: finished history above the
live frontier is cut away after every step (and kept as audit and step rows), so
loading and saving a case costs the same after 400 loops as after one.
"""
from __future__ import annotations

import json
from copy import copy
from datetime import datetime
from uuid import UUID, SafeUUID

import orjson
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

# 1: tasks as SpiffWorkflow's TaskConverter writes them.
# 2: the same, less the fields that hold their default (see _expand_task): smaller text, so most states
#    fit in their row without overflow pages, and less to encode on every step.
STATE_FORMAT = 2
_TASK_TYPENAME = "Task"


class StateCodec:
    """Turns specs and live workflow state into JSON text and back."""

    def __init__(self) -> None:
        self.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self._encoder = create_encoder(self.registry)
        self._encode_other = self._encoder().default     # what orjson hands back: SpiffWorkflow's typed values
        # Re-registering the configured converter gives us a handle on it; the registry is unchanged.
        self._workflow_converter = SPIFF_CONFIG[BpmnWorkflow](BpmnWorkflow, self.registry)

    def _dumps(self, value) -> str:
        self.registry._encoder_mode = True
        try:
            try:
                return orjson.dumps(value, default=self._encode_other, option=_ORJSON_OPTIONS).decode()
            except orjson.JSONEncodeError:
                # What orjson refuses (integers past 64 bits, lone surrogates, a type SpiffWorkflow's encoder
                # leaves to the json module) is written as the json module writes it.
                # Serialized state is a tree of fresh dicts and lists: the circular-reference check only costs.
                return json.dumps(value, cls=self._encoder, ensure_ascii=False, separators=(",", ":"),
                                  check_circular=False)
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
        dct = _loads(text)
        spec = self.registry.restore(dct["spec"])
        subs = {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        return spec, subs

    def dump_state(self, workflow: BpmnWorkflow) -> str:
        """Serialize a workflow's live state, without its spec."""
        return self._dumps(self.state_dict(workflow))

    def state_dict(self, workflow: BpmnWorkflow) -> dict:
        """What `dump_state` writes, before it is encoded: task data is left for the encoder to convert."""
        registry = self.registry
        dct = {"format": STATE_FORMAT, **self._workflow_dict(workflow)}
        dct["subprocesses"] = {str(k): {**self._workflow_dict(sp), "parent_task_id": str(sp.parent_task_id),
                                        "spec": sp.spec.name, "typename": registry.typenames[type(sp)]}
                               for k, sp in workflow.subprocesses.items()}
        dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
        return dct

    def _workflow_dict(self, workflow) -> dict:
        """What SpiffWorkflow's workflow converter writes for a (sub)workflow, without its per-object dispatch."""
        registry = self.registry
        return {
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": self._task_dicts(workflow.tasks),
            "root": str(workflow.task_tree.id),
        }

    def _task_dicts(self, tasks: dict) -> dict:
        """Each task as SpiffWorkflow's TaskConverter writes it (data as a delta from the parent's), less defaults.

        Built here rather than through the converter: its generic dispatch, and turning each id into text
        three times over, made this the costliest part of a step's save.
        """
        convert, typenames = self.registry.convert, self.registry.typenames
        ids = {tid: str(tid) for tid in tasks}
        out = {}
        for tid, task in tasks.items():
            entry = {"children": [ids.get(child) or str(child) for child in task._children],
                     "last_state_change": task.last_state_change, "state": task.state,
                     "task_spec": task.task_spec.name}
            parent = tasks.get(task._parent)
            if parent is None:
                if task.data:
                    entry["data"] = task.data
            else:
                entry["parent"] = ids[task._parent]
                known, own = parent.data, task.data
                updates = {k: v for k, v in own.items() if k not in known or v != known[k]}
                deletions = [k for k in known if k not in own]
                if updates or deletions:
                    entry["delta"] = {"updates": updates, "deletions": deletions}
            if task.triggered:
                entry["triggered"] = True
            if task.internal_data:
                entry["internal_data"] = convert(task.internal_data)
            typename = typenames[type(task)]
            if typename != _TASK_TYPENAME:
                entry["typename"] = typename
            out[ids[tid]] = entry
        return out

    def load_state(self, text: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
        """Rebuild a workflow from its live state and an already restored spec."""
        dct = _loads(text)
        registry = self.registry
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        if dct.get("format", 1) >= 2:
            for sub in dct["subprocesses"].values():
                _expand_tasks(sub)
            self._restore_tasks(workflow, dct["tasks"])
        else:
            workflow.tasks = {UUID(k): registry.restore(v, workflow=workflow) for k, v in dct["tasks"].items()}
        workflow.task_tree = workflow.tasks[UUID(dct["root"])]
        self._workflow_converter.set_default_attributes(workflow, dct)
        self._workflow_converter.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = registry.restore(dct.get("bpmn_events", []))
        return workflow

    def _restore_tasks(self, workflow, entries: dict) -> None:
        """Restore format-2 task entries into `workflow.tasks` exactly as SpiffWorkflow's TaskConverter would.

        Done here rather than through the converter: its generic dispatch, the expanded dicts it needs and
        parsing every id three times made restoring a case the costliest part of a step on a cold cache. A plain
        task gets the attributes `Task.__init__` gives it directly (the constructor's work is all overwritten).
        """
        restore, specs, tasks = self.registry.restore, workflow.spec.task_specs, workflow.tasks
        events = workflow.top_workflow.event_manager
        ids = {key: _uuid(key) for key in entries}
        thread_id = Task.thread_id_pool
        for key, entry in entries.items():
            if "typename" in entry and entry["typename"] != _TASK_TYPENAME:
                restore(_expand_task(key, entry), workflow=workflow)     # registers itself in workflow.tasks
                continue
            spec = specs.get(entry["task_spec"])
            parent_key = entry.get("parent")
            parent_id = ids[parent_key] if parent_key is not None else None
            task = object.__new__(Task)
            task.__dict__.update(
                id=ids[key], workflow=workflow, _parent=parent_id,
                _children=[ids.get(child) or UUID(child) for child in entry["children"]],
                _state=entry["state"], triggered=entry.get("triggered", False), task_spec=spec,
                thread_id=thread_id, data=None, last_state_change=entry["last_state_change"],
                internal_data=restore(entry["internal_data"]) if "internal_data" in entry else {})
            tasks[task.id] = task
            if isinstance(spec, CatchingEvent) and task._state & TaskState.WAITING:
                events.add_task(task)
            parent = tasks.get(parent_id) if parent_id is not None else None
            if parent is None:
                task.data = _restored(restore, entry.get("data", {}))
                continue
            # A child's data: its parent's, one level copied (as DeepMerge.merge into {} does), then its delta.
            data = {k: copy(v) if isinstance(v, _MUTABLE) else v for k, v in parent.data.items()}
            delta = entry.get("delta")
            if delta:
                data.update(_restored(restore, delta["updates"]))
                for name in delta["deletions"]:
                    data.pop(name, None)
            task.data = data


def _uuid(text: str) -> UUID:
    """A UUID from its canonical text, as `UUID(text)` makes it, without re-checking a text this codec wrote."""
    made = object.__new__(UUID)
    object.__setattr__(made, "int", int(text.replace("-", ""), 16))
    object.__setattr__(made, "is_safe", SafeUUID.unknown)
    return made


# With these options orjson writes what the json module writes, handing datetimes, dataclasses and subclasses of
# the plain types to `default` (SpiffWorkflow's encoder) as the json module does. Two differences remain, for
# values no diagram helper produces: a NaN or an infinity becomes null (the json module writes a token no JSON
# parser accepts), and a UUID in task data is written as its text rather than as SpiffWorkflow's typed value.
_ORJSON_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_NON_STR_KEYS)


def _loads(text: str):
    """Parse stored JSON; what orjson refuses (NaN from older states, lone surrogates) the json module reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


_MUTABLE = (dict, list, set)
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _restored(restore, values: dict) -> dict:
    """Task data as the registry restores it; plain values, most of them, need no visit."""
    return {k: v if type(v) in _PLAIN else restore(v) for k, v in values.items()}


def _expand_tasks(dct: dict) -> None:
    """Turn format-2 task entries back into the dicts SpiffWorkflow's TaskConverter reads."""
    dct["tasks"] = {key: _expand_task(key, entry) for key, entry in dct["tasks"].items()}


def _expand_task(key: str, entry: dict) -> dict:
    parent = entry.get("parent")
    return {"id": key, "parent": parent, "triggered": False, "internal_data": {}, "data": {},
            "delta": {"updates": {}, "deletions": []} if parent is not None else {}, "typename": _TASK_TYPENAME,
            **entry}


def compact(workflow: BpmnWorkflow) -> int:
    """Cut finished history above the live frontier; return how many tasks were dropped."""
    dropped = _compact_tree(workflow)
    for sub in list(workflow.subprocesses.values()):
        dropped += _compact_tree(sub)
    return dropped


def _compact_tree(wf) -> int:
    root = wf.task_tree
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
    if wf.last_task is not None and wf.last_task.id not in keep:
        wf.last_task = anchor
    return len(dropped)


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
    """The ready, waiting and started tasks, subprocesses included, in `get_tasks` order.

    A plain walk of the definite part of the tree: SpiffWorkflow's generic iterator costs several
    times more, and the runner asks this on every step.
    """
    subprocesses = workflow.subprocesses
    found = []
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        if task.state & _OPEN:
            found.append(task)
        sub = subprocesses.get(task.id)
        if sub is not None or (task._children and task.state >= TaskState.FUTURE):
            stack.extend(reversed(task.children))
            if sub is not None:
                stack.append(sub.task_tree)
    return found


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
