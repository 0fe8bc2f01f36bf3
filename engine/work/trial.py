"""Try-runs of a draft: a test case run by the real engine on the draft's files, on a clock of its own, in one
transaction that is rolled back, so nothing it does is kept (no case, task, document, notification, audit row, no
business number taken, no e-mail queued).

A scenario says what to do: the process, the organisation, the start moment, and the steps in order — complete
the open task `task` with `values` (at the moment `at`, by the candidate `by`, if given; else its first candidate
who may), send the case a BPMN message `message` with a `payload` (as the case page's message actions do; by the
user `by`, if given, who must be one the diagram lets send it), or advance the clock to the next timer.
Saved with the process as `forms/<process>/scenarios/<name>.json`, it also holds the outcome it had when saved
(`expected`: the route, the open tasks, each deadline, the documents and the messages), and running it again on a
later draft names what changed.
"""
from __future__ import annotations

import io
import time as _time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.case_records import CaseCopy, CaseDocument, CaseMessage, Notification
from ..core.db import rolled_back_session
from ..core.errors import EngineError, InvalidState, NotAllowed, NotFound
from ..core.messages import Msg
from ..core.models import AuditEvent, Case, HumanTask, User
from ..core.people import candidates
from ..definitions.bundles import bundle_file, publish, store
from ..definitions.forms import prefill_sources, prefilled
from ..records.document_worker import TemplateFailed, fill_in_child
from ..records.documents import limits as document_limits
from ..runtime import timer_clock
from ..runtime.cases import complete_task, mutate_case, send_message, start_case, waiting_messages
from ..runtime.engine import Engine
from ..time.workdays import day_of
from . import casework
# The scenario file's format lives in trial_scenarios.py; its functions are part of this module's surface.
from .trial_scenarios import (  # noqa: F401
    caught_messages, check_messages, compare, parse_moment, parse_scenario, scenario_file, scenario_path, scenario_paths,
)

TRIAL_ACTOR = "trial"
_TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


class TrialClock:
    """The try-run's clock: stands still at the moment it is set to. SpiffWorkflow stamps a task's state changes
    on the system clock; `moment_at` says which moment of this clock a stamp falls in (the engine's script engine
    asks it for `task_started`)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self._stamps: list[float] = [float("-inf")]
        self._moments: list[datetime] = [moment]

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, moment: datetime) -> None:
        if moment > self.moment:
            self.moment = moment
            self._stamps.append(_time.time())
            self._moments.append(moment)

    def moment_at(self, stamp: float) -> datetime:
        return self._moments[bisect_right(self._stamps, stamp) - 1]


@dataclass
class Outcome:
    """What a try-run did and where it stands (see `run`)."""

    process: str
    start: str
    clock: str = ""
    status: str = ""
    error: Msg | None = None
    number: str | None = None
    steps_done: int = 0
    failed_step: int | None = None
    failure: EngineError | None = None
    route: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    open_task: dict | None = None
    documents: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    timers: list[dict] = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)          # the messages the scenario's steps sent to the case
    waiting: list[dict] = field(default_factory=list)       # the messages the case waits for now: name, label
    audit: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """What a saved scenario records and a later run is compared with: the route, the open tasks, the
        deadline of each task (its last day), the documents and the messages."""
        deadlines: dict[str, str] = {}
        for task in self.tasks:
            if task["due_day"]:
                deadlines[_unique(deadlines, task["name"])] = task["due_day"]
        return {"route": [r["name"] for r in self.route], "open": [t["name"] for t in self.tasks if t["status"] == "ready"],
                "deadlines": deadlines, "documents": [d["name"] for d in self.documents],
                "messages": [m["title"] for m in self.messages], "status": self.status}


def _unique(known: dict, name: str) -> str:
    if name not in known:
        return name
    n = 2
    while f"{name} #{n}" in known:
        n += 1
    return f"{name} #{n}"


def run(sql_engine, base: Engine, files: dict[str, bytes], scenario: dict, *, actor: str,
        org_code: str | None = None, documents: bool = True) -> Outcome:
    """Run a scenario on these files (a draft's) by the real engine, in a transaction that is rolled back.

    The files are validated as for publishing (a blocking problem raises BundleInvalid). Steps run in order
    until one cannot (its task is not open, its data is refused, the diagram fails): the outcome then names the
    step (`failed_step`, 1-based, and `failure`) and stands where the case stood before it."""
    scenario = parse_scenario(scenario)
    start = parse_moment(scenario["start"], "start")
    clock = TrialClock(start)
    engine = base.twin(clock=clock)
    outcome = Outcome(process=scenario["process"], start=start.isoformat())
    with rolled_back_session(sql_engine) as session, timer_clock.using(clock):
        bundle, _ = store(session, files, engine=engine, actor=actor, note="trial")
        publish(session, bundle, engine=engine, actor=actor, note="trial")
        session.commit()
        check_messages(scenario, files)
        org = org_code or scenario.get("org") or ""
        try:
            case = start_case(engine, session, scenario["process"], dict(scenario.get("data") or {}),
                              org_code=org, actor=actor)
        except EngineError as exc:
            outcome.failed_step, outcome.failure = 0, exc
            return outcome
        values: dict[str, dict] = {}
        for number, step in enumerate(scenario.get("steps") or [], 1):
            try:
                _step(engine, session, clock, case.id, step, values)
            except EngineError as exc:
                session.rollback()
                outcome.failed_step, outcome.failure = number, exc
                break
            outcome.steps_done = number
            if "message" in step:
                outcome.sent.append({"step": number, "message": step["message"], "at": clock().isoformat(),
                                     "by": step.get("by") or "", "payload": dict(step.get("payload") or {})})
        _collect(engine, session, case.id, outcome, values, documents)
        outcome.clock = clock().isoformat()
    for entry in outcome.documents:
        _fill(entry)
    return outcome


def _fill(entry: dict) -> None:
    """Fill a document of the run in memory, as the engine would after the step's commit."""
    pending = entry.pop("pending", None)
    if pending is None:
        return
    try:
        content = fill_in_child(pending[0], pending[1], document_limits())
    except TemplateFailed as exc:
        entry["status"], entry["error"] = "failed", exc.msg
        return
    entry["status"], entry["content"], entry["text"] = "ready", content, docx_text(content)


def _step(engine, session: Session, clock: TrialClock, case_id: int, step: dict, values: dict) -> None:
    if step.get("at"):
        clock.advance(parse_moment(step["at"], "at"))
        _fire_timers(engine, session, case_id)
    if step.get("advance") == "next_timer":
        due = session.scalar(select(func.min(Case.next_timer_at)).where(
            Case.id.in_(_case_ids(session, case_id)), Case.status == "running"))
        if due is None:
            raise InvalidState(Msg("trial.no_timer"))
        clock.advance(due + timedelta(seconds=1))     # SpiffWorkflow fires a timer once its moment is past
        _fire_timers(engine, session, case_id)
        return
    if "message" in step:
        _send(engine, session, case_id, step)
        return
    task = session.scalar(select(HumanTask).where(
        HumanTask.case_id.in_(_case_ids(session, case_id)), HumanTask.element_id == step["task"],
        HumanTask.status == "ready").order_by(HumanTask.id).limit(1).execution_options(populate_existing=True))
    if task is None:
        open_now = session.scalars(select(HumanTask.name).where(
            HumanTask.case_id.in_(_case_ids(session, case_id)), HumanTask.status == "ready"))
        raise InvalidState(Msg("trial.task_not_open", task=step.get("name") or step["task"],
                               open=", ".join(open_now) or "—"))
    people = candidates(session, task)
    if step.get("by"):          # the scenario names who does it: one of the task's candidates
        people = [u for u in people if u.username == step["by"]]
        if not people:
            raise NotAllowed(Msg("trial.not_candidate", user=str(step["by"])[:64], task=task.name))
    data = dict(step.get("values") or {})
    for index, user in enumerate(people or [None]):
        try:
            complete_task(engine, session, task.id, data, user=user)
            break
        except NotAllowed:      # e.g. excludedUsers names this candidate: the next one does it
            session.rollback()
            if index == len(people) - 1:
                raise
    values[task.task_uuid] = data


def _send(engine, session: Session, case_id: int, step: dict) -> None:
    """Send the case the step's message, as the case page would (by the step's user, if it names one)."""
    name, payload, actor = step["message"], dict(step.get("payload") or {}), TRIAL_ACTOR
    waiting = waiting_messages(engine, session, case_id)
    if name not in waiting:
        raise InvalidState(Msg("trial.message_not_waiting", message=name[:60], waiting=", ".join(waiting) or "—"))
    if step.get("by"):
        user = session.scalar(select(User).where(User.username == step["by"]))
        if user is None:
            raise NotAllowed(Msg("trial.not_sender", user=str(step["by"])[:64], message=name[:60]))
        payload = casework.sender_payload(engine, session, session.get(Case, case_id), user, name, payload)
        actor = user.username
    send_message(engine, session, case_id, name, payload, actor=actor)


def _fire_timers(engine, session: Session, case_id: int) -> None:
    """Run the try-run's cases whose timers are due on its clock (never anyone else's)."""
    for _ in range(50):
        due = list(session.scalars(select(Case).where(
            Case.id.in_(_case_ids(session, case_id)), Case.status == "running",
            Case.next_timer_at <= engine.now()).execution_options(populate_existing=True)))
        if not due:
            return
        for case in due:
            mutate_case(engine, session, case, "timer", _run_timers)


def _run_timers(instance) -> None:
    instance.audit("timers_checked")
    instance.run()


def _case_ids(session: Session, case_id: int) -> list[int]:
    """The try-run's case and the cases it started."""
    ids, frontier = [case_id], [case_id]
    while frontier:
        frontier = list(session.scalars(select(Case.id).where(Case.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids


def _collect(engine, session: Session, case_id: int, outcome: Outcome, values: dict, with_documents: bool) -> None:
    ids = _case_ids(session, case_id)
    case = session.get(Case, case_id, populate_existing=True)
    outcome.status, outcome.number = case.status, case.business_number
    outcome.error = Msg.loads(case.error) if case.error else None
    basis = casework.element_documentation(engine, case)
    users = {u.id: u for u in session.scalars(select(User))}
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.case_id.in_(ids)).order_by(HumanTask.id)
                                 .execution_options(populate_existing=True)))
    for task in tasks:
        outcome.tasks.append({
            "element": task.element_id, "name": task.name, "lane": task.lane, "status": task.status,
            "created_at": _iso(task.created_at), "due_at": _iso(task.due_at),
            "due_day": day_of(task.due_at).isoformat() if task.due_at else "",
            "basis": basis.get(task.element_id) or "",
            "assignee": users[task.assignee_id].username if task.assignee_id in users else "",
            "candidates": [u.username for u in candidates(session, task)] if task.status == "ready" else [],
        })
    done = sorted((t for t in tasks if t.status == "completed"), key=lambda t: (t.completed_at, t.id))
    outcome.route = [{"element": t.element_id, "name": t.name, "completed_at": _iso(t.completed_at),
                      "completed_by": t.completed_by, "values": values.get(t.task_uuid, {}),
                      "labels": _labels(engine, session, t)} for t in done]
    ready = [t for t in tasks if t.status == "ready"]
    if ready and case.status == "running":
        outcome.open_task = _open_task(engine, session, ready[0])
    for doc in session.scalars(select(CaseDocument).where(CaseDocument.case_id.in_(ids)).order_by(CaseDocument.id)):
        entry = {"name": doc.name, "template": doc.template, "filename": doc.filename, "status": doc.status,
                 "text": "", "content": None, "error": None}
        if with_documents and doc.status == "pending":
            try:        # filled once the transaction is rolled back: a slow template never holds the database
                entry["pending"] = (bundle_file(session, doc.bundle_id, doc.template), doc.context)
            except NotFound as exc:
                entry["status"], entry["error"] = "failed", exc.msg
        outcome.documents.append(entry)
    grouped: dict[tuple, dict] = {}
    for note in session.scalars(select(Notification).where(Notification.case_id.in_(ids)).order_by(Notification.id)):
        key = (note.kind, note.title, note.body)
        grouped.setdefault(key, {"kind": note.kind, "title": note.title, "body": note.body, "to": []})
        grouped[key]["to"].append(users[note.user_id].username if note.user_id in users else str(note.user_id))
    outcome.messages = list(grouped.values())
    copies: dict[tuple, dict] = {}
    for copy in session.scalars(select(CaseCopy).where(CaseCopy.case_id.in_(ids)).order_by(CaseCopy.id)):
        entry = copies.setdefault((copy.sent_by, copy.note), {"kind": "copy", "title": copy.note or "", "body": "",
                                                              "to": []})
        entry["to"].append(users[copy.user_id].username if copy.user_id in users else str(copy.user_id))
    outcome.messages.extend(copies.values())
    for sent in session.scalars(select(CaseMessage).where(CaseMessage.sender_case_id.in_(ids)).order_by(CaseMessage.id)):
        outcome.messages.append({"kind": "case_message", "title": sent.name, "body": "",
                                 "to": [f"#{sent.target_case_id}"]})
    outcome.audit = [{"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail or {}}
                     for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id.in_(ids))
                                              .order_by(AuditEvent.id))]
    for one in session.scalars(select(Case).where(Case.id.in_(ids))):
        if one.status not in ("running", "suspended"):
            continue
        workflow = engine.load_workflow(session, one)
        for task in workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if type(definition).__name__ not in _TIMER_EVENTS:
                continue
            value = task.internal_data.get("event_value")
            due = value.get("next") if isinstance(value, dict) else value
            outcome.timers.append({"element": getattr(task.task_spec, "bpmn_id", "") or "",
                                   "name": getattr(task.task_spec, "bpmn_name", None) or task.task_spec.name,
                                   "due": str(due or "")})
    outcome.timers.sort(key=lambda t: t["due"])
    labels = casework.message_labels(engine, case)
    for entry in outcome.sent:
        entry["label"] = labels.get(entry["message"], entry["message"])
    if case.status == "running":
        outcome.waiting = [{"name": n, "label": labels.get(n, n)} for n in waiting_messages(engine, session, case_id)]
    outcome.data = casework.case_data(engine, session, case)


def _labels(engine, session: Session, task: HumanTask) -> dict[str, str]:
    """The titles of a task's form fields, by name."""
    schema = casework.form_schema(engine, session, task) or {}
    return {k: str(p.get("title") or k) for k, p in (schema.get("properties") or {}).items() if isinstance(p, dict)}


def _open_task(engine, session: Session, task: HumanTask) -> dict:
    schema = casework.form_schema(engine, session, task) or {"type": "object", "properties": {}}
    known = casework.task_data(engine, session, task)
    return {"element": task.element_id, "name": task.name, "form": task.form, "schema": schema,
            "candidates": [u.username for u in candidates(session, task)],
            "prefill": prefilled(schema, known) if prefill_sources(schema) else {}}


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def docx_text(content: bytes | None) -> str:
    """The text of a filled Word document, paragraph by paragraph (tables' cells included)."""
    if not content:
        return ""
    from docx import Document

    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(line for line in lines if line.strip())

