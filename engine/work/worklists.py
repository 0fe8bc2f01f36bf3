"""Work lists: the inbox views, copies, case search and the leader's overview, each within the user's
organisation subtree."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Text, and_, cast, distinct, func, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session, contains_eager, selectinload

from ..core.case_records import CaseCopy
from ..core.db import begin_write
from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.models import Case, HumanTask, Organization, User
from ..core.scope import organizations, scoped
from ..core.vocabulary import LEADER_PROPERTY
from ..runtime.search_text import compact_number
from . import keyset

TASK_VIEWS = ("mine", "group", "delegated", "done")
SORTS = ("due", "newest", "oldest")      # by due time (finished: newest first), or by when the task arrived


def _role_names(user: User) -> list[str]:
    return [r.name for r in user.roles] + [r.code for r in user.roles]

def _candidate_clause(user: User):
    """Unassigned ready tasks the user is a candidate for (named users, else the lane's role in the task's org)."""
    named = cast(HumanTask.candidate_users, Text).like(f'%"{_like_escape(user.username)}"%', escape="\\")
    by_role = and_(HumanTask.candidate_users.is_(None), HumanTask.org_id == user.org_id,
                   HumanTask.lane.in_(_role_names(user)))
    return and_(HumanTask.status == "ready", HumanTask.assignee_id.is_(None), or_(by_role, named))

def _delegated_by(user: User):
    """Open tasks the user delegated (委派) and has not had back yet."""
    return and_(HumanTask.status == "ready", HumanTask.owner_id == user.id, HumanTask.delegation == "pending")

def _one_of(choices) -> Msg:
    return Msg("list.one_of", choices=", ".join(choices))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

def inbox(session: Session, user: User, view: str = "mine", *, process_key: str | None = None,
          q: str | None = None, due: str | None = None, since: datetime | None = None,
          until: datetime | None = None, now: datetime | None = None, soon: datetime | None = None,
          limit: int = 200, sort: str = "due", cursor: str | None = None) -> list[HumanTask]:
    """The user's tasks of one view: mine (assigned to me), group (my role's unclaimed tasks), delegated (mine,
    with a delegate until they hand it back), done (completed by me), sorted by due time; `due` = overdue | soon
    narrows to tasks past `now` or due before `soon`; `cursor` (inbox_cursor of a full page) goes on after it."""
    if view not in TASK_VIEWS:
        raise DataValidationError(Msg("list.bad_view"), [FieldError("view", _one_of(TASK_VIEWS), "enum")])
    query = scoped(select(HumanTask).join(Case, HumanTask.case_id == Case.id), user, Case.org_id)
    if view == "mine":
        query = query.where(HumanTask.status == "ready", HumanTask.assignee_id == user.id)
    elif view == "group":
        query = query.where(_candidate_clause(user))
    elif view == "delegated":
        query = query.where(_delegated_by(user))
    else:
        query = query.where(HumanTask.status == "completed", HumanTask.completed_by == user.username)
    query = _case_filters(query, process_key, q, since, until)
    if due == "overdue" and now is not None:
        query = query.where(HumanTask.due_at < now)
    elif due == "soon" and now is not None and soon is not None:
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at < soon)
    if sort not in SORTS:
        raise DataValidationError(Msg("list.bad_sort"), [FieldError("sort", _one_of(SORTS), "enum")])
    keys = _inbox_keys(view, sort)
    if cursor:
        query = query.where(keyset.after(keys, keyset.decode(cursor, keys)))
    query = query.order_by(*(part for key in keys for part in _ordered(*key)))
    # Each row's case comes with it from the join: a page of 200 tasks is one statement, not 201.
    found = list(session.scalars(query.options(contains_eager(HumanTask.case)).limit(limit)
                                 .execution_options(populate_existing=True)))
    if view == "group":     # the LIKE above narrows; this makes the named-user match exact
        found = [t for t in found if t.candidate_users is None or user.username in t.candidate_users]
    return found

def _inbox_keys(view: str, sort: str) -> list[tuple]:
    """The inbox's order as keyset keys (column, descending, nulls last), the task's id last."""
    if sort == "newest":
        return [(HumanTask.created_at, True, False), (HumanTask.id, True, False)]
    if sort == "oldest":
        return [(HumanTask.created_at, False, False), (HumanTask.id, False, False)]
    if view == "done":
        return [(HumanTask.completed_at, True, False), (HumanTask.id, True, False)]
    return [(HumanTask.due_at, False, True), (HumanTask.id, False, False)]

def _ordered(column, descending: bool, nulls_last: bool):
    ordered = column.desc() if descending else column.asc()
    return (ordered.nulls_last(),) if nulls_last else (ordered,)     # NULLS LAST: an index's own order

def inbox_cursor(tasks: list[HumanTask], limit: int, view: str = "mine", sort: str = "due") -> str | None:
    """The cursor of the inbox page after these tasks, if the page was full."""
    keys = _inbox_keys(view, sort)
    return keyset.page_cursor(tasks, limit, lambda t: [getattr(t, column.key) for column, _d, _n in keys])

def my_work(session: Session, user: User, **filters) -> tuple[list[HumanTask], list[HumanTask]]:
    """我的待办 as a page shows it: the tasks assigned to me and, below them, the unclaimed ones I may claim (the
    group view), both narrowed and sorted by the same `inbox` filters."""
    return inbox(session, user, "mine", **filters), inbox(session, user, "group", **filters)

def copies(session: Session, user: User, *, unread_only: bool = False, limit: int = 200) -> list[CaseCopy]:
    """Copies sent to the user of cases in their organisation subtree, newest first."""
    query = (scoped(select(CaseCopy).join(Case, CaseCopy.case_id == Case.id), user, Case.org_id)
             .where(CaseCopy.user_id == user.id).order_by(CaseCopy.id.desc()).limit(limit))
    if unread_only:
        query = query.where(CaseCopy.read_at.is_(None))
    return list(session.scalars(query))

def inbox_counts(session: Session, user: User, now: datetime, soon: datetime) -> dict[str, int]:
    """How many tasks each inbox view holds, plus overdue and due-soon among mine and my group's."""
    def count(*where) -> int:
        return session.scalar(scoped(select(func.count()).select_from(HumanTask)
                                     .join(Case, HumanTask.case_id == Case.id), user, Case.org_id).where(*where))
    mine, group = and_(HumanTask.status == "ready", HumanTask.assignee_id == user.id), _candidate_clause(user)
    # Mine, my group's, and the overdue and due-soon among them in one pass over the tasks open to me (each
    # row's case is joined once for the scope, not once per figure).
    open_counts = session.execute(scoped(
        select(func.count().filter(mine), func.count().filter(group), func.count().filter(HumanTask.due_at < now),
               func.count().filter(and_(HumanTask.due_at >= now, HumanTask.due_at < soon)))
        .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id), user, Case.org_id)
        .where(or_(mine, group))).one()
    return {
        "mine": open_counts[0],
        "group": open_counts[1],
        "delegated": count(_delegated_by(user)),
        "copies": session.scalar(scoped(select(func.count()).select_from(CaseCopy)
                                        .join(Case, CaseCopy.case_id == Case.id), user, Case.org_id)
                                 .where(CaseCopy.user_id == user.id, CaseCopy.read_at.is_(None))),
        "overdue": open_counts[2],
        "soon": open_counts[3],
    }

def _case_filters(query, process_key, q, since, until):
    if process_key:
        query = query.where(Case.process_key == process_key)
    if q:
        query = query.where(_text_matches(q.strip()))
    if since:
        query = query.where(Case.created_at >= since)
    if until:
        query = query.where(Case.created_at < until)
    return query

def _text_matches(q: str):
    """A case whose number, title, reportable fields or searchable text (`searchFields`) holds the words; a phone
    number typed with spaces or dashes is also looked for without them."""
    patterns = [f"%{_like_escape(q)}%"]
    compact = compact_number(q)
    if compact and compact != q:
        patterns.append(f"%{compact}%")
    return or_(*(column.like(p, escape="\\") for p in patterns for column in (
        Case.business_number, Case.title, cast(Case.meta, Text), Case.search_text)))


def search_cases(session: Session, user: User, *, process_key: str | None = None, status: str | None = None,
                 q: str | None = None, org_code: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 200, cursor: str | None = None) -> list[Case]:
    """Cases in the user's organisation subtree matching the filters, newest first; `cursor` (case_cursor of a
    full page) goes on after it."""
    query = scoped(select(Case.id), user, Case.org_id)
    if status:
        query = query.where(Case.status == status)
    if org_code:
        query = query.where(Organization.code == org_code)
    query = _case_filters(query, process_key, q, since, until)
    if cursor:
        query = query.where(keyset.after(CASE_KEYS, keyset.decode(cursor, CASE_KEYS)))
    # The page's ids first, then its rows: the ids of a date range come from an index alone (created_at, org_id,
    # id), without reading every case of the range from the table to keep 200 of them. With a range, the ids are
    # sorted as a value (`id + 0`), not read in the key's order: the planner, not knowing that ids grow with
    # created_at, would otherwise walk the key back from the newest case until it reached an older range.
    newest_first = (Case.id + 0 if since or until else Case.id).desc()
    page = query.order_by(newest_first).limit(limit)
    # Each row's process and organisation come with the page (one query each for the few there are), not looked
    # up row by row when a list or an export shows them.
    return list(session.scalars(select(Case).where(Case.id.in_(page)).order_by(Case.id.desc())
                                .options(selectinload(Case.definition), selectinload(Case.org))))

CASE_KEYS = [(Case.id, True, False)]      # newest first: ids grow as cases start

def case_cursor(found: list[Case], limit: int) -> str | None:
    """The cursor of the case search's page after these cases, if the page was full."""
    return keyset.page_cursor(found, limit, lambda c: [c.id])

def all_cases(session: Session, user: User, *, chunk: int = 1000, **filters) -> Iterator[Case]:
    """Every case `search_cases` finds with these filters, fetched a page at a time by cursor: an export streams
    them without holding them all."""
    cursor = ""
    while cursor is not None:
        page = search_cases(session, user, limit=chunk, cursor=cursor or None, **filters)
        cursor = case_cursor(page, chunk)
        while page:                 # handed out and let go one by one: memory holds a page at most
            yield page.pop(0)

def current_steps(session: Session, cases: list[Case]) -> dict[int, list[HumanTask]]:
    """Each listed case's open tasks (its current steps), earliest deadline first, in one query (the cases were
    found within the user's scope)."""
    found: dict[int, list[HumanTask]] = {c.id: [] for c in cases}
    if found:
        for task in session.scalars(select(HumanTask).where(HumanTask.case_id.in_(found), HumanTask.status == "ready")
                                    .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)):
            found[task.case_id].append(task)
    return found

def workload(session: Session, user: User, now: datetime, soon: datetime) -> list[dict]:
    """Per organisation of the user's subtree: running cases, open tasks, and the cases with a task due soon or
    overdue."""
    org_rows = organizations(session, user)
    open_tasks = (select(HumanTask.org_id, func.count(), func.count(distinct(_when_case(HumanTask.due_at < now))),
                         func.count(distinct(_when_case(and_(HumanTask.due_at >= now, HumanTask.due_at < soon)))))
                  .where(HumanTask.status == "ready", HumanTask.org_id.in_([o.id for o in org_rows]))
                  .group_by(HumanTask.org_id))
    counts = {org_id: (total, int(late or 0), int(close or 0)) for org_id, total, late, close in session.execute(open_tasks)}
    running = dict(session.execute(select(Case.org_id, func.count()).where(
        Case.status == "running", Case.org_id.in_([o.id for o in org_rows])).group_by(Case.org_id)).all())
    return [{"org": o, "running": running.get(o.id, 0), "open": counts.get(o.id, (0, 0, 0))[0],
             "overdue": counts.get(o.id, (0, 0, 0))[1], "soon": counts.get(o.id, (0, 0, 0))[2]} for o in org_rows]

def _when_case(condition):
    """The task's case id when the condition holds, else NULL (so a distinct count counts cases)."""
    return when((condition, HumanTask.case_id), else_=None)

def overdue_tasks(session: Session, user: User, now: datetime, limit: int = 100) -> list[HumanTask]:
    """Open tasks of the user's subtree past their due time, most overdue first."""
    return list(session.scalars(
        scoped(select(HumanTask), user, HumanTask.org_id).where(HumanTask.status == "ready", HumanTask.due_at < now)
        .order_by(HumanTask.due_at).limit(limit)))

def running_counts(session: Session, user: User) -> dict[str, int]:
    """Running cases of the user's subtree, per process."""
    query = scoped(select(Case.process_key, func.count()), user, Case.org_id).where(Case.status == "running")
    return dict(session.execute(query.group_by(Case.process_key)).all())

def led_cases(session: Session, user: User) -> list[Case]:
    """Open cases whose diagram-declared leader field names the user."""
    pattern = f'%"{_like_escape(user.username)}"%'
    found = session.scalars(select(Case).where(Case.status.in_(("running", "suspended")),
                                               cast(Case.meta, Text).like(pattern, escape="\\"))
                            .order_by(Case.id.desc()).limit(500))
    return [c for c in found
            if (field := (c.definition.properties or {}).get(LEADER_PROPERTY)) and (c.meta or {}).get(field) == user.username]

def read_copies_of(session: Session, user: User, case_id: int, now: datetime) -> None:
    """Opening a case marks the copies of it sent to the user read.

    Only when there is one to mark, and then in a write transaction of its own: on SQLite, turning the page's read
    snapshot into a write fails at once if anyone committed since it began.
    """
    unread = (CaseCopy.user_id == user.id, CaseCopy.case_id == case_id, CaseCopy.read_at.is_(None))
    if session.scalar(select(CaseCopy.id).where(*unread).limit(1)) is None:
        return
    begin_write(session)
    session.execute(update(CaseCopy).where(*unread).values(read_at=now))
    session.commit()
