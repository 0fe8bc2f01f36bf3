"""The measures of a ledger row, computed at import: whether the interval between two of its days exceeds a limit
(in calendar days, working days on the engine's calendar, or hours), or whether a day is present."""
from __future__ import annotations

from datetime import date

from ..core.messages import Msg
from ..time.workdays import WorkCalendar, end_of

HOURS_PER_DAY = 24
MAX_WORKING_SPAN = 3650          # days a working-day interval may span (the calendar scans no further)


def compute_measures(ledger: dict, data: dict, calendar: WorkCalendar) -> tuple[dict, list[tuple[str, Msg]]]:
    """({name: bool, name_days: interval} for each interval measure whose two days the row has (neither when one
    is missing), {name: bool} for each presence measure; [(column, why)] of intervals that cannot be counted)."""
    found, problems = {}, []
    for measure in ledger.get("measures", []):
        if "present" in measure:
            found[measure["name"]] = data.get(measure["present"]) is not None
            continue
        start, end = data.get(measure["from"]), data.get(measure["to"])
        if not (isinstance(start, date) and isinstance(end, date)):
            continue
        if measure["unit"] == "working_days" and abs((end - start).days) > MAX_WORKING_SPAN:
            problems.append((measure["to"], Msg("ledger.span_too_long", limit=MAX_WORKING_SPAN)))
            continue
        interval = interval_between(start, end, measure["unit"], calendar)
        found[measure["name"]] = interval > measure["limit"]
        found[measure["name"] + "_days"] = interval
    return found, problems


def interval_between(start: date, end: date, unit: str, calendar: WorkCalendar) -> int:
    """The interval from one day to a later one in a measure's unit: calendar days, working days after the
    first day up to and including the last, or hours (whole days of 24)."""
    if unit == "working_days":
        return calendar.working_days_between(end_of(start), end_of(end))
    days = (end - start).days
    return days * HOURS_PER_DAY if unit == "hours" else days
