"""Administrator-entered holiday schedules, and recomputing the deadlines they affect."""
from __future__ import annotations

from datetime import date

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, extract, or_, select
from sqlalchemy.orm import Session

from .cases import mutate_case
from .db import begin_write
from .errors import CaseFailed, ConflictError, DataValidationError, FieldError
from .instance import Instance
from .models import CalendarDay, CalendarYear, Case, HumanTask
from .workdays import YearSchedule


def load_calendar(engine, session: Session) -> None:
    """Give the engine's calendar every schedule entered so far."""
    overrides: dict[int, YearSchedule] = {y: YearSchedule() for y in session.scalars(select(CalendarYear.year))}
    for row in session.scalars(select(CalendarDay)):
        schedule = overrides.setdefault(row.year, YearSchedule())
        (schedule.holidays if row.kind == "holiday" else schedule.workdays).add(row.day)
    engine.calendar.overrides = overrides


def enter_year(engine, session: Session, year: int, holidays: list[date], workdays: list[date], *,
               actor: str, note: str = "") -> int:
    """Store a year's official schedule, then recompute the provisional deadlines; return cases updated."""
    errors = [FieldError("holidays", f"{d} 不在 {year} 年") for d in holidays if d.year != year]
    errors += [FieldError("workdays", f"{d} 不在 {year} 年") for d in workdays if d.year != year]
    errors += [FieldError("workdays", f"{d} 同时是节假日和调休工作日") for d in set(holidays) & set(workdays)]
    errors += [FieldError("workdays", f"{d} 是工作日（周一至周五），无需列为调休") for d in workdays if d.weekday() < 5]
    if errors:
        raise DataValidationError("日历数据有误", errors, year=year)
    begin_write(session)
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    session.merge(CalendarYear(year=year, entered_at=engine.now(), entered_by=actor, note=note))
    session.flush()
    session.add_all([CalendarDay(day=d, year=year, kind="holiday") for d in sorted(set(holidays))])
    session.add_all([CalendarDay(day=d, year=year, kind="workday") for d in sorted(set(workdays))])
    session.commit()
    load_calendar(engine, session)
    return recompute_deadlines(engine, session, year)


def cases_with_provisional_deadlines(session: Session, year: int) -> list[int]:
    """Running cases with a provisional task due time, or a timer due in or after `year`."""
    by_task = select(HumanTask.case_id).where(HumanTask.status == "ready", HumanTask.due_provisional)
    by_timer = select(Case.id).where(Case.status.in_(("running", "suspended")),
                                     extract("year", Case.next_timer_at) >= year)
    return sorted(set(session.scalars(by_task)) | set(session.scalars(by_timer)))


def recompute_deadlines(engine, session: Session, year: int) -> int:
    """Re-evaluate date timers and task due times of the cases a newly entered year affects."""
    updated = 0
    for case_id in cases_with_provisional_deadlines(session, year):
        begin_write(session)
        case = session.get(Case, case_id, populate_existing=True)
        if case is None or case.status not in ("running", "suspended"):
            continue
        try:
            mutate_case(engine, session, case, "calendar", _recompute, statuses=("running", "suspended"))
            updated += 1
        except (ConflictError, CaseFailed):
            continue
    return updated


def _recompute(instance: Instance) -> None:
    for task in instance.workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition):
            task.internal_data.pop("event_value", None)
    instance.recompute_due = True
    instance.audit("deadlines_recomputed")
    if instance.case.status == "running":     # a suspended case re-evaluates its timers when resumed
        instance.run()


def missing_years(engine, session: Session) -> list[int]:
    """Years that pending deadlines reach but whose official schedule is not known."""
    years = set(session.scalars(select(extract("year", HumanTask.due_at)).where(
        HumanTask.status == "ready", HumanTask.due_at.is_not(None))))
    years |= set(session.scalars(select(extract("year", Case.next_timer_at)).where(
        or_(Case.status == "running", Case.status == "suspended"), Case.next_timer_at.is_not(None))))
    return sorted(int(y) for y in years if y is not None and not engine.calendar.known(int(y)))
