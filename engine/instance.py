"""The instance runner: the only code that advances a workflow and writes its state."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from .errors import StepBudgetExceeded
from .models import AuditEvent, Case, CaseState, CaseStep, HumanTask, Organization
from .state import compact
from .validation import FORM_PROPERTY

CASE_ORG_VARIABLE = "case_org"          # organisation code the case currently belongs to
LANE_USERS_VARIABLE = "lane_users"      # {lane: [username, …]}: people the case names for a lane
_STEP_KINDS = {"UserTask", "ManualTask", "ScriptTask", "BusinessRuleTask", "CallActivity", "SubWorkflowTask",
               "EndEvent", "StartEvent", "IntermediateCatchEvent", "IntermediateThrowEvent", "BoundaryEvent",
               "ExclusiveGateway", "ParallelGateway", "InclusiveGateway", "EventBasedGateway",
               "SendTask", "ReceiveTask", "ServiceTask", "NoneTask", "TransactionSubprocess"}


class Instance:
    """A case with its workflow loaded, inside one transaction."""

    def __init__(self, engine, session: Session, case: Case, workflow, actor: str):
        self.engine = engine
        self.session = session
        self.case = case
        self.workflow = workflow
        self.actor = actor

    def audit(self, action: str, task_uuid: str | None = None, **detail: Any) -> None:
        """Record who did what to this case."""
        self.session.add(AuditEvent(case_id=self.case.id, task_uuid=task_uuid, actor=self.actor,
                                    at=self.engine.now(), action=action, detail=detail))

    def step(self, task) -> None:
        """Record a finished element of the case's path."""
        spec = task.task_spec
        kind = type(spec).__name__
        if getattr(spec, "bpmn_id", None) and kind in _STEP_KINDS:
            self.session.add(CaseStep(case_id=self.case.id, element_id=spec.bpmn_id, name=spec.bpmn_name or "",
                                      kind=kind, finished_at=self.engine.now()))

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

        self.workflow.refresh_timers()
        self.workflow.do_engine_steps(did_complete_task=did_complete)

    def ready_human_tasks(self) -> dict[str, Any]:
        """The workflow's ready user and manual tasks, by task id."""
        return {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}

    def save(self) -> None:
        """Compact and store the live state, then bring the case row and task index up to date."""
        wf, case, now = self.workflow, self.case, self.engine.now()
        compact(wf)
        state = self.session.get(CaseState, case.id)
        text = self.engine.codec.dump_state(wf)
        if state is None:
            self.session.add(CaseState(case_id=case.id, state=text))
        else:
            state.state = text
        self._follow_org(wf.data if wf.is_completed() else self._current_data())
        self._sync_tasks(now)
        data = self._current_data()
        props = case.definition.properties or {}
        fields = [f.strip() for f in props.get("reportableFields", "").split(",") if f.strip()]
        case.meta = {f: _plain(data.get(f)) for f in fields if f in data}
        title_field = props.get("titleField")
        if title_field and data.get(title_field):
            case.title = str(data[title_field])[:300]
        if wf.is_completed() and case.status == "running":
            case.status, case.ended_at = "completed", now
            self.audit("case_completed")
        case.updated_at = now

    def _current_data(self) -> dict:
        """The data of the most recently changed task: what the case knows right now."""
        if self.workflow.is_completed():
            return self.workflow.data or (self.workflow.last_task.data if self.workflow.last_task else {})
        tasks = self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        if not tasks:
            return self.workflow.last_task.data if self.workflow.last_task else {}
        return max(tasks, key=lambda t: t.last_state_change).data

    def _follow_org(self, data: dict) -> None:
        code = data.get(CASE_ORG_VARIABLE)
        if not code or (self.case.org is not None and self.case.org.code == code):
            return
        org = self.session.scalar(select(Organization).where(Organization.code == code))
        if org is None:
            return
        previous = self.case.org.code if self.case.org else None
        self.case.org = org
        self.audit("case_org_changed", **{"from": previous, "to": code})

    def _sync_tasks(self, now) -> None:
        ready = self.ready_human_tasks()
        rows = self.session.scalars(select(HumanTask).where(
            HumanTask.case_id == self.case.id, HumanTask.status == "ready")).all()
        known = {row.task_uuid for row in rows}
        for row in rows:
            if row.task_uuid not in ready:
                row.status, row.completed_at = "cancelled", now
        for uuid, task in ready.items():
            if uuid in known:
                continue
            spec = task.task_spec
            lane_users = (task.data.get(LANE_USERS_VARIABLE) or {}).get(spec.lane) if spec.lane else None
            self.session.add(HumanTask(
                case_id=self.case.id, task_uuid=uuid, element_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                lane=spec.lane, form=(spec.extensions or {}).get("properties", {}).get(FORM_PROPERTY),
                org_id=self.case.org_id if self.case.org is None else self.case.org.id,
                candidate_users=list(lane_users) if lane_users else None, status="ready", created_at=now))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
