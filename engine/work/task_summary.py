"""The steps' part of a report's stored summary (engine/work/report_summary.py): a duration's done steps as a
histogram of their exact durations by raw group value (the percentiles of a merged histogram are those of the
steps), and an overdue count's cases with a step done late (which stays so). A case whose step is still open past
its due time at the moment of reading is counted live, from the open steps (few: only the open cases')."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm import Session

from ..core.models import Case, HumanTask, Organization
from . import report_sql as sql

SEP = "\n"                  # between a duration row's raw group value and the step's exact seconds
CASES = "#"                 # a time spent in steps: the row of the cases that entered them


def duration_kinds(definition: dict) -> list[dict]:
    """The report's duration percentiles."""
    return [m for m in definition["measures"] if m["kind"] == "duration"]


def overdue_kinds(definition: dict) -> list[dict]:
    """The report's overdue counts."""
    return [m for m in definition["measures"] if m["kind"] == "overdue"]


def time_in_kinds(definition: dict, dialect: str) -> list[dict]:
    """PostgreSQL: the report's time spent in steps (`sum` and `mean` of `tasks`; SQLite counts them live)."""
    return [m for m in definition["measures"] if m["kind"] in ("sum", "mean") and "tasks" in m] \
        if dialect == "postgresql" else []


def _seconds(ended):
    """SQL (PostgreSQL): a step's seconds from its creation to `ended`, none below zero, exactly."""
    return func.greatest(0, func.extract("epoch", ended - HumanTask.created_at))


def time_in_rows(session: Session, definition: dict, wanted: str, within) -> list[dict]:
    """A time spent in steps over the cases `within` by organisation, month and raw group value: the closed
    steps' exact seconds as a histogram, and how many cases entered the steps (key ending in CASES)."""
    from .report_passes import raw_key

    dialect = session.get_bind().dialect.name
    column, month = sql.group_column(dialect, definition["groupBy"]), sql.month_of(dialect)
    found: dict[tuple, int] = {}
    for measure in time_in_kinds(definition, dialect):
        steps = (HumanTask.element_id.in_(measure["tasks"]), sql.condition(dialect, measure.get("where")),
                 Case.process_key == definition["process"], sql.condition(dialect, definition.get("filters")), within)
        seconds = cast(_seconds(HumanTask.completed_at), String)
        closed = (select(Case.org_id, month, column, seconds, func.count()).select_from(HumanTask)
                  .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
                  .where(*steps, HumanTask.completed_at.is_not(None)).group_by(Case.org_id, month, column, seconds))
        cases = (select(Case.org_id, month, column, literal(CASES), func.count(HumanTask.case_id.distinct()))
                 .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
                 .join(Organization, Case.org_id == Organization.id).where(*steps)
                 .group_by(Case.org_id, month, column))
        for query in (closed, cases):
            for org, when, key, text, count in session.execute(query):
                place = (org, when, measure["name"], f"{raw_key(key)}{SEP}{text}")
                found[place] = found.get(place, 0) + int(count)
    return [_row(wanted, *place, count) for place, count in found.items()]


def time_in_now(session: Session, definition: dict, measure: dict, counted, now) -> dict[str, Decimal]:
    """The exact seconds the cases `counted` (SQL) have spent in the measure's steps still open, up to `now`."""
    from .report_passes import raw_key

    dialect = session.get_bind().dialect.name
    column = sql.group_column(dialect, definition["groupBy"])
    query = (select(column, func.sum(_seconds(literal(now, HumanTask.created_at.type)))).select_from(HumanTask)
             .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
             .where(HumanTask.element_id.in_(measure["tasks"]), HumanTask.completed_at.is_(None),
                    sql.condition(dialect, measure.get("where")), counted).group_by(column))
    found: dict[str, Decimal] = {}
    for key, total in session.execute(query):
        found[raw_key(key)] = found.get(raw_key(key), Decimal(0)) + Decimal(total or 0)
    return found


def _row(wanted, org, month, measure, key, hits) -> dict:
    return {"definition_hash": wanted, "org_id": org, "month": month, "group_key": key, "measure": measure,
            "hits": float(hits), "base": 0.0}


def duration_rows(session: Session, definition: dict, wanted: str, within) -> list[dict]:
    """A duration's done steps over the cases `within` by organisation, month and raw group value: how many took
    each exact number of seconds (PostgreSQL: the database's exact text; SQLite: Python's float, as live)."""
    from .report_passes import raw_key

    dialect = session.get_bind().dialect.name
    column, month = sql.group_column(dialect, definition["groupBy"]), sql.month_of(dialect)
    found: dict[tuple, int] = {}
    for measure in duration_kinds(definition):
        steps = (HumanTask.element_id.in_(measure["tasks"]), HumanTask.status == "completed",
                 sql.condition(dialect, measure.get("where")), Case.process_key == definition["process"],
                 sql.condition(dialect, definition.get("filters")), within)
        if dialect == "postgresql":
            seconds = cast(func.extract("epoch", HumanTask.completed_at - HumanTask.created_at), String)
            query = (select(Case.org_id, month, column, seconds, func.count()).select_from(HumanTask)
                     .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
                     .where(*steps).group_by(Case.org_id, month, column, seconds))
            rows = ((o, w, k, text, n) for o, w, k, text, n in session.execute(query))
        else:
            query = (select(Case.org_id, month, column, HumanTask.created_at, HumanTask.completed_at)
                     .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
                     .join(Organization, Case.org_id == Organization.id).where(*steps))
            rows = ((o, w, k, repr((done - began).total_seconds()), 1) for o, w, k, began, done
                    in session.execute(query))
        for org, when, key, text, count in rows:
            place = (org, when, measure["name"], f"{raw_key(key)}{SEP}{text}")
            found[place] = found.get(place, 0) + int(count)
    return [_row(wanted, *place, count) for place, count in found.items()]


def done_late(measure: dict):
    """SQL: the cases with one of the measure's steps done after its due time."""
    return select(HumanTask.case_id).where(
        HumanTask.element_id.in_(measure["tasks"]), HumanTask.status == "completed",
        HumanTask.due_at.is_not(None), HumanTask.completed_at > HumanTask.due_at)


def open_late(measure: dict, now):
    """SQL: the cases with one of the measure's steps open past its due time at `now`."""
    return select(HumanTask.case_id).where(
        HumanTask.element_id.in_(measure["tasks"]), HumanTask.status == "ready",
        HumanTask.due_at.is_not(None), HumanTask.due_at < now)


def overdue_rows(session: Session, definition: dict, wanted: str, within) -> list[dict]:
    """An overdue count's cases with a step done late, over the cases `within`, by organisation, month and raw
    group value (only groups with some)."""
    from .report_passes import raw_key

    dialect = session.get_bind().dialect.name
    column, month = sql.group_column(dialect, definition["groupBy"]), sql.month_of(dialect)
    found: dict[tuple, int] = {}
    for measure in overdue_kinds(definition):
        query = (select(Case.org_id, month, column, func.count()).select_from(Case)
                 .join(Organization, Case.org_id == Organization.id)
                 .where(Case.process_key == definition["process"], sql.condition(dialect, measure.get("where")),
                        sql.condition(dialect, definition.get("filters")), within,
                        Case.id.in_(done_late(measure)))
                 .group_by(Case.org_id, month, column))
        for org, when, key, count in session.execute(query):
            place = (org, when, measure["name"], raw_key(key))
            found[place] = found.get(place, 0) + int(count)
    return [_row(wanted, *place, count) for place, count in found.items() if count]


def overdue_now(session: Session, definition: dict, measure: dict, counted, now) -> dict[str, list]:
    """An overdue count's cases `counted` (SQL) with a step open past its due time at `now` and none done late, by
    raw group value: what the summary's count of cases done late leaves out."""
    from .report_passes import raw_key

    dialect = session.get_bind().dialect.name
    column = sql.group_column(dialect, definition["groupBy"])
    done = aliased(HumanTask)                  # NOT EXISTS per case: the few open cases, not every late step
    late_done = exists().where(done.case_id == Case.id, done.element_id.in_(measure["tasks"]),
                               done.status == "completed", done.due_at.is_not(None), done.completed_at > done.due_at)
    query = (select(column, func.count()).select_from(Case).join(Organization, Case.org_id == Organization.id)
             .where(counted, sql.condition(dialect, measure.get("where")), Case.id.in_(open_late(measure, now)),
                    ~late_done)
             .group_by(column))
    found: dict[str, list] = {}
    for key, count in session.execute(query):
        found.setdefault(raw_key(key), [0])[0] += int(count)
    return found


class Gathered:
    """A report's durations and overdue counts gathered from summary rows and live rows, by measure and raw
    group value: a histogram {seconds text: steps}, or [cases]."""

    def __init__(self, definition: dict, dialect: str) -> None:
        self.durations: dict[str, dict[str, dict[str, int]]] = {m["name"]: {} for m in duration_kinds(definition)}
        self.overdue: dict[str, dict[str, list]] = {m["name"]: {} for m in overdue_kinds(definition)}
        self.time_in: dict[str, dict[str, list]] = {m["name"]: {} for m in time_in_kinds(definition, dialect)}

    def add(self, measure: str, raw: str, key: str, count: float) -> bool:
        """Add one row (its measure, raw group value and stored key); False when it is none of these."""
        if measure in self.durations:
            text = key.split(SEP, 1)[1]
            found = self.durations[measure].setdefault(raw, {})
            found[text] = found.get(text, 0) + int(round(count))
            return True
        if measure in self.overdue:
            self.overdue[measure].setdefault(raw, [0])[0] += int(round(count))
            return True
        if measure in self.time_in:
            parts = self.time_in[measure].setdefault(raw, [Decimal(0), 0])
            text = key.split(SEP, 1)[1]
            if text == CASES:
                parts[1] += int(round(count))
            else:
                parts[0] += Decimal(text) * int(round(count))
            return True
        return False

    def spent(self, measure: str) -> dict[str, list]:
        """A time spent in steps as `report_steps.time_in` gives it: [seconds, cases] by raw group value."""
        return {raw: [float(total), cases] for raw, (total, cases) in self.time_in[measure].items()}

    def add_rows(self, rows: list[dict], org_group: bool) -> None:
        """Add live rows of `duration_rows` and `overdue_rows` (their raw group value is in the key)."""
        for row in rows:
            raw = (row["group_key"].split(SEP, 1)[0] if row["measure"] in self.durations or
                   row["measure"] in self.time_in else row["group_key"])
            self.add(row["measure"], raw, row["group_key"], row["hits"])


def duration_figures(dialect: str, definition: dict, measure: dict, root, children,
                     histograms: dict[str, dict[str, int]]) -> dict:
    """PostgreSQL: a duration's figures by row and in total (key TOTAL) from its histograms by raw group value,
    each percentile the nearest rank (percentile_disc) of the steps' exact seconds, as `reports._durations`."""
    from decimal import Decimal

    from .reports import TOTAL, Figure, _rolled
    from .step_summary import _rank

    rows: dict = {}
    for raw, found in histograms.items():
        for key in (_rolled(definition, root, children, raw), TOTAL):
            into = rows.setdefault(key, {})
            for text, count in found.items():
                into[text] = into.get(text, 0) + count
    scale = 3600 if measure.get("unit") == "hours" else 86400
    figures = {}
    for key, found in rows.items():
        ordered = sorted((Decimal(text), count) for text, count in found.items() if count)
        count = sum(c for _, c in ordered)
        if count:
            figures[key] = Figure({p: round(float(_rank(ordered, p)) / scale, 1) for p in measure["percentiles"]},
                                  None, count)
    return figures


def duration_values(histograms: dict[str, dict[str, int]]) -> dict[str, list[float]]:
    """SQLite: a duration's seconds by raw group value, as `report_steps.task_measure` lists them."""
    return {raw: [float(text) for text, count in found.items() for _ in range(count)]
            for raw, found in histograms.items()}
