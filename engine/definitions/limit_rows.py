"""A row of a limits table at work: the moment its limit ends counted from a moment (by its unit and roll-over
rule) and its value as labels write it. Kept apart from the table's checks so that forms can measure a gap by a
row without importing them."""
from __future__ import annotations

from datetime import timedelta

from ..time.workdays import CHINA_TZ, WorkCalendar, as_moment

NAME_PATTERN = "^[a-z][a-z0-9_]{0,62}$"    # a row's name
MONTHS_IN = {"months": 1, "years": 12}     # calendar units: a period of months or years, counted month by month


def shift(calendar: WorkCalendar, row: dict, moment, sign: int = 1) -> str:
    """The moment a row's limit after (`sign` 1) or before (-1) `moment`, by its unit and roll-over rule: what
    `limit_due`/`limit_before` answer and what a form's `x-workingDaysAfter` rule naming a row measures."""
    n = sign * int(row["value"])
    if row["unit"] == "working_days":
        due = calendar.add_working_days(moment, n)
    elif row["unit"] in MONTHS_IN:
        due = calendar.add_months(moment, n * MONTHS_IN[row["unit"]], extend_over_holidays=bool(row.get("rolls_over")))
    elif row["unit"] == "hours":
        due = as_moment(moment) + timedelta(hours=n)
    else:
        due = calendar.add_days(moment, n, extend_over_holidays=bool(row.get("rolls_over")))
    return due.astimezone(CHINA_TZ).isoformat()


def value_text(row: dict) -> str:
    """A row's value with the table's word for its unit, as labels show it (e.g. 10个工作日)."""
    return f"{row['value']}{row.get('unit_text', '')}"
