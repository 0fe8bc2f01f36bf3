"""The figures a report counts over its cases' steps (a measure's `tasks`): the time the cases spent in them, an
on-time rate's and an overdue count's raw parts, a duration's seconds. Only the cases `report_sql.counted` keeps for
the reader's subtree and period count; rows come back by raw group value, for `reports` to roll into its rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select

from ..core.models import Case, HumanTask, Organization
from . import report_sql as sql
from .report_passes import raw_key


def time_in(session, dialect, definition, measure, root, since, until, now) -> dict[str, list]:
    """The time each case spent in the measure's `tasks` (from each one's creation to its completion or
    cancellation; one still open, to `now`), by raw group value: [seconds in all, cases that entered them]."""
    column = sql.group_column(dialect, definition["groupBy"])
    if dialect == "postgresql":
        return _time_in_summed(session, dialect, definition, measure, root, since, until, now)
    query = (select(column, HumanTask.case_id, HumanTask.created_at, HumanTask.completed_at)
             .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id)
             .where(HumanTask.element_id.in_(measure["tasks"]), sql.condition(dialect, measure.get("where")),
                    sql.counted(dialect, definition, root, since, until)))
    per_case: dict[tuple[str, int], float] = {}
    for key, case_id, started, done in session.execute(query):
        spent = max(0.0, ((done or now) - started).total_seconds())
        per_case[(raw_key(key), case_id)] = per_case.get((raw_key(key), case_id), 0.0) + spent
    found: dict[str, list] = {}
    for (key, _), seconds in per_case.items():
        parts = found.setdefault(key, [0.0, 0])
        parts[0] += seconds
        parts[1] += 1
    return found


def _time_in_summed(session, dialect, definition, measure, root, since, until, now) -> dict[str, list]:
    """`time_in` aggregated by PostgreSQL: per raw group value the exact seconds of every task (none below zero)
    and how many cases entered them."""
    column = sql.group_column(dialect, definition["groupBy"])
    ended = func.coalesce(HumanTask.completed_at, literal(now, HumanTask.completed_at.type))
    seconds = func.greatest(0, func.extract("epoch", ended - HumanTask.created_at))
    query = (select(column, func.sum(seconds), func.count(HumanTask.case_id.distinct()))
             .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id)
             .where(HumanTask.element_id.in_(measure["tasks"]), sql.condition(dialect, measure.get("where")),
                    sql.counted(dialect, definition, root, since, until)).group_by(column))
    found: dict[str, list] = {}
    for key, total, cases in session.execute(query):
        parts = found.setdefault(raw_key(key), [0.0, 0])
        parts[0] += float(total or 0)
        parts[1] += int(cases)
    return found


def task_measure(session, dialect, definition, measure, root, since, until, now) -> dict[str, list]:
    """An on-time rate's raw parts by raw group value ([on time, completed with a due time], counted in SQL), an
    overdue count's ([cases with such a step done late or still open past its due time at `now`]), or a
    duration's (the seconds each task took)."""
    column = sql.group_column(dialect, definition["groupBy"])
    if measure["kind"] == "overdue":
        late = select(HumanTask.case_id).where(HumanTask.element_id.in_(measure["tasks"]), late_step(now))
        query = (select(column, func.count()).select_from(Case).join(Organization, Case.org_id == Organization.id)
                 .where(sql.condition(dialect, measure.get("where")),
                        sql.counted(dialect, definition, root, since, until), Case.id.in_(late)).group_by(column))
        return {raw_key(k): [int(n)] for k, n in session.execute(query)}
    tasks = (HumanTask.element_id.in_(measure["tasks"]), HumanTask.status == "completed",
             sql.condition(dialect, measure.get("where")), sql.counted(dialect, definition, root, since, until))
    if measure["kind"] == "on_time":
        steps, on_time = sql.on_time_steps(measure)
        query = select(column, func.sum(case((on_time, 1), else_=0)),
                       func.count()).where(HumanTask.due_at.is_not(None), steps)
    else:
        query = select(column, HumanTask.created_at, HumanTask.completed_at)
    query = (query.select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id).where(*tasks))
    if measure["kind"] == "on_time":
        return {raw_key(k): [int(hits or 0), int(n)] for k, hits, n in session.execute(query.group_by(column))}
    found: dict[str, list] = {}
    for key, started, done in session.execute(query):
        found.setdefault(raw_key(key), []).append((done - started).total_seconds())
    return found


def late_step(now: datetime):
    """SQL: a step done after its due time, or still open past it at `now`."""
    return and_(HumanTask.due_at.is_not(None),
                or_(and_(HumanTask.status == "completed", HumanTask.completed_at > HumanTask.due_at),
                    and_(HumanTask.status == "ready", HumanTask.due_at < now)))
