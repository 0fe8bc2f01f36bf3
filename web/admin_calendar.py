"""系统管理 · 工作日历: a year's holidays and make-up working days in twelve month grids, edited by clicking days or
typing lists; a preview of the pending deadlines the schedule would move; the audited save that recomputes them
(engine/work/calendar_admin.py). The save takes only a schedule that was previewed as it stands."""
from __future__ import annotations

import calendar as month_layout
from datetime import date

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.core import DataValidationError
from engine.time import missing_years
from engine.work import calendar_admin

from .admin import admin_required
from .database import session
from .deadlines import WEEKDAYS
from .engine_text import engine_text
from .refusal import refuse
from .workflow import engine

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin/calendar")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("")
@admin_required
def year_page():
    """A year's schedule as entered (or as the calendar uses it now), for checking and entering."""
    year = request.args.get("year", type=int) or _default_year()
    if not calendar_admin.FIRST_YEAR <= year <= calendar_admin.LAST_YEAR:
        year = _default_year()
    found = calendar_admin.schedule(engine(), session(), year)
    return _page(found, _lines(found.holidays), _lines(found.workdays), found.note)


@bp.post("/preview")
@admin_required
def preview():
    """The deadlines of my subtree that the typed schedule would move; nothing is saved."""
    return _checked(save=False)


@bp.post("")
@admin_required
def save():
    """Enter the year as previewed (the year is then marked entered) and recompute the deadlines it moves."""
    return _checked(save=True)


def _checked(save: bool):
    form = request.form
    typed = form.get("holidays", ""), form.get("workdays", "")
    note = form.get("note", "").strip()
    try:
        year, holidays, workdays = calendar_admin.proposal(form.get("year", ""), *typed)
    except DataValidationError as refused:
        status = refuse(refused, beside_fields=True)
        return _refused(form.get("year", ""), typed, note, refused), status
    digest = _digest(holidays, workdays)
    if save and form.get("previewed") == digest:
        db = session()
        updated = calendar_admin.save(engine(), db, g.user, year, holidays, workdays, note)
        flash(_("已录入 %(year)s 年节假日安排，重新计算了 %(n)s 个案件的期限", year=year, n=updated), "ok")
        return redirect(url_for("admin_calendar.year_page", year=year))
    shown = calendar_admin.preview(engine(), current_app.extensions["lawflow.sql"], g.user, year, holidays, workdays)
    found = calendar_admin.schedule(engine(), session(), year)
    found.holidays, found.workdays = holidays, workdays
    changed = _("安排在预览后又有改动：请核对下面新的预览，再保存") if save else None
    return _page(found, _lines(holidays), _lines(workdays), note, preview=shown, digest=digest, changed=changed)


def _refused(year_text: str, typed: tuple[str, str], note: str, refused: DataValidationError):
    errors: dict[str, list[str]] = {}
    for error in refused.errors:
        errors.setdefault(error.field, []).append(engine_text(error))
    try:
        year = int(year_text)
    except ValueError:
        year = _default_year()
    if not calendar_admin.FIRST_YEAR <= year <= calendar_admin.LAST_YEAR:
        year = _default_year()
    found = calendar_admin.schedule(engine(), session(), year)
    found.holidays, found.workdays = _loose_days(typed[0]), _loose_days(typed[1])
    return _page(found, typed[0], typed[1], note, errors=errors)


def _page(found, holidays_text: str, workdays_text: str, note: str, *, preview=None, digest: str = "",
          changed: str | None = None, errors=None):
    db = session()
    return render_template(
        "admin_calendar.html", schedule=found, months=_months(found.year, set(found.holidays), set(found.workdays)),
        holidays_text=holidays_text, workdays_text=workdays_text, note=note, preview=preview, digest=digest,
        changed=changed, errors=errors or {}, weekdays=WEEKDAYS,
        entered_years=sorted(engine().calendar.overrides), missing=missing_years(engine(), db))


def _months(year: int, holidays: set[date], workdays: set[date]) -> list[tuple[int, list[list[tuple[date, str] | None]]]]:
    """Each month's weeks, Monday first: a day with its kind (holiday, workday = make-up working day, rest, work)
    or None outside the month."""
    layout = month_layout.Calendar(firstweekday=0)
    months = []
    for month in range(1, 13):
        weeks = [[(day, _kind(day, holidays, workdays)) if day.month == month else None for day in week]
                 for week in layout.monthdatescalendar(year, month)]
        months.append((month, weeks))
    return months


def _kind(day: date, holidays: set[date], workdays: set[date]) -> str:
    kinds = [k for k, days in (("holiday", holidays), ("workday", workdays)) if day in days]
    return " ".join(kinds) or ("rest" if day.weekday() >= 5 else "work")


def _lines(days: list[date]) -> str:
    return "\n".join(d.isoformat() for d in days)


def _digest(holidays: list[date], workdays: list[date]) -> str:
    """The schedule a preview showed, as the save compares it."""
    return ",".join(d.isoformat() for d in holidays) + "|" + ",".join(d.isoformat() for d in workdays)


def _loose_days(text: str) -> set[date]:
    """The plain dates of a refused list, to colour the grids while the mistakes are shown."""
    found = set()
    for entry in calendar_admin.SEPARATORS.split(text):
        try:
            found.add(date.fromisoformat(entry))
        except ValueError:
            continue
    return found


def _default_year() -> int:
    """The first year pending deadlines need and nobody has entered, else next year."""
    missing = missing_years(engine(), session())
    return missing[0] if missing else engine().today().year + 1
