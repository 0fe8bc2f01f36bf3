"""瓶颈图 (bottleneck map): for each step of a process, in a period and over the cases of an organisation of the
reader's subtree (the one rule of `engine/core/scope.py`, as every report), how many were done and are open, how
long the done ones took (mean and 90th percentile, in days) and how many ran past their due time (done late, or
still open past it at `now`): the figures the map colours the process's diagram by, like a heat map of Camunda's
Cockpit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..core.models import Case, HumanTask, Organization, User
from ..core.summary_records import SummaryRow
from . import report_sql as sql
from . import report_summary, step_summary
from .report_steps import late_step
from .reports import percentile, root_of

_COUNTED = ("ready", "completed")          # cancelled steps (a timer or a withdrawal ended them) are not the work's


@dataclass
class StepFigure:
    """One step's figures; the durations are None when none of it was done in the period."""

    element_id: str
    name: str
    done: int = 0
    open: int = 0
    overdue: int = 0
    mean_days: float | None = None
    p90_days: float | None = None


@dataclass
class StepMap:
    """The steps of a process ordered slowest first, for an organisation and a period."""

    process: str
    root: Organization
    since: date | None
    until: date | None
    steps: list[StepFigure]


def step_figures(session: Session, user: User, process: str, *, org_code: str | None = None,
                 since: date | None = None, until: date | None = None, now: datetime | None = None,
                 summary: bool = True) -> StepMap:
    """Every step of the process that ran for the cases received in the period, slowest (by mean) first;
    `summary`: the done steps from the stored summary where it covers the period (engine/work/step_summary.py)."""
    root = root_of(session, user, org_code)
    now = now or datetime.now(timezone.utc)
    dialect = session.get_bind().dialect.name
    counted = sql.counted(dialect, {"process": process}, root, since, until)
    covered = (report_summary.coverage(session, process, step_summary.steps_digest(process), root, since, until)
               if summary else None)
    if covered is not None:
        steps = _from_summary(session, dialect, process, root, covered, counted, now)
    elif dialect == "postgresql":
        steps = _summed(session, counted, now)
    else:
        steps = _listed(session, counted, now)
    ordered = sorted(steps.values(), key=lambda s: (-(s.mean_days or 0), -s.overdue, s.element_id))
    return StepMap(process, root, since, until, ordered)


def _summed(session: Session, counted, now: datetime) -> dict[str, StepFigure]:
    """The steps' figures aggregated by the database, one row per step (PostgreSQL: its exact seconds and its
    percentile_disc, the same nearest rank as `percentile`)."""
    seconds = func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)
    done = HumanTask.status == "completed"
    query = (select(HumanTask.element_id, func.min(HumanTask.name), func.sum(case((done, 1), else_=0)),
                    func.sum(case((done, 0), else_=1)), func.sum(case((late_step(now), 1), else_=0)),
                    func.sum(case((done, seconds), else_=None)),
                    func.percentile_disc(0.9).within_group(case((done, seconds), else_=None)))
             .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
             .where(counted, HumanTask.status.in_(_COUNTED)).group_by(HumanTask.element_id))
    steps: dict[str, StepFigure] = {}
    for element, name, n_done, n_open, overdue, total, p90 in session.execute(query):
        step = steps[element] = StepFigure(element, name, int(n_done), int(n_open), int(overdue))
        if n_done:
            step.mean_days = round(float(total) / 86400 / n_done, 1)
            step.p90_days = round(float(p90) / 86400, 1)
    return steps


def _listed(session: Session, counted, now: datetime) -> dict[str, StepFigure]:
    """The steps' figures from their rows (SQLite, which has no percentile aggregate)."""
    rows = session.execute(
        select(HumanTask.element_id, HumanTask.name, HumanTask.status, HumanTask.created_at,
               HumanTask.completed_at, HumanTask.due_at)
        .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
        .where(counted, HumanTask.status.in_(_COUNTED)))
    steps: dict[str, StepFigure] = {}
    took: dict[str, list[float]] = {}
    for element, name, status, created, completed, due in rows:
        step = steps.setdefault(element, StepFigure(element, name))
        if status == "completed":
            step.done += 1
            took.setdefault(element, []).append((completed - created).total_seconds() / 86400)
            step.overdue += due is not None and completed > due
        else:
            step.open += 1
            step.overdue += due is not None and due < now
    for element, days in took.items():
        ordered = sorted(days)
        steps[element].mean_days = round(sum(ordered) / len(ordered), 1)
        steps[element].p90_days = round(percentile(ordered, 90), 1)
    return steps
def _from_summary(session: Session, dialect: str, process: str, root, covered, counted,
                  now: datetime) -> dict[str, StepFigure]:
    """The steps' figures: the done ones from the summary (and counted live where it does not cover the period),
    the open ones live."""
    gathered = step_summary.Steps()
    wanted = step_summary.steps_digest(process)
    for element, key, count, _ in session.execute(
            report_summary.summed_rows(session, wanted, root, covered, SummaryRow.group_key)):
        gathered.add(element, key, count)
    if covered.live is not None:
        for row in step_summary.unit_rows(session, process, and_(counted, covered.live)):
            gathered.add(row["measure"], row["group_key"], row["hits"])
    open_steps = session.execute(
        select(HumanTask.element_id, func.min(HumanTask.name), func.count(),
               func.sum(case((late_step(now), 1), else_=0)))
        .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
        .where(counted, HumanTask.status == "ready").group_by(HumanTask.element_id)).all()
    for element, name, _, _ in open_steps:
        gathered.add(element, step_summary.NAME + name, 0)
    steps: dict[str, StepFigure] = {}
    for element in sorted(set(gathered.names)):
        done, mean, p90, _ = gathered.durations(dialect, element)
        steps[element] = StepFigure(element, gathered.names[element], done, 0, gathered.late.get(element, 0),
                                    mean, p90)
    for element, _, n_open, overdue in open_steps:
        steps[element].open += int(n_open)
        steps[element].overdue += int(overdue or 0)
    return steps


def late_cases(session: Session, user: User, process: str, element_id: str, *, org_code: str | None = None,
               since: date | None = None, until: date | None = None, now: datetime | None = None,
               limit: int = 500) -> list[Case]:
    """The cases whose step ran past its due time (the map's overdue figure of that step), newest first."""
    root = root_of(session, user, org_code)
    counted = sql.counted(session.get_bind().dialect.name, {"process": process}, root, since, until)
    late = select(HumanTask.case_id).where(HumanTask.element_id == element_id,
                                           late_step(now or datetime.now(timezone.utc)))
    return list(session.scalars(select(Case).join(Organization, Case.org_id == Organization.id)
                                .where(counted, Case.id.in_(late))
                                .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)))
