"""Deadlines as people read them, one formatter for the inbox, the task and case pages, the overview and the CSV.

A due moment is the end of its last day: local midnight (China time) belongs to the day before (engine.time
`day_of`), so "the end of 2027-02-02" is 2027-02-03T00:00+08:00 and reads 2027-02-02 everywhere."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import gettext as _, lazy_gettext as _l

from engine.time import as_moment, day_of

from engine.work import casework, plain

from .database import session
from .workflow import engine

WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))


def init_app(app: Flask) -> None:
    """The `deadline` and `deadline_date` filters and `working_days_left` for every template."""
    app.jinja_env.filters["deadline"] = deadline_label
    app.jinja_env.filters["deadline_date"] = deadline_date
    app.jinja_env.globals["working_days_left"] = working_days_left
    app.jinja_env.globals["task_limit"] = task_limit
    app.jinja_env.globals["step_limit"] = step_limit


def deadline_day(due: datetime | str) -> date:
    """The last day of a deadline, in China time."""
    return day_of(as_moment(due) if isinstance(due, str) else due)


def deadline_date(due: datetime | str | None) -> str:
    """A deadline's last day as YYYY-MM-DD (empty for none): the CSV's and the case fields' form."""
    return f"{deadline_day(due):%Y-%m-%d}" if due else ""


def deadline_label(due: datetime | str | None) -> str:
    """A deadline as the pages show it: 2027-02-02（周二）止."""
    if not due:
        return ""
    day = deadline_day(due)
    return _("%(day)s（%(weekday)s）止", day=f"{day:%Y-%m-%d}", weekday=WEEKDAYS[day.weekday()])


def working_days_left(due: datetime | str) -> int:
    """Working days from now to a deadline (negative once past), on the engine's calendar."""
    eng = engine()
    return eng.calendar.working_days_left(as_moment(due) if isinstance(due, str) else due, eng.now())


def task_limit(task, data: dict | None = None) -> dict | None:
    """The limit a ready task without a due time of its own runs inside (`withinLimit`): `{title, due, basis}`,
    `basis` being the legal basis of the step whose due time it is; None when it runs inside none."""
    limit = plain.enclosing_limit(engine(), task, data)
    if limit is None:
        return None
    row = step_limit(task, limit["element"]) if limit["element"] else None
    basis = row["basis"] if row else (
        casework.element_documentation(engine(), task.case).get(limit["element"]) if limit["element"] else None)
    return {**limit, "basis": basis}


def step_limit(task, element: str | None = None) -> dict | None:
    """The row of the limits table a step names (`limit`): `{name, label, value, unit, text, starts, basis}`."""
    return casework.step_limits(engine(), session(), task.case).get(element or task.element_id)
