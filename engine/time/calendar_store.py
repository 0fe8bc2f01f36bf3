"""Administrator-entered holiday schedules: stored, checked, and loaded into the engine's calendar."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import delete, extract, func, or_, select
from sqlalchemy.orm import Session

from ..core.db import begin_write
from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.models import CalendarDay, CalendarYear, Case, HumanTask
from .workdays import YearSchedule


def load_calendar(engine, session: Session) -> None:
    """Give the engine's calendar every schedule entered so far."""
    overrides: dict[int, YearSchedule] = {y: YearSchedule() for y in session.scalars(select(CalendarYear.year))}
    for row in session.scalars(select(CalendarDay)):
        schedule = overrides.setdefault(row.year, YearSchedule())
        (schedule.holidays if row.kind == "holiday" else schedule.workdays).add(row.day)
    engine.calendar.overrides = overrides


def year_errors(year: int, holidays: list[date], workdays: list[date]) -> list[FieldError]:
    """What is wrong with a year's schedule: a day outside the year, a day listed as both, a make-up working day
    that is a weekday anyway; each error names its list (`holidays` or `workdays`)."""
    errors = [FieldError("holidays", Msg("calendar.not_in_year", day=d.isoformat(), year=year))
              for d in holidays if d.year != year]
    errors += [FieldError("workdays", Msg("calendar.not_in_year", day=d.isoformat(), year=year))
               for d in workdays if d.year != year]
    errors += [FieldError("workdays", Msg("calendar.both", day=d.isoformat()))
               for d in sorted(set(holidays) & set(workdays))]
    errors += [FieldError("workdays", Msg("calendar.weekday", day=d.isoformat())) for d in workdays if d.weekday() < 5]
    return errors


def store_year(engine, session: Session, year: int, holidays: list[date], workdays: list[date], *,
               actor: str, note: str = "", before_write: Callable[[Session], None] | None = None) -> None:
    """Store a year's official schedule (replacing what was entered before) and give it to the engine's calendar;
    `before_write` runs in the same transaction once its write lock is held (to audit what was there before)."""
    errors = year_errors(year, holidays, workdays)
    if errors:
        raise DataValidationError(Msg("calendar.invalid"), errors, year=year)
    begin_write(session)
    if before_write is not None:
        before_write(session)
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    session.merge(CalendarYear(year=year, entered_at=engine.now(), entered_by=actor, note=note))
    session.flush()
    session.add_all([CalendarDay(day=d, year=year, kind="holiday") for d in sorted(set(holidays))])
    session.add_all([CalendarDay(day=d, year=year, kind="workday") for d in sorted(set(workdays))])
    session.commit()
    load_calendar(engine, session)


def missing_years(engine, session: Session) -> list[int]:
    """Years that pending deadlines reach but whose official schedule is not known."""
    years = set(session.scalars(select(extract("year", HumanTask.due_at)).where(
        HumanTask.status == "ready", HumanTask.due_at.is_not(None))))
    years |= set(session.scalars(select(extract("year", Case.next_timer_at)).where(
        or_(Case.status == "running", Case.status == "suspended"), Case.next_timer_at.is_not(None))))
    return sorted(int(y) for y in years if y is not None and not engine.calendar.known(int(y)))


# What changes whenever a year's schedule is entered, replaced or removed (by any process): how many years are
# entered and when the last was. Built once: a server reads it before every request that may change a case.
CALENDAR_STAMP = select(func.count(), func.max(CalendarYear.entered_at))


def calendar_stamp(connection) -> tuple:
    """What changes whenever a year's schedule is entered, replaced or removed (by any process): how many years are
    entered and when the last was. A process compares it with the stamp of what it loaded (issue 23)."""
    return tuple(connection.execute(CALENDAR_STAMP).one())
