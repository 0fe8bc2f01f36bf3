"""A campaign's participants as its page shows them: the cases it started that the user may see, with their open
tasks, kept to scope.py's rule for the campaign and for each participant; the page's table and declared
figures are built on them (participants.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import Case, HumanTask, Organization, User
from ..core.scope import scoped, scoped_case
from ..runtime.case_context import where_fields

# The columns a participant's row needs: plain tuples, no ORM objects (a campaign has a thousand of them).
ROW = (Case.id, Case.business_number, Case.title, Case.status, Case.meta, Case.created_at)


def _children(user: User, case_id: int, filters: dict):
    """SQL: the participants of the case within the user's subtree, with their organisation, kept to `filters`
    (`status`, `org`: an organisation code, any other name: a reportable field; a list value: any of them)."""
    query = scoped(select(*ROW, Organization.code, Organization.name), user, Case.org_id).where(
        Case.parent_id == case_id)
    where = dict(filters)
    status, org = where.pop("status", None), where.pop("org", None)
    if status:
        query = query.where(Case.status.in_(status if isinstance(status, (list, tuple)) else [status]))
    if org:
        query = query.where(Organization.code.in_(org if isinstance(org, (list, tuple)) else [org]))
    return where_fields(query, where)


def participants(session: Session, user: User, case_id: int, *, now: datetime | None = None,
                 **filters) -> list[dict]:
    """The participants of a case the user may see (NotFound for a case they may not), oldest first: id, number,
    title, status, org, org_name, meta, created_at, the names of their open tasks and whether any is overdue."""
    scoped_case(session, user, case_id)
    now = now or datetime.now(timezone.utc)
    rows = session.execute(_children(user, case_id, filters).order_by(Case.id)).all()
    ids = [row[0] for row in rows]
    open_tasks: dict[int, list] = {i: [] for i in ids}
    if ids:
        for task_case, name, due_at in session.execute(
                select(HumanTask.case_id, HumanTask.name, HumanTask.due_at)
                .where(HumanTask.status == "ready", HumanTask.case_id.in_(ids))
                .order_by(HumanTask.id)):
            open_tasks[task_case].append((name, due_at))
    return [{"id": id_, "number": number, "title": title, "status": status, "org": code, "org_name": name,
             "meta": dict(meta or {}), "created_at": created_at, "tasks": [task for task, _ in open_tasks[id_]],
             "overdue": any(due is not None and due < now for _, due in open_tasks[id_])}
            for id_, number, title, status, meta, created_at, code, name in rows]

