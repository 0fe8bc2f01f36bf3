"""What an approval task shows, read and checked at deploy: `reviewFields` (case data, or documents the diagram
writes, shown under 审批事项) must name something the process produces, and `approvalHistory` must name its user
tasks. A process is checked with the processes it calls and those that call it: a called process reads its
caller's data."""
from __future__ import annotations

import ast
import json

from ..core.errors import Problem
from ..core.messages import Msg
from ..core.vocabulary import (
    APPROVAL_HISTORY_PROPERTY, CASE_ORG_VARIABLE, COMPLETED_BY_VARIABLE, DOCUMENT_MESSAGE, FORM_PROPERTY,
    LANE_ORGS_VARIABLE, LANE_USERS_VARIABLE, PARENT_CASE_ID_VARIABLE, PARENT_CASE_NUMBER_VARIABLE,
    PORTAL_DATE_PROPERTY, PORTAL_DEFAULTS_PROPERTY, PORTAL_FORM_PROPERTY, REVIEW_FIELDS_PROPERTY,
)

# What the engine itself writes into every case's data (the business number with the case's first data).
ENGINE_NAMES = frozenset({CASE_ORG_VARIABLE, COMPLETED_BY_VARIABLE, LANE_USERS_VARIABLE, LANE_ORGS_VARIABLE,
                          PARENT_CASE_ID_VARIABLE, PARENT_CASE_NUMBER_VARIABLE, "business_number"})
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


def names(text: str | None) -> list[str]:
    """A comma-separated property as its names, in order, blanks left out."""
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def task_properties(task_spec) -> dict:
    """The lawflow properties written on an element."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties") or {}


def document_names(processes) -> set[str]:
    """The names of the documents the processes' `document` messages write, where the payload spells them."""
    found = set()
    for process in processes:
        for ts in process.task_specs.values():
            event = getattr(ts, "event_definition", None)
            if getattr(event, "name", None) == DOCUMENT_MESSAGE and getattr(event, "expression", None):
                name = _constant_entry(event.expression, "name")
                if name:
                    found.add(name)
    return found


def _constant_entry(expression: str, key: str) -> str | None:
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except _UNPARSABLE:
        return None
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and k.value == key and isinstance(v, ast.Constant):
                return str(v.value)
    return None


def check_reviews(bundle, where, problems: list[Problem]) -> None:
    """A located problem for each `reviewFields` name nothing produces and each `approvalHistory` id that is no
    user task of the process (or of a process it calls or that calls it)."""
    closures = {key: [spec, *(s for s in subs.values() if s is not None)] for key, (spec, subs) in bundle.specs.items()}
    produced, tasks = _reach(closures, bundle)
    for key, processes in closures.items():
        path = bundle.paths[key]
        for process in processes:
            for ts in process.task_specs.values():
                props = task_properties(ts)
                element = getattr(ts, "bpmn_id", None)
                if element is None or not (props.get(REVIEW_FIELDS_PROPERTY) or props.get(APPROVAL_HISTORY_PROPERTY)):
                    continue
                for name in names(props.get(REVIEW_FIELDS_PROPERTY)):
                    if name not in produced[process.name]:
                        problems.append(where.problem(path, element, Msg(
                            "review.unknown_field", property=REVIEW_FIELDS_PROPERTY, name=name)))
                for task_id in names(props.get(APPROVAL_HISTORY_PROPERTY)):
                    if task_id not in tasks[process.name]:
                        problems.append(where.problem(path, element, Msg(
                            "review.not_user_task", property=APPROVAL_HISTORY_PROPERTY, id=task_id)))


def _reach(closures: dict, bundle) -> tuple[dict[str, set], dict[str, set]]:
    """For each process (by name): the data names and document names, and the user task ids, of every closure it
    belongs to (its own top-level process with what that calls)."""
    produced: dict[str, set] = {}
    tasks: dict[str, set] = {}
    for key, processes in closures.items():
        made = _produced(processes, bundle, bundle.properties.get(key) or {})
        ids = {ts.bpmn_id for p in processes for ts in p.task_specs.values()
               if getattr(ts, "manual", False) and getattr(ts, "bpmn_id", None)}
        for process in processes:
            produced.setdefault(process.name, set()).update(made)
            tasks.setdefault(process.name, set()).update(ids)
    return produced, tasks


def _produced(processes, bundle, props: dict) -> set[str]:
    """Every name the processes put into a case's data, and the documents they write."""
    found = set(ENGINE_NAMES) | document_names(processes)
    found.update(_form_fields(bundle.forms.get(f"forms/{props.get(PORTAL_FORM_PROPERTY)}")))
    found.update(names(props.get(PORTAL_DATE_PROPERTY)))
    found.update(_json_keys(props.get(PORTAL_DEFAULTS_PROPERTY)))
    for process in processes:
        found.update(getattr(process, "data_objects", None) or {})
        for ts in process.task_specs.values():
            found.update(_form_fields(bundle.forms.get(f"forms/{task_properties(ts).get(FORM_PROPERTY)}")))
            found.update(_written(ts))
    return found


def _form_fields(schema) -> set[str]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


def _json_keys(text: str | None) -> set[str]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return set()
    return set(value) if isinstance(value, dict) else set()


def _written(ts) -> set[str]:
    """The names an element writes: script assignments, a message's variable, a decision table's outputs, a
    multi-instance activity's output."""
    found = set()
    for attr in ("script", "prescript", "postscript"):
        found.update(_assigned(getattr(ts, attr, None)))
    event = getattr(ts, "event_definition", None)
    if getattr(event, "message_var", None):
        found.add(event.message_var)
    engine = getattr(ts, "dmnEngine", None)
    if engine is not None:
        found.update(o.name for o in engine.decision_table.outputs if getattr(o, "name", None))
    for attr in ("data_output", "output_item"):
        item = getattr(ts, attr, None)
        if getattr(item, "bpmn_id", None):
            found.add(item.bpmn_id)
    return found


def _assigned(source: str | None) -> set[str]:
    if not isinstance(source, str) or not source.strip():
        return set()
    try:
        tree = ast.parse(source)
    except _UNPARSABLE:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
