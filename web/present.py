"""Plain dictionaries of cases and tasks, as both the pages and the API show them."""
from __future__ import annotations

from flask import url_for

from engine.core import people, Case, HumanTask, User
from engine.records import documents
from engine.work import casework, plain

from .database import session
from .engine_text import engine_text
from .workflow import engine


def _username(user_id: int | None) -> str | None:
    return session().get(User, user_id).username if user_id else None


def task_dict(task: HumanTask, docs: dict[str, str] | None = None) -> dict:
    """A task with its holder, candidates and deadline in working days."""
    db, eng = session(), engine()
    docs = docs if docs is not None else casework.element_documentation(eng, task.case)
    left = eng.calendar.working_days_left(task.due_at, eng.now()) if task.due_at and task.status == "ready" else None
    return {
        "id": task.id, "case_id": task.case_id, "business_number": task.case.business_number,
        "name": task.name, "element_id": task.element_id, "lane": task.lane, "form": task.form,
        "status": task.status, "assignee": _username(task.assignee_id), "owner": _username(task.owner_id),
        "delegation": task.delegation,
        "candidates": [u.username for u in people.candidates(db, task)] if task.status == "ready" else [],
        "created_at": task.created_at, "due_at": task.due_at, "due_provisional": task.due_provisional,
        "working_days_left": left, "legal_basis": docs.get(task.element_id), "completed_at": task.completed_at,
        "completed_by": task.completed_by, "urge_count": task.urge_count or 0,
    }


def case_dict(case: Case, full: bool = False) -> dict:
    """A case's summary fields; its ID numbers masked unless `full` (the reader holds or did one of its tasks)."""
    return {
        "id": case.id, "business_number": case.business_number, "title": case.title,
        "process_key": case.process_key, "bundle_version": case.definition.bundle.version, "status": case.status,
        "org": case.org.code if case.org else None, "org_name": case.org.name if case.org else None,
        "version": case.version, "meta": plain.masked_data(session(), case, case.meta or {}, full=full),
        "error": case.error and engine_text(case.error), "created_by": case.created_by,
        "created_at": case.created_at, "updated_at": case.updated_at, "ended_at": case.ended_at,
    }


def document_dict(doc, endpoint: str) -> dict:
    """A generated document with where to download it."""
    return {"id": doc.id, "name": doc.name, "filename": doc.filename, "status": doc.status,
            "created_at": doc.created_at, "url": url_for(endpoint, case_id=doc.case_id, document_id=doc.id)}


def case_documents(case_id: int, endpoint: str) -> list[dict]:
    """Every document of a case."""
    return [document_dict(d, endpoint) for d in documents.case_documents(session(), case_id)]
