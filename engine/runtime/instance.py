"""The instance runner: the only code that advances a workflow and writes its state."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.util.task import TaskState

from ..core.db import changed_values, mark_written
from ..core.errors import SandboxError, StepBudgetExceeded
from ..core.messages import Msg
from ..core import recipients
from ..core.models import Case, Organization, User
from ..core.people import may_do
from ..core.scope import grant_statement, grants
from ..core.vocabulary import (
    ASSIGNEE_PROPERTY, CASE_ORG_VARIABLE, DEADLINE_PROPERTY, DUE_PROPERTY, FORM_PROPERTY, KEEP_WITH_PROPERTY,
    LANE_ORGS_VARIABLE, LANE_USERS_VARIABLE,
)
from ..sandbox.limits import LimitExceeded, run_budget
from . import assignment, lean
from . import statements as sql
from .case_context import running
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..core.values import plain
from ..time.workdays import as_moment
from .compaction import compact, next_timer, open_tasks
from .search_text import search_text

_CASE_FIELDS = frozenset(sql.CASE_FIELDS)
_STEP_KINDS = {"UserTask", "ManualTask", "ScriptTask", "BusinessRuleTask", "CallActivity", "SubWorkflowTask",
               "EndEvent", "StartEvent", "IntermediateCatchEvent", "IntermediateThrowEvent", "BoundaryEvent",
               "ExclusiveGateway", "ParallelGateway", "InclusiveGateway", "EventBasedGateway",
               "SendTask", "ReceiveTask", "ServiceTask", "NoneTask", "TransactionSubprocess"}


class Instance:
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
        """A message the diagram threw and nothing in it caught: the engine's handlers take it, or it is logged."""
        name = event.event_definition.name
        handler = self.engine.message_handlers.get(name)
        if handler is None:
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

    def _sync_tasks(self, connection, now, ready: dict[str, Any]) -> None:
        case_id = self.case.id
        if self.completed:
            done = [{"b_case": case_id, "b_uuid": u, "at": now, "by": self.actor} for u in sorted(self.completed)]
            lean.execute(connection, sql.COMPLETE_TASK, _one_or_many(done))
        gone = [u for u in self._ready_at_load if u not in ready and u not in self.completed]
        if gone:
            cancelled = [{"b_case": case_id, "b_uuid": u, "at": now} for u in gone]
            lean.execute(connection, sql.CANCEL_TASK, _one_or_many(cancelled))
        rows, assigned = [], []
        self.kept_ready = any(uuid in self._ready_at_load for uuid in ready)
        for uuid, task in ready.items():
            if uuid in self._ready_at_load:
                if self.recompute_due:
                    due, provisional = self._due(task, now)
                    lean.execute(connection, sql.SET_TASK_DUE, {"b_case": self.case.id, "b_uuid": uuid, "due_at": due,
                                                          "due_provisional": provisional})
                continue
            spec = task.task_spec
            props = _properties(spec)
            role, org_id, lane_named = self._lane_place(task)
            lane_users = self._assignee(task) or (
                (task.data.get(LANE_USERS_VARIABLE) or {}).get(spec.lane) if spec.lane else None) or lane_named
            due, provisional = self._due(task, now)
            rows.append({
                "case_id": self.case.id, "task_uuid": uuid, "element_id": spec.bpmn_id,
                "name": spec.bpmn_name or spec.bpmn_id, "lane": role,
                "form": props.get(FORM_PROPERTY),
                "org_id": org_id, "candidate_users": list(lane_users) if lane_users else None,
                "assignee_id": None, "status": "ready", "created_at": now, "due_at": due,
                "due_provisional": provisional, "completed_at": None, "completed_by": None, "urge_count": 0})
            if self.assign_starter or KEEP_WITH_PROPERTY in props:
                assigned.extend(assignment.assign(self, connection, rows[-1], props.get(KEEP_WITH_PROPERTY)))
        self.new_tasks = []
        if rows and self._batch is not None:
            self._batch.setdefault(sql.INSERT_TASKS_RETURNING_IDS, []).extend(rows)
        elif rows:
            if len(rows) == 1:
                ids = [found.id for found in lean.fetch(connection, sql.INSERT_TASKS_RETURNING_IDS, rows[0])]
            else:
                ids = connection.execute(sql.INSERT_TASKS_RETURNING_IDS, rows).scalars().all()
            self.new_tasks = [{"id": i, "name": r["name"], "lane": r["lane"]} for i, r in zip(ids, rows)]
        # The users the case names on its new tasks may see it, wherever they are (scope.py), in this transaction.
        named = [name for r in rows for name in r["candidate_users"] or ()]
        elsewhere = self._holders_elsewhere(connection, rows)
        for reason, names in (("named", named), ("assigned", assigned), ("lane", elsewhere)):
            if names:
                self._execute(connection, grant_statement(connection.dialect.name), grants(case_id, names, now, reason))
        self._ready_at_load = frozenset(ready)

    def _lane_place(self, task) -> tuple[str | None, int | None, list[str] | None]:
        """The role, organisation and named people of a new task: its lane read by the one recipient syntax (a
        role in the case's organisation, in another, or people), the organisation `lane_orgs` names overriding."""
        lane = task.task_spec.lane
        if not lane:
            return lane, self.case.org_id, None
        try:
            address = recipients.parse(lane)
            if address.kind != recipients.ROLE:
                return recipients.lane_place(self.session, self.case, lane, task.data)
            if self._lane_orgs_name(task):
                return address.name, self._lane_org(task), None
            if address.where is None:
                return address.name, self.case.org_id, None
            key = f"{self.case.org_id}\n{address.where}\n{address.org_code or task.data.get(address.field or '', '')}"
            if key not in self._lane_org_ids:
                self._lane_org_ids[key] = recipients.organization_of(self.session, self.case, address, task.data)
            self._elsewhere.add(str(task.id))
            return address.name, self._lane_org_ids[key], None
        except recipients.RecipientError as exc:
            raise SandboxError(Msg("instance.lane_failed", lane=lane, detail=exc.msg)) from None

    def _holders_elsewhere(self, connection, rows: list[dict]) -> list[str]:
        """The holders of the role of each new task whose lane names an organisation other than the case's (and
        names no one): they may see the case from now on, as they could not from their own subtree."""
        names: list[str] = []
        for row in rows:
            if row["task_uuid"] not in self._elsewhere or row["candidate_users"] \
                    or row["org_id"] in (None, self.case.org_id):
                continue
            names += connection.execute(select(User.username).where(
                may_do(row["lane"], row["org_id"], None))).scalars().all()
        return names

    def _lane_orgs_name(self, task) -> bool:
        lane_orgs = task.data.get(LANE_ORGS_VARIABLE)
        return bool(lane_orgs) and (not isinstance(lane_orgs, dict) or task.task_spec.lane in lane_orgs)

    def _lane_org(self, task) -> int | None:
        """The organisation a new task belongs to: the one `lane_orgs` names for its lane, else the case's."""
        lane_orgs, lane = task.data.get(LANE_ORGS_VARIABLE), task.task_spec.lane
        if not lane_orgs or not lane:
            return self.case.org_id
        if not isinstance(lane_orgs, dict):
            raise SandboxError(Msg("lane_orgs.not_mapping"))
        if lane not in lane_orgs:
            return self.case.org_id
        code = str(lane_orgs[lane])
        if code not in self._lane_org_ids:
            codes = [str(c) for c in lane_orgs.values()]
            self._lane_org_ids.update(self.session.execute(
                select(Organization.code, Organization.id).where(Organization.code.in_(codes))).all())
        org_id = self._lane_org_ids.get(code)
        if org_id is None:
            raise SandboxError(Msg("lane_orgs.unknown", lane=lane, code=str(code)))
        return org_id

    def _assignee(self, task) -> list[str] | None:
        """The one user a task's assignee expression names (process data objects are visible to it), if any."""
        expression = _properties(task.task_spec).get(ASSIGNEE_PROPERTY)
        if not expression:
            return None
        value = self.engine.script_engine.evaluate(task, expression, external_context=task.workflow.data_objects)
        if value and not isinstance(value, str):
            raise _wrong_type(task, ASSIGNEE_PROPERTY, expression, value, Msg("wanted.username"))
        return [value] if value else None

    def _due(self, task, now):
        """A task's due moment (its due expression, else its deadline timer) and whether it is provisional."""
        expression = _properties(task.task_spec).get(DUE_PROPERTY)
        with running(self):         # a due expression may call helpers that read the case (the limits table)
            value = self.engine.script_engine.evaluate(task, expression) if expression else _attached_deadline(task)
        if not value:
            return None, False
        try:
            due = as_moment(value)
        except (TypeError, ValueError, OverflowError):
            raise _wrong_type(task, DUE_PROPERTY, expression, value, Msg("wanted.time")) from None
        return due, self.engine.calendar.provisional(now, due)


def _detail(exc: Exception) -> Msg | str:
    """An exception's message: the engine message it carries, or its text."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Msg) else str(exc)


def _wrong_type(task, prop: str, expression: str | None, value, wanted: Msg) -> SandboxError:
    """A case error naming the element whose expression answered something of the wrong kind."""
    spec = task.task_spec
    return SandboxError(Msg("instance.wrong_type", name=spec.bpmn_name or spec.bpmn_id, element=spec.bpmn_id, prop=prop,
                            expression=expression, value=repr(str(value)[:80]), wanted=wanted),
                        source=expression or "")


def _one_or_many(rows: list[dict]) -> dict | list[dict]:
    """Parameters for one statement: a single row runs as a plain execute, cheaper than an executemany."""
    return rows[0] if len(rows) == 1 else rows


def _is_completed(workflow, open_now: list) -> bool:
    """`workflow.is_completed()`, answered without a walk of the tree when some task is still open."""
    return workflow.completed or (not open_now and workflow.is_completed())


def latest_data(tasks: list) -> dict:
    """The data of the most recently changed open task drawn in the diagram: SpiffWorkflow's own tasks (the
    join an ended branch waits in, a boundary event's join) may have changed later and carry no case data. Of
    tasks changed at the same moment the one deepest in call activities and subprocesses wins: a call activity's
    own task keeps the data it started with while its called process runs."""
    drawn = [t for t in tasks if getattr(t.task_spec, "bpmn_id", None) is not None] or tasks
    return max(drawn, key=lambda t: (t.last_state_change, getattr(t.workflow, "depth", 0))).data


def _ready_human(tasks: list) -> dict[str, Any]:
    return {str(t.id): t for t in tasks if t.state == TaskState.READY and t.task_spec.manual}


def _properties(spec) -> dict:
    return (spec.extensions or {}).get("properties", {}) if hasattr(spec, "extensions") else {}


def _attached_deadline(task):
    """The due moment of the timer attached to a task: the one marked `deadline`, or the only one."""
    parent = task.parent
    if parent is None:
        return None
    timers = [t for t in parent.children if t is not task
              and isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]
    marked = [t for t in timers if _properties(t.task_spec).get(DEADLINE_PROPERTY) == "true"]
    chosen = marked or (timers if len(timers) == 1 else [])
    if not chosen:
        return None
    value = chosen[0].internal_data.get("event_value")
    return value.get("next") if isinstance(value, dict) else value
