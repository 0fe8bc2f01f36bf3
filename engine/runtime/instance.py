"""The instance runner: the only code that advances a workflow and writes its state."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from ..core.db import changed_values, mark_written
from ..core.errors import SandboxError, StepBudgetExceeded
from ..core.messages import Msg
from ..core.models import Case, Organization
from ..core.vocabulary import CASE_ORG_VARIABLE
from ..sandbox.limits import LimitExceeded, run_budget
from . import lean
from . import statements as sql
from .case_context import running

from ..core.values import plain
from .compaction import compact, next_timer, open_tasks
from .search_text import search_text
from .state_converters import id_text
from .task_sync import TaskSync, _one_or_many

_CASE_FIELDS = frozenset(sql.CASE_FIELDS)
_STEP_KINDS = {"UserTask", "ManualTask", "ScriptTask", "BusinessRuleTask", "CallActivity", "SubWorkflowTask",
               "EndEvent", "StartEvent", "IntermediateCatchEvent", "IntermediateThrowEvent", "BoundaryEvent",
               "ExclusiveGateway", "ParallelGateway", "InclusiveGateway", "EventBasedGateway",
               "SendTask", "ReceiveTask", "ServiceTask", "NoneTask", "TransactionSubprocess"}


class Instance(TaskSync):
    """A case with its workflow loaded, inside one transaction."""

    def __init__(self, engine, session: Session, case: Case, workflow, actor: str, *, new: bool = False,
                 org_code: str | None = None, batch: dict | None = None):
        self.engine = engine
        self.session = session
        self.case = case
        self.workflow = workflow
        self.actor = actor
        self.new = new
        self.loaded_version = case.version
        self.completed: set[str] = set()
        self.recompute_due = False
        if new:
            self._ready_at_load, self._org_at_load = frozenset(), org_code
        else:
            self._ready_at_load, self._org_at_load = engine.frontier(workflow) or self._frontier()
        self._audit: list[dict] = []
        self._steps: list[dict] = []
        self._inserts: dict[Any, list[dict]] = {}
        self._after_write: list = []
        # A new case started with others: `save` leaves its row to the caller and adds its statements' rows to
        # `batch` ({statement: [rows]}), to be written for all of them at once (`new_tasks` stays empty). A running
        # case fired with others (timers.py): its row and its tasks' updates are written, its inserts batched.
        self._batch = batch
        # organisation ids by code, for lane_orgs (one query per save), and by what a lane names
        self._lane_org_ids: dict[str, int | None] = {}
        self._elsewhere: set[str] = set()           # new tasks whose lane names the organisation they go to
        # `save` lists the human tasks it created ({id, name, lane}) in `new_tasks`.
        self.new_tasks: list[dict] = []
        # Whether the last save left ready a human task that was ready before it (not only new ones).
        self.kept_ready = False
        # Whether the first new task the actor may do is to be assigned to them (a member of staff starting a case).
        self.assign_starter = False

    def audit(self, action: str, task_uuid: str | None = None, *, actor: str | None = None, **detail: Any) -> None:
        """Record who did what to this case (written with the step, in the same transaction); `actor`: someone
        other than the step's actor, such as the engine ("system") for what it decides by itself."""
        self._audit.append({"case_id": self.case.id, "task_uuid": task_uuid, "actor": actor or self.actor,
                            "at": self.engine.now(), "action": action, "detail": detail, "steps": None})

    def step(self, task) -> None:
        """Record a finished element of the case's path (written with the step's first audit event)."""
        spec = task.task_spec
        kind = type(spec).__name__
        if getattr(spec, "bpmn_id", None) and kind in _STEP_KINDS:
            self._steps.append({"element_id": spec.bpmn_id, "name": spec.bpmn_name or "", "kind": kind})

    def insert(self, statement, row: dict) -> None:
        """Add a row to one of the step's batched inserts, written by `save` after the version check."""
        self._inserts.setdefault(statement, []).append(row)

    def after_write(self, work) -> None:
        """Have `work(instance)` run once this step's case row is written, in the same transaction: what a
        message handler does to other cases waits until the version guard has let this step through."""
        self._after_write.append(work)

    def run(self) -> None:
        """Run engine steps until only human tasks or waits remain, within the step budget."""
        budget = self.engine.step_budget
        count = 0

        def did_complete(task) -> None:
            nonlocal count
            count += 1
            self.step(task)
            if count > budget:
                raise StepBudgetExceeded(budget, task.task_spec.bpmn_name or task.task_spec.name)

        with running(self), run_budget(self.engine.limits):
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps(did_complete_task=did_complete)
            for event in self.workflow.get_events():
                self._outbox(event)

    def _outbox(self, event) -> None:
        """A message the diagram threw and nothing in it caught: the engine's handlers take it, or it is logged. A
        signal is the case's own broadcast (its path shows the throw): one nobody waits for is not logged again."""
        name = event.event_definition.name
        handler = self.engine.message_handlers.get(name)
        if handler is None:
            if isinstance(event.event_definition, SignalEventDefinition):
                return
            self.audit("message_thrown", message=name)
            return
        try:
            handler(self, event.payload)
        except ValueError as exc:
            raise SandboxError(Msg("instance.message_failed", name=name, detail=_detail(exc))) from exc

    def ready_human_tasks(self) -> dict[str, Any]:
        """The workflow's ready user and manual tasks, by task id."""
        return _ready_human(open_tasks(self.workflow))

    def _frontier(self) -> tuple[frozenset[str], str | None]:
        """What the next step starts from: the ready human task ids and the case's organisation code."""
        tasks = open_tasks(self.workflow)
        return frozenset(_ready_human(tasks)), self._current_data(tasks, _is_completed(self.workflow, tasks)).get(
            CASE_ORG_VARIABLE)

    def save(self) -> None:
        """Compact and store the live state, then bring the case row, task index and logs up to date."""
        wf, case, now, db = self.workflow, self.case, self.engine.now(), self.session
        with db.no_autoflush:
            compact(wf)
            case.state = self._dump(wf)
            tasks = open_tasks(wf)
            finished = _is_completed(wf, tasks)
            current = self._current_data(tasks, finished)
            data = {**current, **wf.data_objects}      # data objects are the process-wide values
            self._follow_org(data)
            props = self.engine.properties(case.definition_id, lambda: case.definition)
            case.meta = {f: plain(data.get(f)) for f in props["reportable"] if f in data}
            if props["searchable"] or self.new:     # a new row's column is set, or writing it would read it first
                case.search_text = search_text(data, props["searchable"])
            if props["title"] and data.get(props["title"]):
                case.title = str(data[props["title"]])[:300]
            if finished and case.status == "running":
                case.status, case.ended_at = "completed", now
                self.audit("case_completed")
            case.updated_at = now
            case.next_timer_at = next_timer(wf) if case.status == "running" else None
            # The version-guarded UPDATE of the case goes first: a lost race stops here, before other writes.
            self._write_case()
            work, self._after_write = self._after_write, []
            for each in work:
                each(self)
            connection = db.connection()
            self._sync_tasks(connection, now, _ready_human(tasks))
            self._write_audit(connection)
            for statement, rows in self._inserts.items():
                self._execute(connection, statement, rows)
        self._audit, self._steps, self._inserts = [], [], {}
        # Kept with the live workflow: the next step on it starts from here without walking the tree again.
        self.engine.note_frontier(wf, (self._ready_at_load, current.get(CASE_ORG_VARIABLE)))

    def _dump(self, workflow) -> str:
        """The state to store; a case whose data cannot be stored, or grew past the limit, fails here, before
        anything of the step is written."""
        try:
            state = self.engine.codec.dump_state(workflow)
        except (TypeError, ValueError, RecursionError, OverflowError) as exc:
            raise LimitExceeded(Msg("instance.state_unsavable", kind=type(exc).__name__)) from exc
        limit = self.engine.limits.max_case_bytes
        if len(state) > limit:
            raise LimitExceeded(Msg("instance.state_too_large", mb=len(state) >> 20, limit=limit >> 20))
        return state

    def _write_audit(self, connection) -> None:
        if self._steps:
            if not self._audit:
                self.audit("path_advanced")     # the path needs an event to ride on; every change records one anyway
            self._audit[0]["steps"] = self._steps
        if self._audit:
            self._execute(connection, sql.INSERT_AUDIT, self._audit)

    def _execute(self, connection, statement, rows: list[dict]) -> None:
        """Run one of the step's statements for its rows, or add them to the batch."""
        if self._batch is not None:
            self._batch.setdefault(statement, []).extend(rows)
        else:
            lean.execute(connection, statement, _one_or_many(rows))

    def _write_case(self) -> None:
        case, db = self.case, self.session
        if self.new:
            if self._batch is None:
                db.flush()
            return
        # Only the columns that changed: rewriting an indexed column, even with its old value, rewrites its
        # index entry, one more page to write per step. The state is always written: it is deferred, so a
        # refresh of the case may have left an older text to compare with.
        values = changed_values(case, sql.CASE_FIELDS)
        values.update(state=case.state, version=case.version)
        statement, params = sql.update_case(tuple(values)), {**values, "b_id": case.id, "b_loaded": self.loaded_version}
        if self._batch is not None and not self._after_write:
            # A case fired with others, its row held locked by the batch (timers.py): written with theirs, where
            # the batch checks every row was found; with work that waits for the row, written now.
            self._batch.setdefault(statement, []).append(params)
        elif lean.execute(db.connection(), statement, params) != 1:
            raise StaleDataError(f"case {case.id} changed since version {self.loaded_version}")
        mark_written(db, case, _CASE_FIELDS)

    def current_data(self) -> dict:
        """The data of the most recently changed task: what the case knows right now."""
        tasks = open_tasks(self.workflow)
        return self._current_data(tasks, _is_completed(self.workflow, tasks))

    def _current_data(self, tasks: list, finished: bool) -> dict:
        workflow = self.workflow
        if finished:
            return workflow.data or (workflow.last_task.data if workflow.last_task else {})
        if not tasks:
            return workflow.last_task.data if workflow.last_task else {}
        return latest_data(tasks)

    def _follow_org(self, data: dict) -> None:
        code = data.get(CASE_ORG_VARIABLE)
        if not code or code == self._org_at_load:
            return
        org = self.session.scalar(select(Organization).where(Organization.code == code))
        if org is None or org.id == self.case.org_id:
            return
        previous = self._org_at_load
        self.case.org_id = org.id
        self._org_at_load = code
        self.audit("case_org_changed", **{"from": previous, "to": code})


def _detail(exc: Exception) -> Msg | str:
    """An exception's message: the engine message it carries, or its text."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Msg) else str(exc)


def _is_completed(workflow, open_now: list) -> bool:
    """`workflow.is_completed()`, answered without a walk of the tree when some task is still open."""
    return workflow.completed or (not open_now and workflow.is_completed())


def latest_data(tasks: list) -> dict:
    """The data of the open task drawn in the diagram whose data is newest: SpiffWorkflow's own tasks (the join an
    ended branch waits in, a boundary event's join) may have changed later and carry no case data. A task's data is
    as new as the finished task it was copied from (`_data_written`): a report a cycle timer adds now under a
    branch that forked weeks ago carries that branch's data, not the case's. Then the most recently changed wins;
    of tasks changed at the same moment a person's ready task, then the one deepest in call activities and
    subprocesses: a call activity's own task keeps the data it started with while its called process runs."""
    drawn = [t for t in tasks if getattr(t.task_spec, "bpmn_id", None) is not None] or tasks
    return max(drawn, key=lambda t: (_data_written(t), t.last_state_change,
                                     t.state == TaskState.READY and t.task_spec.manual,
                                     getattr(t.workflow, "depth", 0))).data


def _data_written(task) -> float:
    """When an open task's data was copied: the last change of its nearest finished ancestor."""
    parent = task.parent
    while parent is not None and not parent.state & TaskState.COMPLETED:
        parent = parent.parent
    return parent.last_state_change if parent is not None else task.last_state_change


def _ready_human(tasks: list) -> dict[str, Any]:
    return {id_text(t.id): t for t in tasks if t.state == TaskState.READY and t.task_spec.manual}
