"""The limit helpers diagrams call (`limit_due`, `limit_before`, `limit_value`, `limit_clock`, `limit_text`,
`limit_last_day`, `limit_period`): they read the
limits table of the running case's bundle version (`forms/<folder>/limits.json` beside the case's diagram), so a
limit is one cell of a table, not a number inside a script."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.messages import Msg
from ..core.models import Case
from ..core.vocabulary import (
    LIMIT_BEFORE_HELPER, LIMIT_CLOCK_HELPER, LIMIT_DUE_HELPER, LIMIT_LAST_DAY_HELPER, LIMIT_PERIOD_HELPER,
    LIMIT_TEXT_HELPER, LIMIT_VALUE_HELPER,
)
from ..definitions.limit_tables import bundle_rows, shift, table_beside, unit_clock, value_text
from ..time.workdays import as_moment, day_of
from .case_context import _instance


def case_limits(engine, session: Session, case: Case) -> tuple[str, dict[str, dict]]:
    """The path of the case's limits table and its rows by name (none when its bundle has no table)."""
    props = engine.properties(case.definition_id, lambda: case.definition)
    # The definition as the case holds it when it is loaded (a migration sets it); else the cached path, read
    # without the query a case row fresh in this request's session would need for its definition.
    definition = getattr(case, "__dict__", {}).get("definition")
    path = definition.file_path if definition is not None else props["file_path"]
    return bundle_rows(engine.limit_tables, session, props["bundle_id"], path)


def _row(helper: str, name) -> tuple[object, dict]:
    instance = _instance()
    path, rows = case_limits(instance.engine, instance.session, instance.case)
    row = rows.get(str(name))
    if row is None:
        raise ValueError(Msg("context.no_limit", helper=helper, name=str(name)[:80], table=path))
    return instance.engine, row


def _with_value(row: dict, value) -> dict:
    """The row, or the row with another value in its unit (a number a deployment or a decision set)."""
    if value is None:
        return row
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or not str(value).strip().isdigit():
        raise ValueError(Msg("context.bad_limit_value", name=row["name"], value=repr(value)[:40]))
    return {**row, "value": int(str(value).strip())}


def _shift(engine, row: dict, moment, sign: int) -> str:
    return shift(engine.calendar, row, moment, sign)


def limit_due(name, start, value=None) -> str:
    """The due moment of the limit `name` counted from `start`, by the row's unit and roll-over rule (`value`: a
    number of the row's unit set for this case instead of the row's, e.g. by a deployment form)."""
    engine, row = _row(LIMIT_DUE_HELPER, name)
    return _shift(engine, _with_value(row, value), start, 1)


def limit_before(name, deadline) -> str:
    """The moment the limit `name` before `deadline` (a reminder's moment)."""
    engine, row = _row(LIMIT_BEFORE_HELPER, name)
    return _shift(engine, row, deadline, -1)


def limit_value(name) -> int:
    """The value of the limit `name`, in its unit."""
    return int(_row(LIMIT_VALUE_HELPER, name)[1]["value"])


def limit_clock(name) -> str:
    """The unit `clock_remaining`/`clock_resume` take for the limit `name`: working, days or calendar."""
    return unit_clock(_row(LIMIT_CLOCK_HELPER, name)[1])


def limit_text(name, value=None) -> str:
    """The limit `name` as labels write it: its value and the table's word for its unit (e.g. 1个月)."""
    return value_text(_with_value(_row(LIMIT_TEXT_HELPER, name)[1], value))


def limit_last_day(name, start, value=None) -> str:
    """The last day (ISO date) of the limit `name` counted from `start`: the day its due moment ends."""
    engine, row = _row(LIMIT_LAST_DAY_HELPER, name)
    return day_of(as_moment(_shift(engine, _with_value(row, value), start, 1))).isoformat()


_DURATIONS = {"days": "P{}D", "hours": "PT{}H", "months": "P{}M", "years": "P{}Y"}


def limit_period(name) -> str:
    """The limit `name` as an ISO 8601 duration in its unit (a timer's cycle follows the row's unit as well as its
    value); a limit in working days is no fixed duration and is refused."""
    row = _row(LIMIT_PERIOD_HELPER, name)[1]
    pattern = _DURATIONS.get(row["unit"])
    if pattern is None:
        raise ValueError(Msg("context.limit_no_period", name=row["name"], unit=row["unit"]))
    return pattern.format(int(row["value"]))


HELPERS = {LIMIT_DUE_HELPER: limit_due, LIMIT_BEFORE_HELPER: limit_before, LIMIT_VALUE_HELPER: limit_value,
           LIMIT_CLOCK_HELPER: limit_clock, LIMIT_TEXT_HELPER: limit_text, LIMIT_LAST_DAY_HELPER: limit_last_day,
           LIMIT_PERIOD_HELPER: limit_period}


def table_helpers(calendar, rows: dict[str, dict]) -> dict:
    """`limit_due`, `limit_before`, `limit_value` and `limit_text` bound to one table's rows by name instead of a
    running case's bundle: for a diagram run outside the engine (the benchmark's plain SpiffWorkflow baseline)."""
    def due(name, start, value=None) -> str:
        return shift(calendar, _with_value(rows[str(name)], value), start, 1)

    def before(name, deadline) -> str:
        return shift(calendar, rows[str(name)], deadline, -1)

    return {LIMIT_DUE_HELPER: due, LIMIT_BEFORE_HELPER: before,
            LIMIT_VALUE_HELPER: lambda name: int(rows[str(name)]["value"]),
            LIMIT_TEXT_HELPER: lambda name, value=None: value_text(_with_value(rows[str(name)], value))}


def form_limits(engine, session: Session, bundle_id: int, form_path: str):
    """What a form's validator reads its limits from: the rows by name of the table beside the form in its bundle
    version (asked for only when the form is compiled, and only by a form whose rules name a row)."""
    return lambda: bundle_rows(engine.limit_tables, session, bundle_id, form_path,
                               table=table_beside(form_path))[1]
