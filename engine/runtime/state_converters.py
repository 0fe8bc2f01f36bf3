"""lawflow's converters in SpiffWorkflow's serializer registry: the live state without its spec, in format 2.

Format 2 is what SpiffWorkflow's TaskConverter writes, less what holds its default: a task's id (it is the key
of its entry), a root task's parent, `triggered` when false, empty `internal_data`, empty `data` or `delta`, and
the typename of a plain Task. Smaller text means most states fit in their row without overflow pages and there
is less to encode on every step. The converters read SpiffWorkflow's full entries too (format 1, migrations).

The workflow converter hands its task converter the id texts it has already made (`ids`), so each id is turned
into text once rather than three times; the task converter restores data values that are plain JSON without
visiting them. Both were measurable parts of a step's save and of a cold load.
"""
from __future__ import annotations

from copy import copy
from functools import lru_cache
from uuid import UUID, SafeUUID

from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter, BpmnWorkflowConverter, TaskConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .live_workflow import LiveSubWorkflow, LiveTask, LiveWorkflow

_TASK_TYPENAME = "Task"
# A task id's text, made once: every step writes each live task of its case again, and `str(UUID)` costs
# several times a cache lookup. Ids are immutable and never reused; the bound keeps the memory small.
id_text = lru_cache(maxsize=32768)(str)
_MUTABLE = (dict, list, set)
_PLAIN = frozenset({str, int, float, bool, type(None)})
_PLAIN_TASKS = frozenset({Task, LiveTask})      # written under SpiffWorkflow's typename of a plain Task


class LiveTaskConverter(TaskConverter):
    """SpiffWorkflow's TaskConverter, writing format 2 and reading both it and the full format."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        if target_class is Task:
            registry.live_task_converter = self     # `tasks_to_dict` writes plain tasks through it directly
            registry.register(LiveTask, self.to_dict, self.from_dict, self.typename)

    def to_dict(self, task, ids: dict | None = None) -> dict:
        """A task as TaskConverter writes it (data as a delta from the parent's), less default-valued fields.

        With `ids` (id -> text, from the workflow converter) the id is the entry's key and is left out.
        """
        if ids is None:
            ids = {}
        parent_id = task._parent
        entry = {"children": [ids.get(child) or str(child) for child in task._children],
                 "last_state_change": task.last_state_change, "state": task._state,
                 "task_spec": task.task_spec.name}
        parent = task.workflow.tasks.get(parent_id)
        if parent is None:
            if task.data:
                entry["data"] = task.data       # left for the encoder to convert, as SpiffWorkflow's is
        else:
            entry["parent"] = ids.get(parent_id) or str(parent_id)
            known, own = parent.data, task.data
            # Changed names in the parent's order, then new ones: the order `from_dict` rebuilds the data in, so a
            # restored task writes the same text (a multi-instance child may have gained a name its parent has later).
            updates = {k: own[k] for k in known if k in own and own[k] != known[k]}
            updates.update((k, v) for k, v in own.items() if k not in known)
            deletions = [k for k in known if k not in own]
            if updates or deletions:
                entry["delta"] = {"updates": updates, "deletions": deletions}
        if task.triggered:
            entry["triggered"] = True
        if task.internal_data:
            entry["internal_data"] = self.registry.convert(task.internal_data)
        if not ids:
            entry["id"] = str(task.id)
        return entry

    def from_dict(self, dct: dict, workflow, task_id: UUID | None = None, ids: dict | None = None):
        """A task made by its constructor, as TaskConverter makes it, from a format-2 or a full entry."""
        ids = ids or {}
        restore = self.registry.restore
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = LiveTask(workflow, task_spec, state=dct["state"], id=task_id or UUID(dct["id"]))
        parent_key = dct.get("parent")
        task._parent = (ids.get(parent_key) or UUID(parent_key)) if parent_key is not None else None
        task._children = [ids.get(child) or UUID(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct.get("triggered", False)
        internal = dct.get("internal_data")
        task.internal_data = restore(internal) if internal else {}
        if isinstance(task_spec, CatchingEvent) and task._state & TaskState.WAITING:
            workflow.top_workflow.event_manager.add_task(task)
        parent = workflow.tasks.get(task._parent) if task._parent is not None else None
        if parent is None:
            task.data = _restored(restore, dct.get("data") or {})
            return task
        # A child's data: its parent's, one level copied (as DeepMerge.merge into {} does), then its delta.
        data = {k: copy(v) if isinstance(v, _MUTABLE) else v for k, v in parent.data.items()}
        delta = dct.get("delta")
        if delta:
            data.update(_restored(restore, delta.get("updates", {})))
            for name in delta.get("deletions", ()):
                data.pop(name, None)
        task.data = data
        return task


class _LiveTasks:
    """The task mapping of a (sub)workflow, written and read through the registry's Task converter."""

    def to_dict(self, workflow) -> dict:
        """What SpiffWorkflow's WorkflowConverter writes, tasks in format 2."""
        registry = self.registry
        return {
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": id_text(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": self.tasks_to_dict(workflow.tasks),
            "root": id_text(workflow.task_tree.id),
        }

    def tasks_to_dict(self, tasks: dict) -> dict:
        """Each task through its registered converter, with the id texts made once for all of them.

        The registry's own dispatch, as `convert` does it: DefaultRegistry.convert passes no keyword arguments on.
        """
        registry = self.registry
        to_dict, typenames = registry.convert_to_dict, registry.typenames
        # A plain Task goes straight to lawflow's converter: the registry's wrapper would add the typename that
        # format 2 leaves out (a dict update and a delete per task, on every step).
        converter = getattr(registry, "live_task_converter", None)
        plain = converter.to_dict if converter is not None and typenames.get(LiveTask) == _TASK_TYPENAME else None
        ids = {tid: id_text(tid) for tid in tasks}
        out = {}
        for tid, task in tasks.items():
            if plain is not None and type(task) in _PLAIN_TASKS:
                entry = plain(task, ids=ids)
            else:
                entry = to_dict[typenames[type(task)]](task, ids=ids)
                if entry["typename"] == _TASK_TYPENAME:
                    del entry["typename"]
            out[ids[tid]] = entry
        return out

    def tasks_from_dict(self, entries: dict, workflow) -> None:
        """Restore each entry into `workflow.tasks` (a task's constructor registers it there).

        Each entry goes to the function the registry holds for its typename, as `restore` does, less the copy of
        the entry `restore` makes to drop the typename: format 2 leaves a plain Task's out, and the copy was a
        measurable part of a cold load.
        """
        from_dict = self.registry.convert_from_dict
        ids = {key: _uuid(key) for key in entries}
        for key, entry in entries.items():
            from_dict[entry.get("typename", _TASK_TYPENAME)](entry, workflow=workflow, task_id=ids[key], ids=ids)


class LiveWorkflowConverter(_LiveTasks, BpmnWorkflowConverter):
    """SpiffWorkflow's BpmnWorkflowConverter, without the spec: it is stored once per bundle version. It restores
    the engine's LiveWorkflow, and writes one under BpmnWorkflow's typename: the two are the same to a stored text."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        registry.register(LiveWorkflow, self.to_dict, self.from_dict, self.typename)

    def to_dict(self, workflow) -> dict:
        dct = super().to_dict(workflow)
        dct["subprocesses"] = {str(k): self.registry.convert(sp) for k, sp in workflow.subprocesses.items()}
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict, spec=None, subprocess_specs=None, script_engine=None):
        """The workflow, run by the given (deployed) spec; a spec in the text served only its migration.

        Without a given spec, the text's own is restored, as SpiffWorkflow's converter does.
        """
        if spec is None:
            spec = self.registry.restore(dct["spec"])
            subprocess_specs = self.mapping_from_dict(dct.get("subprocess_specs", {}))
        workflow = LiveWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        self.tasks_from_dict(dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks[UUID(dct["root"])]
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


class LiveSubWorkflowConverter(_LiveTasks, BpmnSubWorkflowConverter):
    """SpiffWorkflow's BpmnSubWorkflowConverter, tasks in format 2, restoring the engine's LiveSubWorkflow."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        registry.register(LiveSubWorkflow, self.to_dict, self.from_dict, self.typename)

    def to_dict(self, workflow) -> dict:
        dct = super().to_dict(workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct: dict, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = LiveSubWorkflow(spec, task.id, top_workflow, deserializing=True)
        self.tasks_from_dict(dct["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


# SpiffWorkflow's own configuration, with lawflow's converters for the workflow, its subprocesses and tasks.
LIVE_STATE_CONFIG = {**SPIFF_CONFIG, BpmnWorkflow: LiveWorkflowConverter, BpmnSubWorkflow: LiveSubWorkflowConverter,
                     Task: LiveTaskConverter}


def expanded_tasks(entries: dict) -> dict:
    """Format-2 task entries written out whole, as SpiffWorkflow's TaskConverter writes them (full entries stay)."""
    return {key: _expanded(key, entry) for key, entry in entries.items()}


def _expanded(key: str, entry: dict) -> dict:
    parent = entry.get("parent")
    return {"id": key, "parent": parent, "triggered": False, "internal_data": {}, "data": {},
            "delta": {"updates": {}, "deletions": []} if parent is not None else {}, "typename": _TASK_TYPENAME,
            **entry}


def _uuid(text: str) -> UUID:
    """A UUID from its canonical text, as `UUID(text)` makes it, without re-checking a text this codec wrote."""
    made = object.__new__(UUID)
    object.__setattr__(made, "int", int(text.replace("-", ""), 16))
    object.__setattr__(made, "is_safe", _UNKNOWN_SAFETY)
    return made


_UNKNOWN_SAFETY = SafeUUID.unknown      # an enum member costs a descriptor call on every access


def _restored(restore, values: dict) -> dict:
    """Task data as the registry restores it; plain values, most of them, need no visit."""
    return {k: v if type(v) in _PLAIN else restore(v) for k, v in values.items()}
