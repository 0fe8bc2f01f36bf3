"""Who may see what: a case belongs to an organisation, and a member of staff sees the cases (with their tasks,
documents, attachments and copies) of their own organisation's subtree, nothing else. This module is the one
place that rule is written; every list, page, export, statistic and API route asks it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .messages import Msg
from .models import Case, HumanTask, Organization, User


def path_within(path, root):
    """SQL: the organisation path `path` (a column) lies in the subtree whose path is `root` (text or a bind
    parameter). Paths are `/1/4/`, so a prefix is an ancestor and `/1/` never matches `/12/`."""
    return path.startswith(root)


def within(user: User):
    """SQL: the joined Organization row lies in the user's subtree."""
    return path_within(Organization.path, user.org.path)


def scoped(query, user: User, org_id):
    """The query joined to the organisation `org_id` names (a case's or a task's) and kept to the user's subtree."""
    return query.join(Organization, org_id == Organization.id).where(within(user))


def scoped_case(session: Session, user: User, case_id: int) -> Case:
    """A case the user may see; NotFound otherwise, exactly as for a case that does not exist, so an outsider
    never learns that it does."""
    case = session.scalar(scoped(select(Case), user, Case.org_id).where(Case.id == case_id))
    if case is None:
        raise NotFound(Msg("case.not_found"), case=case_id)
    return case


def scoped_task(session: Session, user: User, task_id: int, *, lock: bool = False) -> HumanTask:
    """A task of a case the user may see, read afresh (the runner writes task rows with plain SQL); NotFound
    otherwise. With `lock`, the row is locked for a change (PostgreSQL)."""
    query = (scoped(select(HumanTask).join(Case, HumanTask.case_id == Case.id), user, Case.org_id)
             .where(HumanTask.id == task_id).execution_options(populate_existing=True))
    if lock:
        query = query.with_for_update(of=HumanTask)
    task = session.scalar(query)
    if task is None:
        raise NotFound(Msg("task.not_found"), task=task_id)
    return task


def sees_case(session: Session, user: User, case_id: int) -> bool:
    """Whether the user may see the case (for choosing who may receive it)."""
    return session.scalar(scoped(select(Case.id), user, Case.org_id).where(Case.id == case_id)) is not None


def organizations(session: Session, user: User) -> list[Organization]:
    """The organisations of the user's subtree, in tree order."""
    return list(session.scalars(select(Organization).where(within(user)).order_by(Organization.path)))


def organization(session: Session, user: User, code: str) -> Organization | None:
    """An organisation of the user's subtree, by code; None for one outside it or unknown."""
    return session.scalar(select(Organization).where(Organization.code == code, within(user)))
