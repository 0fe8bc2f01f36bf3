"""Case fields as people read them: directory keys and organisation codes by name, ID numbers masked for those who
need not see them, and the limit a step without a due time of its own runs inside."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..core import people
from ..core.models import BundleFile, Case, DirectoryEntry, HumanTask, Organization, User
from ..core.vocabulary import (
    DIRECTORY_FIELDS_PROPERTY, DIRECTORY_KEYWORD, DUE_PROPERTY, FIELD_LABELS_PROPERTY, MASKED_FIELDS_PROPERTY, MASKED_KEYWORD,
    ORGANIZATION_KEYWORD, WITHIN_LIMIT_PROPERTY,
)
from ..time.workdays import as_moment

ORGANIZATION = "@org"              # the kind under which an `x-organization` field is kept: an organisation's code
_KINDS: dict[int, tuple[dict[str, str], frozenset[str]]] = {}


def field_kinds(session: Session, case: Case) -> tuple[dict[str, str], frozenset[str]]:
    """(the directory kind, or ORGANIZATION, of each field holding a key; the fields holding an ID number) of a
    case's bundle version forms and process properties."""
    bundle_id = case.definition.bundle_id
    if bundle_id not in _KINDS:
        kinds, masked = {}, set()
        for content in session.scalars(select(BundleFile.content).where(
                BundleFile.bundle_id == bundle_id, BundleFile.kind == "form")):
            _collect(json.loads(content), kinds, masked)
        _KINDS[bundle_id] = kinds, frozenset(masked)
    kinds, masked = _KINDS[bundle_id]
    props = case.definition.properties or {}
    declared = dict(_pairs(props.get(DIRECTORY_FIELDS_PROPERTY, ""), "="))
    more = {n.strip() for n in props.get(MASKED_FIELDS_PROPERTY, "").split(",") if n.strip()}
    return {**kinds, **declared}, masked | more


def _collect(schema: dict, kinds: dict[str, str], masked: set[str]) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if isinstance(prop.get(DIRECTORY_KEYWORD), str):
            kinds.setdefault(name, prop[DIRECTORY_KEYWORD])
        elif prop.get(ORGANIZATION_KEYWORD) is True:
            kinds.setdefault(name, ORGANIZATION)
        if prop.get(MASKED_KEYWORD) is True:
            masked.add(name)
        for nested in (prop, prop.get("items")):
            if isinstance(nested, dict):
                _collect(nested, kinds, masked)


def _pairs(text: str, sep: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, _, v in (e.partition(sep) for e in text.split(",") if e.strip())]


def mask(value: Any) -> Any:
    """An ID number with all but its first and last four characters hidden (1101**********1234); a short one keeps
    only its last two."""
    if not isinstance(value, str) or not value:
        return value
    keep = 4 if len(value) > 10 else 0
    tail = 4 if len(value) > 10 else min(2, len(value) - 1)
    return value[:keep] + "*" * (len(value) - keep - tail) + value[len(value) - tail:]


def sees_in_full(session: Session, user: User | None, case: Case, tasks: list[HumanTask] | None = None) -> bool:
    """Whether a user sees a case's ID numbers in full: he holds one of its open tasks or completed one.
    `tasks`: all the case's tasks when the caller read them already (else read here)."""
    if user is None:
        return False
    if tasks is not None:
        return any(t.assignee_id == user.id or t.completed_by == user.username for t in tasks) or any(
            people.is_candidate(session, user, t) for t in tasks if t.status == "ready" and t.assignee_id is None)
    mine = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id, or_(
        HumanTask.assignee_id == user.id, HumanTask.completed_by == user.username)).limit(1))
    if mine is not None:
        return True
    open_tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "ready",
                                                         HumanTask.assignee_id.is_(None)))
    return any(people.is_candidate(session, user, t) for t in open_tasks)


def readable(session: Session, case: Case, fields: list[tuple[str, str, Any]], *, full: bool,
             names: dict[tuple[str, str], str] | None = None) -> list[tuple[str, str, Any]]:
    """Case fields (name, title, value) with keys shown by name and ID numbers masked unless `full`. `names`:
    the names of the keys, when the caller read them already (`key_names`; else read here)."""
    kinds, masked = field_kinds(session, case)
    if names is None:
        names = key_names(session, [(case, fields)])
    shown = []
    for name, title, value in fields:
        if name in kinds:
            value = [_named(names, kinds[name], v) for v in value] if isinstance(value, list) \
                else _named(names, kinds[name], value)
        if name in masked and not full:
            value = [mask(v) for v in value] if isinstance(value, list) else mask(value)
        shown.append((name, title, value))
    return shown


def readable_all(session: Session, cases_fields: list[tuple[Case, list[tuple[str, str, Any]]]], *,
                 full: bool) -> dict[int, list[tuple[str, str, Any]]]:
    """Many cases' fields as `readable` gives each, by case id, the names of their keys read at once (one query
    per directory kind, not one per value: an export reads thousands)."""
    names = key_names(session, cases_fields)
    return {case.id: readable(session, case, fields, full=full, names=names) for case, fields in cases_fields}


def key_names(session: Session, cases_fields) -> dict[tuple[str, str], str]:
    """The names of the keys the fields of these (case, fields) pairs hold, by (kind, key): one query per kind."""
    wanted: dict[str, set[str]] = {}
    for case, fields in cases_fields:
        kinds = field_kinds(session, case)[0]
        for name, _title, value in fields:
            if name in kinds:
                wanted.setdefault(kinds[name], set()).update(
                    v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    found: dict[tuple[str, str], str] = {}
    for kind, keys in wanted.items():
        if kind == ORGANIZATION:
            rows = select(Organization.code, Organization.name).where(Organization.code.in_(sorted(keys)))
        else:
            rows = select(DirectoryEntry.key, DirectoryEntry.name).where(
                DirectoryEntry.kind == kind, DirectoryEntry.key.in_(sorted(keys)))
        found.update(((kind, key), name) for key, name in session.execute(rows))
    return found


def _named(names: dict[tuple[str, str], str], kind: str, key: Any) -> Any:
    """A key's name from `key_names`; the key itself when nothing has it (or it is no text)."""
    return (names.get((kind, key)) or key) if isinstance(key, str) else key


def key_name(session: Session, kind: str, key: Any) -> Any:
    """A directory entry's or an organisation's name for its key; the key itself when nothing has it."""
    if not isinstance(key, str):
        return key
    if kind == ORGANIZATION:
        name = session.scalar(select(Organization.name).where(Organization.code == key))
    else:
        name = session.scalar(select(DirectoryEntry.name).where(DirectoryEntry.kind == kind, DirectoryEntry.key == key))
    return name or key


def masked_data(session: Session, case: Case, data: dict, *, full: bool) -> dict:
    """Case data with its top-level ID numbers masked unless `full`."""
    if full:
        return data
    _kinds, masked = field_kinds(session, case)
    return {k: (mask(v) if k in masked else v) for k, v in data.items()}


def readable_data(session: Session, case: Case, data: dict) -> dict:
    """Case data as the public reads it: keys by name, ID numbers masked."""
    return {name: value for name, _title, value in readable(session, case, [(k, k, v) for k, v in data.items()],
                                                           full=False)}


def enclosing_limit(engine, task: HumanTask, data: dict | None = None) -> dict | None:
    """For a ready task with no due time of its own whose step declares `withinLimit`: the limit it runs inside,
    `{name, due, element}` (`element`: the step whose due time it is, for its legal basis); else None. The moment
    is read from `data` when given, else from the case's reportable fields."""
    if task.due_at is not None or task.status != "ready":
        return None
    specs = _task_specs(engine, task.case)
    name = _props(specs.get(task.element_id)).get(WITHIN_LIMIT_PROPERTY, "").strip()
    source = data if data is not None else (task.case.meta or {})
    if not name or not source.get(name):
        return None
    try:
        due = as_moment(source[name]) if not isinstance(source[name], datetime) else source[name]
    except (TypeError, ValueError, OverflowError):
        return None
    element = next((bpmn_id for bpmn_id, spec in specs.items()
                    if _props(spec).get(DUE_PROPERTY, "").strip() == name), None)
    titles = dict(_pairs((task.case.definition.properties or {}).get(FIELD_LABELS_PROPERTY, ""), ":"))
    return {"name": name, "title": titles.get(name, name), "due": due, "element": element}


def _task_specs(engine, case: Case) -> dict:
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    return {s.bpmn_id: s for p in (spec, *subs.values()) for s in p.task_specs.values()
            if getattr(s, "bpmn_id", None)}


def _props(spec) -> dict:
    return ((getattr(spec, "extensions", None) or {}).get("properties") or {}) if spec is not None else {}
