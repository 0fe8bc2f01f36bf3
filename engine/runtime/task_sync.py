"""The task index and deadlines of a step: which human tasks a save completes, cancels and creates, in which
lane, organisation and for whom, and when each is due. `Instance` takes these from `TaskSync`."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from ..core.errors import SandboxError
from ..core.messages import Msg
from ..core import recipients
from ..core.models import Organization, User
from ..core.people import may_do
from ..core.scope import grant_statement, grants
from ..core.vocabulary import (
    ASSIGNEE_PROPERTY, DEADLINE_PROPERTY, DUE_PROPERTY, FORM_PROPERTY, KEEP_WITH_PROPERTY, LANE_ORGS_VARIABLE,
    LANE_USERS_VARIABLE,
)
from ..time.workdays import as_moment
from . import assignment, lean
from . import statements as sql
from .case_context import running


class TaskSync:
    """The part of `Instance` that keeps the human task rows in step with the workflow (see instance.py for the
    attributes it reads: engine, session, case, actor, completed, recompute_due and the lane caches)."""

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


def _wrong_type(task, prop: str, expression: str | None, value, wanted: Msg) -> SandboxError:
    """A case error naming the element whose expression answered something of the wrong kind."""
    spec = task.task_spec
    return SandboxError(Msg("instance.wrong_type", name=spec.bpmn_name or spec.bpmn_id, element=spec.bpmn_id, prop=prop,
                            expression=expression, value=repr(str(value)[:80]), wanted=wanted),
                        source=expression or "")

def _one_or_many(rows: list[dict]) -> dict | list[dict]:
    """Parameters for one statement: a single row runs as a plain execute, cheaper than an executemany."""
    return rows[0] if len(rows) == 1 else rows

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
