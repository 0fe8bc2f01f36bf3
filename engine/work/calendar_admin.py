"""系统管理 · the working-day calendar: a year's schedule as an administrator reads and enters it (lists of days
typed or clicked), a preview of the pending deadlines a new schedule would move, and the audited save, which
recomputes them as `lawflow calendar set-year` does. The preview runs the very recompute the save runs, on an engine
of its own whose calendar holds the proposed year, in a transaction that is rolled back: what it shows is what the
save will do (for the administrator's subtree; the save recomputes every case, as the command line does)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.db import rolled_back_session
from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.models import CalendarDay, CalendarYear, Case, HumanTask, Organization, User
from ..core.scope import path_within
from ..runtime.deadlines import enter_year
from ..time.calendar_store import year_errors
from ..time.workdays import WorkCalendar
from .administration import audit

FIRST_YEAR, LAST_YEAR = 2000, 2100
SEPARATORS = re.compile(r"[\s,\uff0c\u3001;\uff1b]+")              # also the full-width ，、；
RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:~|\uff5e|\u81f3)\s*(\d{4}-\d{2}-\d{2})")     # A~B, A～B, A至B
MAX_RANGE_DAYS = 366


@dataclass
class Schedule:
    """A year's schedule: its holidays and make-up working days (调休上班), and whether and how it was entered."""

    year: int
    holidays: list[date] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)
    entered: bool = False
    note: str = ""
    entered_by: str = ""
    entered_at: datetime | None = None


@dataclass
class Move:
    """A pending task whose deadline the new schedule moves."""

    case_id: int
    number: str | None
    title: str | None
    org: str
    task: str
    before: datetime | None
    after: datetime | None
    provisional: bool


@dataclass
class Preview:
    """What saving a schedule would do: the moves in the administrator's subtree, how many others move elsewhere,
    and how many cases the save re-evaluates."""

    moves: list[Move]
    elsewhere: int
    cases: int


def schedule(engine, session: Session, year: int) -> Schedule:
    """The year as entered, or, for a year not entered yet, the days the calendar uses now (the built-in
    schedule, or the rule-based holidays of a year nobody has entered) as a starting point."""
    entered = session.get(CalendarYear, year)
    if entered is not None:
        days = session.execute(select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.year == year)
                               .order_by(CalendarDay.day)).all()
        return Schedule(year, [d for d, kind in days if kind == "holiday"], [d for d, kind in days if kind != "holiday"],
                        True, entered.note, entered.entered_by, entered.entered_at)
    found = Schedule(year)
    day, calendar = date(year, 1, 1), engine.calendar
    while day.year == year:
        working, weekend = calendar.is_working_day(day), day.weekday() >= 5
        if weekend and working:
            found.workdays.append(day)
        elif not weekend and not working:
            found.holidays.append(day)
        day += timedelta(days=1)
    return found


def proposal(year_text, holidays_text: str, workdays_text: str) -> tuple[int, list[date], list[date]]:
    """A schedule typed by an administrator: the year, and two lists of days (ISO dates or ranges `A~B`, separated
    by commas, 、 or line breaks); DataValidationError naming the field and entry of every mistake."""
    errors: list[FieldError] = []
    year = _year(year_text, errors)
    holidays = _days(holidays_text or "", "holidays", errors)
    workdays = _days(workdays_text or "", "workdays", errors)
    if year is not None and not errors:
        errors = year_errors(year, holidays, workdays)
    if errors:
        raise DataValidationError(Msg("calendar.invalid"), errors, year=year)
    return year, sorted(set(holidays)), sorted(set(workdays))


def _year(text, errors: list[FieldError]) -> int | None:
    try:
        year = int(str(text).strip())
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        errors.append(FieldError("year", Msg("calendar.bad_year", year=str(text), first=FIRST_YEAR, last=LAST_YEAR)))
        return None
    return year


def _days(text: str, name: str, errors: list[FieldError]) -> list[date]:
    found: list[date] = []
    entries = SEPARATORS.split(RANGE.sub(lambda m: f"{m.group(1)}~{m.group(2)}", text.strip()))
    for number, entry in enumerate((e for e in entries if e), 1):
        first, _, last = entry.partition("~")
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last or first)
        except ValueError:
            errors.append(FieldError(name, Msg("calendar.bad_entry", number=number, entry=entry)))
            continue
        if end < start or (end - start).days >= MAX_RANGE_DAYS:
            errors.append(FieldError(name, Msg("calendar.bad_range", number=number, entry=entry)))
            continue
        found += [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return found


def preview(engine, sql_engine, admin: User, year: int, holidays: list[date], workdays: list[date]) -> Preview:
    """The pending deadlines saving this schedule would move, found by doing the save in a rolled-back transaction
    on an engine of its own (the running engine's calendar is not touched)."""
    trial = engine.twin(calendar=WorkCalendar(engine.calendar.overrides))
    with rolled_back_session(sql_engine) as session:
        before = _dues(session)
        cases = enter_year(trial, session, year, holidays, workdays, actor=admin.username)
        after = _dues(session)
        moved = {task_id: due for task_id, due in after.items() if task_id in before and before[task_id][2] != due[2]}
        shown = _within(session, admin, {due[0] for due in moved.values()})
        moves = [Move(case_id, *shown[case_id], name, before[task_id][2], due, provisional)
                 for task_id, (case_id, name, due, provisional) in sorted(moved.items()) if case_id in shown]
    return Preview(moves, len(moved) - len(moves), cases)


def _dues(session: Session) -> dict[int, tuple[int, str, datetime | None, bool]]:
    """Every pending task with a deadline: case, name, due moment, whether provisional."""
    rows = session.execute(select(HumanTask.id, HumanTask.case_id, HumanTask.name, HumanTask.due_at,
                                  HumanTask.due_provisional)
                           .where(HumanTask.status == "ready", HumanTask.due_at.is_not(None)))
    return {row.id: (row.case_id, row.name, row.due_at, row.due_provisional) for row in rows}


def _within(session: Session, admin: User, case_ids: set[int]) -> dict[int, tuple[str | None, str | None, str]]:
    """Of these cases, those of the administrator's subtree: number, title and organisation name by id."""
    if not case_ids:
        return {}
    rows = session.execute(select(Case.id, Case.business_number, Case.title, Organization.name)
                           .join(Organization, Case.org_id == Organization.id)
                           .where(Case.id.in_(sorted(case_ids)), path_within(Organization.path, admin.org.path)))
    return {row.id: (row.business_number, row.title, row.name) for row in rows}


def save(engine, session: Session, admin: User, year: int, holidays: list[date], workdays: list[date],
         note: str = "") -> int:
    """Enter the year's schedule (marking the year entered), audited with the schedule before and after, then
    recompute the pending deadlines it affects, as the command line does; return the cases recomputed."""
    after = {"entered": True, "note": note, "holidays": [d.isoformat() for d in sorted(set(holidays))],
             "workdays": [d.isoformat() for d in sorted(set(workdays))]}

    def audited(write: Session) -> None:
        was = schedule(engine, write, year) if write.get(CalendarYear, year) is not None else Schedule(year)
        before = {"entered": was.entered, "note": was.note, "holidays": [d.isoformat() for d in was.holidays],
                  "workdays": [d.isoformat() for d in was.workdays]}
        audit(write, admin, engine.now(), "calendar_entered", year=year, before=before, after=after)

    return enter_year(engine, session, year, holidays, workdays, actor=admin.username, note=note,
                      before_write=audited)
