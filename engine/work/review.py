"""What an approver reads on a task's page: the case data under review (the task property `reviewFields`,
shown under 审批事项) with the documents it names, the earlier approvals of the case (`approvalHistory`, 审批记录), the
question asked before submitting (`confirmSubmit`), and what each completion signed (also shown under 已办)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import HumanTask
from ..core.vocabulary import APPROVAL_HISTORY_PROPERTY, CONFIRM_SUBMIT_PROPERTY, REVIEW_FIELDS_PROPERTY
from ..definitions.review_checks import document_names, names, task_properties
from ..records.documents import case_documents
from ..records.history import signed_answers
from .casework import form_schema, labelled, with_limits

Entry = tuple[str, str, Any]        # (name, title, value as the reader sees it), as casework.labelled gives them
_DOCUMENTS: WeakKeyDictionary = WeakKeyDictionary()     # a process spec -> the documents its diagrams write


@dataclass(frozen=True)
class Signed:
    """A completed task as signed: its step, who (a username), when, and its answer split into the decision
    (yes/no and choice fields) and the opinion (the rest), each entry labelled as the case page labels data."""

    task_id: int
    step: str
    who: str | None
    at: datetime | None
    decision: list[Entry] = field(default_factory=list)
    opinion: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Review:
    """What a task's page shows above its form: the data under review, the documents it names (each with the
    case's document when written, else None), the earlier approvals and the question asked before submitting."""

    fields: list[Entry]
    documents: list[tuple[str, Any]]
    history: list[Signed]
    confirm: str | None


def element_properties(engine, case, element_id: str) -> dict:
    """The lawflow properties of an element of the case's diagrams (its own process or one it calls)."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    for process in (spec, *(s for s in subs.values() if s is not None)):
        for ts in process.task_specs.values():
            if getattr(ts, "bpmn_id", None) == element_id:
                return task_properties(ts)
    return {}


def review(engine, session: Session, task: HumanTask) -> Review:
    """The task's 审批事项 (open tasks only: what the case knows now), 审批记录 and confirmation question."""
    props = element_properties(engine, task.case, task.element_id)
    wanted, history_ids = names(props.get(REVIEW_FIELDS_PROPERTY)), names(props.get(APPROVAL_HISTORY_PROPERTY))
    reviewing = bool(wanted) and task.status == "ready"
    done = _completed(session, task) if reviewing or history_ids else []
    answers = signed_answers(session, {task.case_id}, {t.task_uuid for t in done})
    fields, documents = [], []
    if reviewing:
        written = _document_names(engine, task.case)
        known = _known(engine, session, task)
        data = [name for name in wanted if name not in written and name in known]
        stale = _unanswered(engine, session, done, answers, data)
        made = {d.name: d for d in case_documents(session, task.case_id)}
        documents = [(name, made.get(name)) for name in wanted if name in written]
        fields = labelled(session, task.case.definition, {name: known[name] for name in data if name not in stale})
    earlier = [t for t in reversed(done) if t.element_id in history_ids and t.id != task.id
               and (task.completed_at is None or t.completed_at <= task.completed_at)]
    history = [_signed(engine, session, t, answers.get(t.task_uuid) or {}) for t in earlier]
    confirm = props.get(CONFIRM_SUBMIT_PROPERTY) or None     # `{limit:…}` in it follows the case's table
    return Review(fields, documents, history, with_limits(engine, session, task.case, confirm) if confirm else None)


def _completed(session: Session, task: HumanTask) -> list[HumanTask]:
    """The case's completed tasks, the most recent first."""
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == task.case_id,
                                                        HumanTask.status == "completed")
                                .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())))


def _document_names(engine, case) -> set[str]:
    """The documents the case's diagrams write, by name (kept with the engine's parsed spec of its version)."""
    spec, subs = engine.specs(case.definition_id, lambda: case.definition)
    found = _DOCUMENTS.get(spec)
    if found is None:
        found = _DOCUMENTS[spec] = document_names([spec, *(s for s in subs.values() if s is not None)])
    return found


def _known(engine, session: Session, task: HumanTask) -> dict:
    """What the open task knows: its data and the process's data objects."""
    workflow = engine.load_workflow(session, task.case)
    found = workflow.get_task_from_id(UUID(task.task_uuid))
    if found is None:
        return {}
    return {**found.data, **found.workflow.data_objects}


def _unanswered(engine, session: Session, done: list[HumanTask], answers: dict, wanted: list[str]) -> set[str]:
    """The names whose latest answer in this case left them out: the most recent completion whose form has the field
    did not fill it, so what the case still holds under the name is an earlier round's (e.g. the sanctions of a
    proposal that was sent back and replaced by another outcome)."""
    open_names, stale = set(wanted), set()
    for earlier in done:
        if not open_names:
            break
        fields = (form_schema(engine, session, earlier) or {}).get("properties") or {}
        answer = answers.get(earlier.task_uuid)
        for name in [n for n in open_names if n in fields]:
            open_names.discard(name)
            if answer is not None and name not in answer:
                stale.add(name)
    return stale


def signed(engine, session: Session, tasks: list[HumanTask]) -> dict[int, Signed]:
    """What each completed task signed, by task id."""
    answers = signed_answers(session, {t.case_id for t in tasks}, {t.task_uuid for t in tasks})
    return {t.id: _signed(engine, session, t, answers.get(t.task_uuid) or {}) for t in tasks}


def _signed(engine, session: Session, task: HumanTask, answer: dict) -> Signed:
    schema = form_schema(engine, session, task) or {}
    fields = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    ordered = {name: answer[name] for name in [*fields, *answer] if name in answer}
    decision, opinion = [], []
    for name, title, value in labelled(session, task.case.definition, ordered):
        spec = fields.get(name) if isinstance(fields.get(name), dict) else {}
        entry = (name, spec.get("title") or title, value)
        (decision if _is_decision(spec) else opinion).append(entry)
    return Signed(task.id, task.name, task.completed_by, task.completed_at, decision, opinion)


def _is_decision(spec: dict) -> bool:
    """A yes/no or choice field says the decision; text, numbers and dates say the opinion."""
    items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
    return spec.get("type") == "boolean" or "enum" in spec or "const" in spec or "enum" in items
