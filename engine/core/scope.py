"""Who may see what: a case belongs to an organisation, and a member of staff sees the cases (with their tasks,
documents, attachments and copies) of their own organisation's subtree, and besides them only the cases that
name them on a task (a `case_access` row: a candidate the case names, an assignee, a delegate or transferee),
nothing else. This module is the one place that rule is written; every list, page, export and API route asks it."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Integer, String, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .errors import NotFound
from .messages import Msg
from .ledger_records import LedgerRow
from .models import Case, CaseAccess, HumanTask, Moment, Organization, User

_user = User.__table__
_access = CaseAccess.__table__
COPIED = "copied"          # the access a copy (抄送) grants: reading only (reads_only)


def path_within(path, root):
    """The organisation path `path` lies in the subtree whose path is `root`: for a column, the SQL clause (`root`
    text or a bind parameter); for a path already read (text), the answer itself. Paths are `/1/4/`, so a prefix
    is an ancestor and `/1/` never matches `/12/`. The one place a subtree is written (tests/test_written_once.py
    checks no other module compares paths by prefix)."""
    return path.startswith(root)


def within(user: User):
    """SQL: the joined Organization row lies in the user's subtree."""
    return path_within(Organization.path, user.org.path)


def visible(path, root, case_id, user_id):
    """SQL, the one rule: the case's organisation `path` lies in the subtree at `root`, or the case (its id
    column `case_id`) names the user `user_id` (a value or a bind parameter) on one of its tasks."""
    return or_(path_within(path, root), case_id.in_(select(_access.c.case_id).where(_access.c.user_id == user_id)))


def scoped(query, user: User, org_id, case_id=None):
    """The query joined to the organisation `org_id` names (a case's or a task's) and kept to what the user may
    see; `case_id` is the case's id column (by default the id beside `org_id`: a case's own, a task's case)."""
    if case_id is None:
        table = org_id.expression.table
        case_id = table.c.id if table is Case.__table__ else table.c.case_id
    return query.join(Organization, org_id == Organization.id).where(
        visible(Organization.path, user.org.path, case_id, user.id))


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


def reads_only(session: Session, user: User, case: Case) -> bool:
    """Whether the user sees the case only by a copy (抄送) sent to them: they may read it, not act on it
    (send it a message, comment, pass it on)."""
    if case.org_id is not None and session.scalar(select(Organization.id).where(
            Organization.id == case.org_id, path_within(Organization.path, user.org.path))) is not None:
        return False
    reasons = set(session.scalars(select(_access.c.reason).where(_access.c.case_id == case.id,
                                                                  _access.c.user_id == user.id)))
    return reasons == {COPIED}


@lru_cache(maxsize=4)
def grant_statement(dialect: str):
    """INSERT of one access per parameter set (g_case, g_user: a username, g_at, g_reason), for the dialect
    named: an unknown username grants nothing, and a user the case already names keeps their first grant."""
    chosen = select(bindparam("g_case", type_=Integer), _user.c.id, bindparam("g_at", type_=Moment()),
                    bindparam("g_reason", type_=String(16))).where(_user.c.username == bindparam("g_user"))
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (build(_access).from_select(["case_id", "user_id", "granted_at", "reason"], chosen)
            .on_conflict_do_nothing())


def grants(case_id: int, usernames, at, reason: str) -> list[dict]:
    """The parameter sets of `grant_statement` that let these users see the case."""
    return [{"g_case": case_id, "g_user": name, "g_at": at, "g_reason": reason} for name in dict.fromkeys(usernames)]


def grant(session: Session, case_id: int, usernames, at, reason: str) -> None:
    """Let these users see the case from now on, in the session's transaction (why: `reason`)."""
    rows = grants(case_id, usernames, at, reason)
    if rows:
        session.execute(grant_statement(session.get_bind().dialect.name), rows)


def organizations(session: Session, user: User) -> list[Organization]:
    """The organisations of the user's subtree, in tree order."""
    return list(session.scalars(select(Organization).where(within(user)).order_by(Organization.path)))


def organization(session: Session, user: User, code: str) -> Organization | None:
    """An organisation of the user's subtree, by code; None for one outside it or unknown."""
    return session.scalar(select(Organization).where(Organization.code == code, within(user)))


def scoped_rows(query, user: User):
    """A query of ledger rows joined to their organisation and kept to those of the user's subtree: an imported
    record is seen by the staff above its organisation, as a case is (no record names anyone)."""
    return query.join(Organization, LedgerRow.org_id == Organization.id).where(within(user))


def scoped_row(session: Session, user: User, ledger_key: str, row_id: int) -> LedgerRow:
    """A ledger row the user may see; NotFound otherwise, as for one that does not exist."""
    row = session.scalar(scoped_rows(select(LedgerRow), user).where(LedgerRow.id == row_id,
                                                                     LedgerRow.ledger_key == ledger_key))
    if row is None:
        raise NotFound(Msg("ledger.row_not_found", row=row_id), row=row_id)
    return row
