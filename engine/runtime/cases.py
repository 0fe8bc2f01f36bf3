"""Case operations: start, complete a task, message; the one transaction every change runs in (`mutate_case`).
Status changes by staff (suspend, resume, retry, terminate) are in `case_status`."""
from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any, NamedTuple
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..core.db import begin_write
from ..core.errors import (
    CaseFailed, ConflictError, EngineError, InvalidState, NotFound, SandboxError,
    StepBudgetExceeded,
)
from ..core.messages import Msg
from ..core.models import AuditEvent, Case, HumanTask, ProcessDefinition, User
from ..core.people import receiving_organization
from ..core.vocabulary import CALLABLE_ONLY_PROPERTY, CASE_ORG_VARIABLE, COMPLETED_BY_VARIABLE, NUMBER_PATTERN_PROPERTY
from ..definitions.bundles import latest_definition
from ..definitions.forms import visible, with_case_values
from ..records.history import signed_answer
from ..records.numbering import next_number
from . import lean
from . import statements as sql
from .exclusions import refuse_excluded
from .failures import describe_failure
from .instance import Instance
from .live_workflow import LiveWorkflow
from .score_sheets import score_submission
from .submissions import check_completion

RUN_ERRORS = (StepBudgetExceeded, SandboxError, SpiffWorkflowException)
STATUS_LABELS = {status: Msg(f"status.{status}") for status in ("running", "suspended", "completed", "terminated",
                                                                "error")}


def start_case(engine, session: Session, process_key: str, data: dict | None = None, *,
               org_code: str, actor: str = "system", assign_first: bool = False) -> Case:
    """Start a case of the newest version of a process, with initial data, in an organisation; `assign_first`:
    the first task the start produces that the actor may do is assigned to them."""
    data = dict(data or {})
    if not all(isinstance(k, str) for k in data):
        raise InvalidState(Msg("case.data_keys"))
    begin_write(session)
    definition = latest_definition(session, process_key)
    if (definition.properties or {}).get(CALLABLE_ONLY_PROPERTY) == "true":
        session.rollback()
        raise InvalidState(Msg("case.callable_only", name=definition.name), process=process_key)
    try:
        case, instance = new_case(engine, session, definition, data, org_code, actor)
    except EngineError:
        session.rollback()      # e.g. an unknown organisation or an unusable number pattern: nothing is kept
        raise
    instance.assign_starter = assign_first
    try:
        instance.run()
        instance.save()
    except RUN_ERRORS as exc:
        session.rollback()
        begin_write(session)
        case, instance = new_case(engine, session, definition, data, org_code, actor)
        case.status, case.error = "error", describe_failure(exc).dumps()
        instance.audit("case_failed", reason=case.error)
        instance.save()
        session.commit()
        raise CaseFailed(Msg.loads(case.error), case=case.id) from exc
    _commit(engine, session, case)
    engine.remember(case, instance.workflow)
    return case


def new_case(engine, session: Session, definition: ProcessDefinition, data: dict, org_code: str, actor: str, *,
             parent_id: int | None = None) -> tuple[Case, Instance]:
    """A new case row (flushed, numbered) and its instance, ready to run; `parent_id`: the case that started it."""
    org = receiving_organization(session, org_code)
    now = engine.now()
    pattern = (definition.properties or {}).get(NUMBER_PATTERN_PROPERTY)
    number = next_number(session, pattern, now) if pattern else None
    case = case_row(definition, number, org, actor, now, parent_id)
    session.add(case)
    session.flush()
    return case, new_instance(engine, session, case, definition, data, actor)


def case_row(definition: ProcessDefinition, number: str | None, org, actor: str, now, parent_id: int | None) -> Case:
    """The row of a case about to start (not yet added to the session)."""
    return Case(definition=definition, process_key=definition.process_key, business_number=number,
                status="running", org=org, meta={}, created_by=actor, created_at=now, updated_at=now, version=1,
                parent_id=parent_id)


def new_instance(engine, session: Session, case: Case, definition: ProcessDefinition, data: dict, actor: str, *,
                 batch: dict | None = None) -> Instance:
    """The instance of a new case row: a fresh workflow holding the initial data, its start recorded.
    With `batch`, its save collects its writes there (see Instance)."""
    spec, subs = engine.specs(definition.id, lambda: definition)
    workflow = LiveWorkflow(spec, subs, script_engine=engine.script_engine)
    initial = {**data, CASE_ORG_VARIABLE: case.org.code}
    if case.business_number:
        initial["business_number"] = case.business_number
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(initial)
    instance = Instance(engine, session, case, workflow, actor, new=True, org_code=case.org.code, batch=batch)
    instance.audit("case_started", process=definition.process_key, bundle=definition.bundle.version,
                   keys=sorted(data))
    return instance


class Completion(NamedTuple):
    """What completing a task left: the case, and its ready tasks (id, name, lane) as the step left them."""

    case: Case
    next_tasks: list[dict]


def complete_task(engine, session: Session, task_id: int, data: dict, *, user: User | None = None,
                  expected_version: int | None = None) -> Completion:
    """Complete a task with form data and run the case on to its next wait: the one way a task is completed, for
    the pages and the API alike (`user` None: the system).

    A task of a case outside the user's organisation subtree is not found (scope.py's rule, in the same query that
    reads the task); a task the user may not work on, or data its form refuses, is refused before anything is
    written. The task is read once, the form validated once, and the workflow taken (restored at most once) by
    the runner. The ready tasks are known before the commit, in the same transaction: the new ones from their
    inserts, and only if tasks that were ready before stay ready is the task table read.
    """
    started = perf_counter()
    begin_write(session)
    try:
        row, sheets, from_case, schema = check_completion(engine, session, task_id, data, user)
    except EngineError:
        session.rollback()      # release the write lock a refused request took
        raise
    actor = user.username if user else "system"
    ready: list[dict] = []

    def change(instance: Instance) -> None:
        task = instance.workflow.get_task_from_id(UUID(row.task_uuid))
        if task is None or task.state != TaskState.READY:
            raise ConflictError(Msg("task.taken"), task=task_id)
        refuse_excluded(instance, task, actor, task_id)
        submitted = data
        if from_case is not None:        # fields the form takes from the case: the case's values, then the check
            sources, bundle_id, path, load, limits = from_case
            submitted = with_case_values(sources, data, task.data)
            engine.forms.check(bundle_id, path, load, submitted, limits, task=task_id)
        submitted = visible(schema, submitted)          # a field its form hides is not stored
        values = submitted if not sheets else score_submission(instance, sheets, {**task.data, **submitted},
                                                               submitted, row.task_uuid, task=task_id)
        changed = sorted(k for k, v in values.items() if task.data.get(k, _MISSING) != v)
        task.data.update(values)
        task.data[COMPLETED_BY_VARIABLE] = actor
        task.run()
        instance.step(task)
        instance.completed.add(row.task_uuid)   # written by the runner's save, after the version check
        instance.audit("task_completed", row.task_uuid, element=row.element_id, name=row.name, keys=changed,
                       answer=signed_answer(values))
        instance.run()

    def collect(instance: Instance) -> None:
        if instance.kept_ready:
            ready.extend(found._asdict() for found in lean.fetch(
                instance.session.connection(), sql.READY_TASK_REFS, {"case_id": instance.case.id}))
        else:
            ready.extend(instance.new_tasks)

    case = mutate_case(engine, session, _case_of(session, row), actor, change, expected_version=expected_version,
                       state=row.case_state, after_save=collect)
    if engine.step_observers:
        engine.note_step(case.process_key, perf_counter() - started)
    return Completion(case, ready)


def _case_of(session: Session, row) -> Case:
    """The case of a TASK_FOR_COMPLETION row as a session object, made from the row's columns without a query.

    The session's copy is used if it is at the row's version, and brought up to it otherwise.
    """
    case = session.identity_map.get(_CASE_MAPPER.identity_key_from_primary_key((row.case_id,)))
    if case is not None and case.version == row.case_version:
        return case
    values = {key: getattr(row, f"case_{key}") for key in sql.CASE_COLUMNS}
    values["state"] = row.case_state
    if case is not None:
        for key, value in values.items():
            set_committed_value(case, key, value)
        return case
    # As if loaded: the values go straight into the new object's dict (the constructor would record each one as
    # a change), and making it detached marks them all as the database's.
    case = _CASE_MANAGER.new_instance()
    case.__dict__.update(values)
    make_transient_to_detached(case)
    session.add(case)
    return case


_CASE_MANAGER = inspect(Case).class_manager
_CASE_MAPPER = inspect(Case)      # its identity keys: `identity_key(Case, id)` looks the mapper up each time


_MISSING = object()


def send_message(engine, session: Session, case_id: int, name: str, payload: Any = None, *,
                 actor: str = "system", after_save: Callable[[Instance], None] | None = None) -> Case:
    """Deliver a BPMN message with a payload to a case that waits for it (`after_save`: as for `mutate_case`)."""
    case = case_for_write(session, case_id)

    def change(instance: Instance) -> None:
        event = BpmnEvent(MessageEventDefinition(name), payload=payload)
        try:
            instance.workflow.send_event(event)
        except WorkflowException:
            raise InvalidState(Msg("case.not_waiting_message", name=name), case=case_id, message_name=name) from None
        note = payload.get("note") if isinstance(payload, dict) else None
        instance.audit("message_received", message=name, keys=sorted(payload) if isinstance(payload, dict) else [],
                       **({"note": note[:500]} if isinstance(note, str) and note else {}))
        instance.run()

    return mutate_case(engine, session, case, actor, change, after_save=after_save)


def waiting_messages(engine, session: Session, case_id: int) -> list[str]:
    """Names of the messages the case is waiting for now."""
    case = get_case(session, case_id)
    if case.status != "running":
        return []
    workflow = engine.load_workflow(session, case)
    names = {e.name for e in workflow.waiting_events() if e.event_type.endswith("MessageEventDefinition")}
    for spec_name in getattr(workflow.spec.start, "trigger_specs", []):    # event subprocesses a message starts
        for start in workflow.subprocess_specs[spec_name].bpmn_start_events:
            if type(start.event_definition).__name__ == "MessageEventDefinition":
                names.add(start.event_definition.name)
    return sorted(names)


def case_for_write(session: Session, case_id: int) -> Case:
    """A case loaded afresh for a change, its write transaction begun (SQLite: the write lock taken)."""
    begin_write(session)
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise NotFound(Msg("case.not_found"), case=case_id)
    return case


def mutate_case(engine, session: Session, case: Case, actor: str, change: Callable[[Instance], None], *,
                expected_version: int | None = None, statuses: tuple[str, ...] = ("running",),
                state: str | None = None, after_save: Callable[[Instance], None] | None = None) -> Case:
    """Apply `change` to a loaded case as one transaction: save, version guard, commit; errors leave no trace.

    `state` is the case's stored state if the caller read it with the case row (it saves reading it again);
    `after_save` runs after the save, before the commit, for reads that should see the step's own writes.
    """
    case_id, status = case.id, case.status   # read now: a rollback or failed flush expires the object
    if expected_version is not None and case.version != expected_version:
        session.rollback()
        raise ConflictError(Msg("case.changed"), case=case_id)
    if status not in statuses:
        session.rollback()
        raise InvalidState(Msg("case.wrong_status", status=STATUS_LABELS.get(status, status)),
                           case=case_id, status=status)
    instance = Instance(engine, session, case, engine.take_workflow(session, case, state), actor)
    with engine.journal.running(case_id, case.version):      # a crash from here to the commit fails only this case
        try:
            change(instance)
            case.version += 1
            instance.save()
            session.flush()
            if after_save is not None:
                after_save(instance)
        except RUN_ERRORS as exc:
            _fail(engine, session, case_id, actor, exc)
        except (StaleDataError, OperationalError) as exc:
            _conflict(engine, session, case_id, exc)
        except BaseException:
            session.rollback()
            engine.forget(case_id)
            raise
        _commit(engine, session, case)
    engine.remember(case, instance.workflow)
    return case


def _commit(engine, session: Session, case: Case) -> None:
    case_id = case.id
    try:
        session.commit()
    except (StaleDataError, OperationalError) as exc:
        _conflict(engine, session, case_id, exc)


def _conflict(engine, session: Session, case_id: int, exc: Exception) -> None:
    """Undo the transaction and report a lost race (a stale version, or SQLite's lock timeout)."""
    session.rollback()
    engine.forget(case_id)
    if isinstance(exc, OperationalError) and "locked" not in str(exc):
        raise exc
    raise ConflictError(Msg("case.changed"), case=case_id) from None


def _fail(engine, session: Session, case_id: int, actor: str, exc: BaseException) -> None:
    session.rollback()
    message = describe_failure(exc)
    mark_failed(engine, session, case_id, actor, message.dumps())
    raise CaseFailed(message, case=case_id) from exc


def mark_failed(engine, session: Session, case_id: int, actor: str, message: str,
                version: int | None = None) -> bool:
    """Put a case in error at its last good state, saying why; with `version`, only if it is still at that
    version and running (a process that crashed mid-step is found out later, and the case may have moved on)."""
    engine.forget(case_id)
    begin_write(session)
    case = session.get(Case, case_id, populate_existing=True)
    if case is None or (version is not None and (case.version != version or case.status != "running")):
        session.rollback()
        return False
    put_in_error(engine, session, case, actor, message)
    _commit(engine, session, case)
    return True


def put_in_error(engine, session: Session, case: Case, actor: str, message: str) -> None:
    """In the current transaction: the case (as loaded, at its last good state) goes to error, saying why."""
    case.status, case.error = "error", message
    case.version += 1
    case.updated_at = engine.now()
    session.add(AuditEvent(case_id=case.id, actor=actor, at=engine.now(), action="case_failed",
                           detail={"reason": message}))


def get_case(session: Session, case_id: int) -> Case:
    """A case by id."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(Msg("case.not_found"), case=case_id)
    return case


def case_tasks(session: Session, case_id: int, status: str | None = None) -> list[HumanTask]:
    """A case's human tasks, oldest first, optionally of one status."""
    # The runner writes task rows with plain SQL: refresh any copies this session already holds.
    query = (select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id)
             .execution_options(populate_existing=True))
    if status:
        query = query.where(HumanTask.status == status)
    return list(session.scalars(query))


def stored_state(session: Session, case_id: int) -> str:
    """The case's workflow state as stored (for diagnostics and tests)."""
    return session.scalar(select(Case.state).where(Case.id == case_id))

