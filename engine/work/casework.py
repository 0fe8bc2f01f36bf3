"""What a task or case page shows beyond its rows: the form, the legal basis of each step, the case's fields by
their labels, related cases, the messages staff may send it; and which processes a member of staff may start."""
from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ..core.errors import DataValidationError, FieldError, InvalidState, NotAllowed, SandboxError
from ..core.messages import Msg
from ..core.meta_fields import fields_equal
from ..core.models import BundleFile, Case, HumanTask, User
from ..core.scope import organization as scoped_organization, reads_only, scoped
from ..core.vocabulary import (
    CALLABLE_ONLY_PROPERTY, FIELD_LABELS_PROPERTY, LEADER_PROPERTY, LIMIT_PROPERTY, OFFER_WHEN_PROPERTY,
    RELATED_PROPERTY, SENDER_FIELD_PROPERTY, SENDER_ROLES_PROPERTY, STARTER_ROLES_PROPERTY, VALUE_LABELS_PROPERTY,
)
from ..definitions.bundles import bundle_file, latest_definitions
from ..definitions.limit_tables import fill_placeholders, rows_beside, template_context
from ..runtime.cases import send_message, start_case, waiting_messages
from ..runtime.instance import latest_data
from ..runtime.limit_context import case_limits, form_limits

_TITLES: dict[int, tuple[dict[str, str], dict[str, dict]]] = {}


def form_schema(engine, session: Session, task: HumanTask) -> dict | None:
    """The JSON Schema of a task's form, from the bundle version its case runs on."""
    if not task.form:
        return None
    case = task.case
    bundle_id = engine.properties(case.definition_id, lambda: case.definition)["bundle_id"]
    path = f"forms/{task.form}"
    schema = engine.forms.validator(bundle_id, path, lambda: bundle_file(session, bundle_id, path),
                                    form_limits(engine, session, bundle_id, path)).schema
    return with_limits(engine, session, case, schema)


def with_limits(engine, session: Session, case: Case, value):
    """A form (or text) with its `{limit:name}` placeholders filled from the case's limits table."""
    if "{limit:" not in json.dumps(value, ensure_ascii=False):
        return value
    return fill_placeholders(value, case_limits(engine, session, case)[1])


def limit_views(engine, session: Session, case: Case) -> dict[str, dict]:
    """The rows of the case's limits table as pages and templates read them, by name."""
    return template_context(case_limits(engine, session, case)[1])


def step_limits(engine, session: Session, case: Case) -> dict[str, dict]:
    """The limit row each step of the case's diagram names with the property `limit`, by element id."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    views = None
    found = {}
    for process in (spec, *subs.values()):
        for task_spec in process.task_specs.values():
            name = ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}).get(LIMIT_PROPERTY)
            if name and getattr(task_spec, "bpmn_id", None):
                views = views if views is not None else limit_views(engine, session, case)
                if name.strip() in views:
                    found[task_spec.bpmn_id] = {"name": name.strip(), **views[name.strip()]}
    return found


def element_documentation(engine, case: Case) -> dict[str, str]:
    """Each element's documentation in the case's diagram (for a deadline: its legal basis), by element id, with
    `{limit:name}` filled from the case's limits table."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    found = {}
    for process in (spec, *subs.values()):
        for task_spec in process.task_specs.values():
            text = getattr(task_spec, "documentation", None)
            if text and getattr(task_spec, "bpmn_id", None):
                found[task_spec.bpmn_id] = text
    if any("{limit:" in text for text in found.values()):
        session = object_session(case)
        if session is not None:
            rows = case_limits(engine, session, case)[1]
            found = {key: fill_placeholders(text, rows) for key, text in found.items()}
    return found

def case_data(engine, session: Session, case: Case) -> dict:
    """What the case knows now: the data of its most recently changed open task (or its final data)."""
    return _current_data(engine.load_workflow(session, case))


def _current_data(workflow) -> dict:
    if workflow.is_completed():
        return dict(workflow.data or (workflow.last_task.data if workflow.last_task else {}))
    open_tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    if not open_tasks:
        return dict(workflow.last_task.data) if workflow.last_task else {}
    return dict(latest_data(open_tasks))

def field_titles(session: Session, bundle_id: int) -> dict[str, str]:
    """Every form field's title in a bundle version, by property name (bundles never change, so kept)."""
    return _form_labels(session, bundle_id)[0]


def choice_labels(session: Session, bundle_id: int) -> dict[str, dict]:
    """The labels of every form field's choice values (`enumNames`) in a bundle version, by field and value."""
    return _form_labels(session, bundle_id)[1]


def _form_labels(session: Session, bundle_id: int) -> tuple[dict[str, str], dict[str, dict]]:
    """Field titles, and the labels of choice values (`enumNames`), from every form of a bundle version."""
    labels = _TITLES.get(bundle_id)
    if labels is None:
        labels = ({}, {})
        found = dict(session.execute(select(BundleFile.path, BundleFile.content).where(
            BundleFile.bundle_id == bundle_id, BundleFile.kind.in_(("form", "limits")))).all())
        for path, content in found.items():
            if path.endswith(".schema.json"):      # titles and choice labels with `{limit:…}` filled from the table
                _collect_titles(fill_placeholders(json.loads(content), rows_beside(found, path)), *labels)
        _TITLES[bundle_id] = labels
    return labels


def _collect_titles(schema: dict, titles: dict[str, str], choices: dict[str, dict]) -> None:
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict):
            titles.setdefault(name, prop.get("title", name))
            options = prop if "enum" in prop else prop.get("items") if isinstance(prop.get("items"), dict) else {}
            if options.get("enum") and options.get("enumNames"):
                choices.setdefault(name, {}).update(zip(map(str, options["enum"]), options["enumNames"]))
            _collect_titles(prop, titles, choices)
            if isinstance(prop.get("items"), dict):
                _collect_titles(prop["items"], titles, choices)


def _pairs(text: str) -> list[tuple[str, str]]:
    """`key:label, …` as (key, label) pairs."""
    return [(key.strip(), label.strip()) for key, _, label in
            (entry.partition(":") for entry in text.split(",") if entry.strip())]


def case_fields(session: Session, case: Case) -> list[tuple[str, str, Any]]:
    """The case's declared fields as a reader sees them: (name, title, value with its choice labels)."""
    return labelled(session, case.definition, case.meta or {})


def cases_fields(session: Session, cases: list[Case]) -> dict[int, list[tuple[str, str, Any]]]:
    """Many cases' declared fields as `case_fields` gives each, by case id: the people their leader fields name
    are looked up in one query, not one per case (an export reads thousands)."""
    wanted = {value for case in cases for value in [_leader_value(case.definition, case.meta or {})] if value}
    leaders = _display_names(session, wanted)
    return {case.id: labelled(session, case.definition, case.meta or {}, leaders) for case in cases}


def field_columns(session: Session, cases) -> dict[str, str]:
    """The columns the declared fields of these cases fill, in the order `case_fields` gives them case by case:
    name → title (the first case's title of a name). Reads each case's values, not the people they name."""
    columns: dict[str, str] = {}
    title_of: dict[int, Any] = {}
    for case in cases:
        definition = case.definition
        if definition.id not in title_of:
            title_of[definition.id] = _title_of(session, definition)
        for name, value in (case.meta or {}).items():
            if value not in (None, "", []) and name not in columns:
                columns[name] = title_of[definition.id](name)
    return columns


def _title_of(session: Session, definition):
    """A function giving a field's title in a process: the process property `fieldLabels`, then the forms."""
    titles = _form_labels(session, definition.bundle_id)[0]
    declared = dict(_pairs((definition.properties or {}).get(FIELD_LABELS_PROPERTY, "")))
    return lambda name: declared.get(name) or titles.get(name, name)


def _leader_value(definition, values: dict) -> str | None:
    """The username a case's leader field holds (the field the process names with `leaderField`), if any."""
    leader = (definition.properties or {}).get(LEADER_PROPERTY)
    value = values.get(leader) if leader else None
    return value if isinstance(value, str) and value else None


def _display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """Users' display names by username, in one query."""
    if not usernames:
        return {}
    return dict(session.execute(select(User.username, User.display_name).where(User.username.in_(sorted(usernames)))).all())


def labelled(session: Session, definition, values: dict, leaders: dict[str, str] | None = None) \
        -> list[tuple[str, str, Any]]:
    """Data of a case of this process as a reader sees it, in the given order: (name, title, value with its
    choice labels), empty values left out.

    Titles come from the process property `fieldLabels` (`field:label, …`, for values the diagram computes),
    then from the forms; a value is shown by its label in the property `valueLabels` (`field=value:label, …`),
    else in the forms (`enumNames`). `leaders`: the display names of the people leader fields name, by username,
    when the caller read them already (else read here).
    """
    titles, choices = _form_labels(session, definition.bundle_id)
    props = definition.properties or {}
    declared = dict(_pairs(props.get(FIELD_LABELS_PROPERTY, "")))
    values_of: dict[str, dict[str, str]] = {}
    for key, label in _pairs(props.get(VALUE_LABELS_PROPERTY, "")):
        field, _, value = key.partition("=")
        values_of.setdefault(field.strip(), {})[value.strip()] = label
    leader = props.get(LEADER_PROPERTY)
    if leaders is None:
        wanted = _leader_value(definition, values)
        leaders = _display_names(session, {wanted}) if wanted else {}
    shown = []
    for name, value in values.items():
        if value in (None, "", []):
            continue
        labels = {**choices.get(name, {}), **values_of.get(name, {})}
        if name == leader and isinstance(value, str):        # the field holds a username: show the person
            found = leaders.get(value)
            labels = {value: found} if found else labels
        if isinstance(value, list):
            value = [labels.get(str(v), v) for v in value]
        elif isinstance(value, str):
            value = labels.get(value, value)
        shown.append((name, declared.get(name) or titles.get(name, name), value))
    return shown

def related(session: Session, case: Case, user: User) -> list[Case]:
    """Other cases of the process, visible to the user, sharing every field the diagram declares as relating."""
    fields = [f.strip() for f in (case.definition.properties or {}).get(RELATED_PROPERTY, "").split(",") if f.strip()]
    values = {f: (case.meta or {}).get(f) for f in fields}
    if not fields or any(v in (None, "") for v in values.values()):
        return []
    query = scoped(select(Case), user, Case.org_id).where(Case.process_key == case.process_key, Case.id != case.id)
    query = query.where(fields_equal(Case.meta, values))
    return list(session.scalars(query.order_by(Case.id)))

def _message_catchers(engine, case: Case):
    """Each element of the case's diagrams that catches a message: (message name, its spec, its properties)."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    for process in (spec, *subs.values()):
        for task_spec in process.task_specs.values():
            event = getattr(task_spec, "event_definition", None)
            if type(event).__name__ != "MessageEventDefinition" or "Throw" in type(task_spec).__name__:
                continue
            yield event.name, task_spec, (getattr(task_spec, "extensions", None) or {}).get("properties", {})


def _holds_one_of(user: User, roles: str) -> bool:
    """Whether the user holds one of the comma-separated roles (by code or name); true when none are named."""
    allowed = {r.strip() for r in roles.split(",") if r.strip()}
    return not allowed or bool(allowed & ({r.code for r in user.roles} | {r.name for r in user.roles}))


def _may_send(props: dict, user: User) -> bool:
    return _holds_one_of(user, props.get(SENDER_ROLES_PROPERTY, ""))


def startable(session: Session, user: User) -> list:
    """The processes of the active version the user may start cases of (not those only other processes call)."""
    return [d for d in latest_definitions(session) if _may_start(d, user)]


def _may_start(definition, user: User) -> bool:
    props = definition.properties or {}
    return props.get(CALLABLE_ONLY_PROPERTY) != "true" and _holds_one_of(user, props.get(STARTER_ROLES_PROPERTY, ""))


def start_as(engine, session: Session, user: User, process_key: str, org_code: str, data: dict | None = None):
    """Start a case as a member of staff: in an organisation of their subtree, of a process they may start; the
    first task it produces that they may do is theirs.

    Every problem with the request comes back at once, by field (`process`, `org`); a process whose starter
    roles the user lacks is NotAllowed.
    """
    problems = []
    org = scoped_organization(session, user, org_code) if org_code else None
    if org is None:
        named = org_code or Msg("start.org_none")
        problems.append(FieldError("org", Msg("start.org_not_in_scope", code=named), "scope"))
    definition = next((d for d in latest_definitions(session) if d.process_key == process_key), None)
    if definition is None:
        problems.append(FieldError("process", Msg("start.process_not_found", key=process_key), "exists"))
    if problems:
        raise DataValidationError(Msg("start.bad_request"), problems)
    if not _may_start(definition, user):
        raise NotAllowed(Msg("start.not_allowed", name=definition.name), process=process_key)
    return start_case(engine, session, process_key, data or {}, org_code=org.code, actor=user.username,
                      assign_first=True)


def message_actions(engine, session: Session, case: Case, user: User, waiting: list[str]) -> list[dict]:
    """The messages the case waits for that staff may send from its page: label, who may, what is filled in."""
    actions: dict[str, dict] = {}
    known: dict = {}
    if reads_only(session, user, case):
        return []
    for name, task_spec, props in _message_catchers(engine, case):
        if name not in waiting or not getattr(task_spec, "bpmn_name", None) or not _may_send(props, user):
            continue
        if not _offered(engine, session, case, props, user, known):
            continue
        actions.setdefault(name, {"name": name, "label": task_spec.bpmn_name,
                                  "documentation": with_limits(engine, session, case,
                                                               getattr(task_spec, "documentation", None) or ""),
                                  "sender_field": props.get(SENDER_FIELD_PROPERTY)})
    return sorted(actions.values(), key=lambda a: a["label"])


def _offered(engine, session: Session, case: Case, props: dict, user: User, known: dict) -> bool:
    """Whether the element's `offerWhen` expression holds for the case's data and this sender (true without one).

    `known` keeps the case's data between elements of one request. An expression that fails to run offers the
    action (the diagram's own checks still apply when it is sent) rather than hiding it without a word.
    """
    expression = props.get(OFFER_WHEN_PROPERTY)
    if not expression:
        return True
    if "data" not in known:
        workflow = engine.load_workflow(session, case)
        known["data"] = {**_current_data(workflow), **workflow.data_objects}
    try:
        return bool(engine.sandbox.evaluate(expression, known["data"], {"sender": user.username}))
    except SandboxError:
        return True


def sender_payload(engine, session: Session, case: Case, user: User, name: str, payload):
    """The payload of a message `user` sends to the case, as the diagram's catching elements allow it.

    Where the elements name sender roles the user must hold one of them, and where they have an `offerWhen`
    condition it must hold; where they name a sender field it is filled with the user's username, whatever the
    payload said (so nobody sends in someone else's name).
    """
    catchers = [props for caught, _, props in _message_catchers(engine, case) if caught == name]
    if reads_only(session, user, case):
        raise NotAllowed(Msg("case.read_only"), case=case.id, message_name=name)
    if catchers and not any(_may_send(props, user) for props in catchers):
        raise NotAllowed(Msg("action.not_sender"), case=case.id, message_name=name)
    known: dict = {}
    if catchers and not any(_offered(engine, session, case, props, user, known) for props in catchers):
        raise InvalidState(Msg("action.not_needed"), case=case.id, message_name=name)
    field = next((props[SENDER_FIELD_PROPERTY] for props in catchers if props.get(SENDER_FIELD_PROPERTY)), None)
    if field is None:
        return payload
    if payload is not None and not isinstance(payload, dict):
        raise DataValidationError(Msg("action.payload_object"), [FieldError(
            "payload", Msg("action.payload_object_field", field=field), "type")], case=case.id, message_name=name)
    return {**(payload or {}), field: user.username}


def send_action(engine, session: Session, case: Case, user: User, name: str, note: str = ""):
    """Send one of the case's message actions as the user (the diagram's sender field gets their username);
    the action's label."""
    offered = {a["name"]: a["label"] for a in message_actions(engine, session, case, user,
                                                             waiting_messages(engine, session, case.id))}
    if name not in offered:
        raise NotAllowed(Msg("action.not_offered"), case=case.id, message_name=name)
    payload = sender_payload(engine, session, case, user, name, {"note": note, "by": user.username})
    send_message(engine, session, case.id, name, payload, actor=user.username)
    return offered[name]


def task_data(engine, session: Session, task: HumanTask) -> dict:
    """The data an open task carries now (what the case knew when it became ready, plus later changes)."""
    workflow = engine.load_workflow(session, task.case)
    found = workflow.get_task_from_id(UUID(task.task_uuid))
    return dict(found.data) if found is not None else {}


def message_labels(engine, case: Case) -> dict[str, str]:
    """The label of each message the case's diagrams catch: the name of its (first named) catching element."""
    labels: dict[str, str] = {}
    for name, task_spec, _ in _message_catchers(engine, case):
        if getattr(task_spec, "bpmn_name", None):
            labels.setdefault(name, task_spec.bpmn_name)
    return labels
