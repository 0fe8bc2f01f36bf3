"""Case repair for policy staff: move a case to another step of its diagram, or correct one of its fields.

Moving (what Camunda calls instance modification) cancels every open step of the case — its tasks, its waiting
events and timers, the subprocesses they run in — and starts the case again before the chosen element of the
process's top level, with the case's current data. The element's boundary events (reminders, escalations) start
with it, so its deadlines count from the move. Only activities and intermediate events of the top level may be
chosen: a gateway, a start or end event, a boundary event or a step inside a subprocess would leave a case that no
path of its diagram produces.

Correcting sets one field of the case's data to a new value, checked against what the process's forms say the
field may hold; open tasks' deadlines are computed again, since a deadline may count from a corrected date.

Both are one audited transaction (`cases.mutate_case`), with the reason, and a preview: the same change run on a
copy in a transaction that is rolled back, listing the tasks it would cancel and create and their deadlines.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from ..core.db import rolled_back_session
from ..core.errors import DataValidationError, FieldError, EngineError, InvalidState, NotFound
from ..core.messages import Msg
from ..core.models import Case, HumanTask
from ..core.vocabulary import FORM_PROPERTY
from ..definitions.bundles import bundle_file
from ..definitions.forms import DATA_FORMATS, NO_FETCH, field_errors, form_validator_class
from .cases import RUN_ERRORS, case_for_write, case_tasks, mutate_case
from .failures import describe_failure
from .compaction import _common_ancestor, open_tasks
from .instance import Instance, latest_data
from .task_sync import _properties

# Elements a case may be moved before: activities and intermediate events.
MOVABLE_KINDS = frozenset({
    "UserTask", "ManualTask", "ScriptTask", "BusinessRuleTask", "CallActivity", "ServiceTask", "SendTask",
    "ReceiveTask", "NoneTask", "IntermediateCatchEvent", "IntermediateThrowEvent", "SubWorkflowTask",
    "TransactionSubprocess",
})
# A case may be repaired while it runs, or in error (a move or a correction is how an administrator puts right a
# case whose step keeps failing); a suspended case is resumed first.
REPAIRABLE = ("running", "error")
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class Target:
    """An element a case may be moved before."""

    element_id: str
    name: str
    kind: str


@dataclass
class RepairPreview:
    """What a move or correction would do: the tasks it cancels and creates, or why it cannot be done."""

    allowed: bool
    reasons: list[Msg] = field(default_factory=list)
    cancelled: list[dict] = field(default_factory=list)   # {name, lane, due_at}
    created: list[dict] = field(default_factory=list)     # {name, lane, due_at, due_provisional}
    status: str | None = None                             # the case's status after it
    changed: list[tuple[str, Any, Any]] = field(default_factory=list)   # (field, before, after): a correction


def move_targets(engine, case: Case) -> list[Target]:
    """The elements of the case's process (top level) a case may be moved before, in diagram order."""
    spec, _ = engine.specs(case.definition_id, lambda: case.definition)
    triggered = set(getattr(spec.start, "trigger_specs", []) or ())    # event subprocesses start only on their event
    found = []
    for ts in spec.task_specs.values():
        kind = type(ts).__name__
        if kind in MOVABLE_KINDS and getattr(ts, "bpmn_id", None) and ts.name not in triggered:
            found.append(Target(ts.bpmn_id, ts.bpmn_name or ts.bpmn_id, kind))
    return found


def correctable_fields(engine, session: Session, case: Case) -> dict[str, Any]:
    """The case's fields a correction may change, with their current values (engine variables, named with a
    leading underscore, are not among them)."""
    data = _case_data(engine, session, case)
    return {k: v for k, v in sorted(data.items()) if not k.startswith("_")}


def move_case(engine, session: Session, case_id: int, element_id: str, *, actor: str, reason: str) -> Case:
    """Move a case before `element_id` of its top-level process, cancelling every open step; audited."""
    reason = _reason(reason)
    case = case_for_write(session, case_id)
    target = _target(engine, case, element_id)
    was = case.status

    def change(instance: Instance) -> None:
        cancelled = _restart_before(instance.workflow, target)
        case.status, case.error = "running", None
        instance.audit("case_moved", reason=reason, to=element_id, to_name=target.bpmn_name or element_id,
                       cancelled=cancelled, status_before=was)
        _run_or_refuse(instance)

    return mutate_case(engine, session, case, actor, change, statuses=REPAIRABLE)


def correct_field(engine, session: Session, case_id: int, name: str, value: Any, *, actor: str,
                  reason: str) -> Case:
    """Set one field of the case's data to `value` (checked against the process's forms); audited."""
    reason = _reason(reason)
    case = case_for_write(session, case_id)
    if case.status not in REPAIRABLE:
        session.rollback()
        raise InvalidState(Msg("repair.wrong_status"), case=case_id, status=case.status)
    current = _case_data(engine, session, case)
    if name.startswith("_") or name not in current:
        session.rollback()
        raise _refused(Msg("repair.unknown_field", field=name), "field")
    before = current[name]
    if before == value:
        session.rollback()
        raise _refused(Msg("repair.same_value", field=name), "value")
    _check_value(engine, session, case, name, value)

    def change(instance: Instance) -> None:
        for task in open_tasks(instance.workflow):
            task.data[name] = value
        instance.recompute_due = True
        instance.audit("case_field_corrected", reason=reason, field=name, before=before, after=value)
        _run_or_refuse(instance)

    return mutate_case(engine, session, case, actor, change, statuses=REPAIRABLE)


def preview_move(engine, session: Session, case_id: int, element_id: str) -> RepairPreview:
    """The move run on a copy in a transaction that is rolled back: nothing is saved."""
    return _preview(engine, session, case_id,
                    lambda twin, s: move_case(twin, s, case_id, element_id, actor="preview", reason="preview"))


def preview_correction(engine, session: Session, case_id: int, name: str, value: Any) -> RepairPreview:
    """The correction run on a copy in a transaction that is rolled back: nothing is saved."""
    return _preview(engine, session, case_id,
                    lambda twin, s: correct_field(twin, s, case_id, name, value, actor="preview", reason="preview"))


# ---------------------------------------------------------------- the move itself

def _restart_before(workflow, spec) -> list[str]:
    """Cancel every open task of the workflow and start it again before `spec`; return the cancelled elements."""
    live = [t for t in _top_level(workflow) if t.state & _LIVE]
    data = latest_data(open_tasks(workflow)) if live else dict(workflow.last_task.data if workflow.last_task else {})
    cancelled = sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in open_tasks(workflow)
                        if getattr(t.task_spec, "bpmn_id", None) and t.state & _LIVE})
    anchor = _anchor(workflow, live)
    dropped = [t for t in anchor if t is not anchor]
    for task in dropped:
        if task.id in workflow.subprocesses:
            dropped.extend(workflow.delete_subprocess(task))
    anchor._drop_children(force=True)
    for task in dropped:                 # waiting events (timers, messages) no longer wait
        workflow.event_manager.remove_task(task)
    anchor.data = dict(data)
    entry = _entry(spec)
    child = anchor._add_child(entry, TaskState.FUTURE)
    child.task_spec._predict(child, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)   # as a reset branch is
    child.task_spec._update(child)
    workflow.last_task = anchor
    return cancelled


def _run_or_refuse(instance: Instance) -> None:
    """Run the case on; a step that fails refuses the repair (the case stays as it was, not in error)."""
    try:
        instance.run()
    except RUN_ERRORS as exc:
        raise InvalidState(Msg("repair.would_fail", detail=describe_failure(exc)), case=instance.case.id) from exc


def _top_level(workflow) -> list:
    """The top level's tasks (subprocesses' own trees are not walked: deleting their task deletes them)."""
    return list(workflow.task_tree)


def _anchor(workflow, live: list):
    """The finished task the restarted path hangs under: the deepest one above every open task."""
    node = _common_ancestor(live) if live else workflow.task_tree
    while node.parent is not None and (node.state & TaskState.NOT_FINISHED_MASK
                                       or isinstance(node.task_spec, BoundaryEventSplit)):
        node = node.parent
    return node


def _entry(spec):
    """The spec the path starts at: an activity with boundary events is entered through its split."""
    for before in spec.inputs:
        if isinstance(before, BoundaryEventSplit):
            return before
    return spec


def _target(engine, case: Case, element_id: str):
    spec, _ = engine.specs(case.definition_id, lambda: case.definition)
    allowed = {t.element_id for t in move_targets(engine, case)}
    found = next((ts for ts in spec.task_specs.values() if getattr(ts, "bpmn_id", None) == element_id), None)
    if found is None or element_id not in allowed:
        reason = "repair.no_such_element" if found is None and not _anywhere(engine, case, element_id) \
            else "repair.not_movable"
        raise InvalidState(Msg(reason, element=element_id), element=element_id)
    return found


def _anywhere(engine, case: Case, element_id: str) -> bool:
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    return any(getattr(ts, "bpmn_id", None) == element_id for s in (spec, *subs.values()) for ts in s.task_specs.values())


# ---------------------------------------------------------------- corrections

def _case_data(engine, session: Session, case: Case) -> dict:
    """The case's current data, read from its stored state (a copy: nothing here changes the case)."""
    workflow = engine.load_workflow(session, case)
    tasks = open_tasks(workflow)
    return dict(latest_data(tasks)) if tasks else {}


def _check_value(engine, session: Session, case: Case, name: str, value: Any) -> None:
    """The value must be what every form of the process that asks for the field allows (a field no form asks for,
    such as one a script computed, must keep the JSON kind of the value the case holds)."""
    schemas = _field_schemas(engine, session, case, name)
    if not schemas:
        current = _case_data(engine, session, case).get(name)
        if current is not None and _kind(current) != _kind(value):
            raise _refused(Msg("repair.value_kind", field=name, kind=Msg(f"kind.{_kind(current)}")), "value")
        return
    for schema in schemas:
        wrapper = {"type": "object", "properties": {name: schema.pop("_field")}, **schema}
        validator = form_validator_class(engine.today, engine.calendar)(wrapper, format_checker=DATA_FORMATS,
                                                                        registry=NO_FETCH)
        errors = [e for e in field_errors(validator, {name: value}) if e.rule != "required"]
        if errors:
            raise DataValidationError(Msg("repair.value_refused", field=name, detail=errors[0].msg),
                                      [FieldError("value", errors[0].msg, errors[0].rule)])


def _field_schemas(engine, session: Session, case: Case, name: str) -> list[dict]:
    """The schema of the field in each form of the case's process that has it (with the form's definitions)."""
    spec_paths = set()
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    for ts in (ts for s in (spec, *subs.values()) for ts in s.task_specs.values()):
        path = _properties(ts).get(FORM_PROPERTY)
        if path:
            spec_paths.add(path)
    found = []
    for path in sorted(spec_paths):
        try:
            form = json.loads(bundle_file(session, case.definition.bundle_id, f"forms/{path}"))
        except (NotFound, ValueError):
            continue
        prop = (form.get("properties") or {}).get(name) if isinstance(form, dict) else None
        if isinstance(prop, dict):
            found.append({**({"$defs": form["$defs"]} if "$defs" in form else {}), "_field": prop})
    return found


def _kind(value) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "null")


def _refused(msg: Msg, where: str) -> DataValidationError:
    """A refusal naming the input that is wrong (`field`, `value` or `reason` of the repair form)."""
    return DataValidationError(msg, [FieldError(where, msg, "repair")])


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _refused(Msg("repair.reason_required"), "reason")
    return reason


# ---------------------------------------------------------------- preview

def _preview(engine, session: Session, case_id: int, change) -> RepairPreview:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(Msg("case.not_found"), case=case_id)
    before = {t.task_uuid: t for t in case_tasks(session, case_id, "ready")}
    data_before = _case_data(engine, session, case)
    session.rollback()
    twin = engine.twin()
    out = RepairPreview(allowed=True)
    with rolled_back_session(session.get_bind()) as copy:
        try:
            moved = change(twin, copy)
        except EngineError as exc:
            return RepairPreview(allowed=False, reasons=[exc.msg if isinstance(exc.msg, Msg) else Msg(str(exc.msg))])
        after = {t.task_uuid: t for t in case_tasks(copy, case_id, "ready")}
        out.status = moved.status
        out.cancelled = [_row(t) for u, t in before.items() if u not in after]
        out.created = [_row(t) for u, t in after.items() if u not in before]
        data_after = _case_data(twin, copy, moved)
        out.changed = [(k, data_before.get(k), data_after.get(k)) for k in sorted(set(data_before) | set(data_after))
                       if not k.startswith("_") and data_before.get(k) != data_after.get(k)]
    return out


def _row(task: HumanTask) -> dict:
    return {"name": task.name, "lane": task.lane, "due_at": task.due_at, "due_provisional": task.due_provisional}
