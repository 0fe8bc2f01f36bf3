"""The one-pass counting of the reports (engine/work/reports.py): the case measures of a report (counts, rates,
a field's sum, mean or ratio) and its on-time rates, each counted in one query, and those of several reports of one
process counted together (the 统计 page of a process, a monthly ledger): on PostgreSQL one pass over the process's
cases by GROUPING SETS; the on-time rates of reports with the same filters in one query over their steps."""
from __future__ import annotations

import json

from sqlalchemy import and_, case, func, select, true, tuple_

from ..core.models import Case, HumanTask, Organization
from . import report_sql as sql

FIELD_KINDS = ("sum", "mean", "ratio")     # of a numeric field; `sum` and `mean` of `tasks`: the time spent in them


def counted_together(session, definitions: list[dict], root, since, until) -> tuple[dict[int, dict], dict[int, dict]]:
    """The case measures and the on-time rates of several reports counted together where that saves a pass, by
    the report's index in `definitions` (the `counted` and `timed` of `compute_under`; a report not counted
    together is missing)."""
    counted: dict[int, dict] = {}
    timed: dict[int, dict] = {}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        by_process: dict[str, list[int]] = {}
        for n, definition in enumerate(definitions):
            by_process.setdefault(definition["process"], []).append(n)
        for indexes in by_process.values():
            if len(indexes) > 1:
                together = case_measures_together(session, [definitions[n] for n in indexes], root, since, until)
                counted.update(zip(indexes, together))
    by_filters: dict[str, list[int]] = {}           # on-time rates: the reports of a process with the same filters
    for n, definition in enumerate(definitions):
        if any(m["kind"] == "on_time" for m in definition["measures"]):
            filters = json.dumps(definition.get("filters") or {}, sort_keys=True, ensure_ascii=False)
            by_filters.setdefault(f"{definition['process']}\n{filters}", []).append(n)
    for indexes in by_filters.values():
        if len(indexes) > 1 and (dialect == "postgresql" or
                                 len({definitions[n]["groupBy"] for n in indexes}) == 1):
            together = on_time_together(session, dialect, [definitions[n] for n in indexes], root, since, until)
            timed.update(zip(indexes, together))
    return counted, timed


def case_measures(session, dialect, definition, root, since, until, within=None) -> dict[str, dict[str, list]]:
    """Every count, rate and field's sum, mean or ratio of the report in one query: by measure and raw group value,
    [hits, base] ([sum, cases that recorded a number]; for a ratio, [sum of the field, sum of `over`]); `within`:
    only the cases meeting it (SQL; the months the stored summary leaves to count live)."""
    chosen = case_kinds(definition)
    if not chosen:
        return {}
    fields = sql.parsed_fields(dialect, sql.field_names({**definition, "measures": chosen}))
    column = sql.group_column(dialect, definition["groupBy"], fields)
    sums = [one for measure in chosen for one in _sums(dialect, measure, fields, true())]
    query = (sql.with_fields(select(column, *sums).select_from(Case), fields)
             .join(Organization, Case.org_id == Organization.id)
             .where(sql.counted(dialect, definition, root, since, until, fields), _all(within)).group_by(column))
    found: dict[str, dict[str, list]] = {m["name"]: {} for m in chosen}
    for key, *values in session.execute(query):
        for n, measure in enumerate(chosen):
            kind = float if measure["kind"] in FIELD_KINDS else int
            parts = found[measure["name"]].setdefault(raw_key(key), [kind(0), kind(0)])   # NULL and "": one row
            parts[0] += kind(values[2 * n] or 0)
            parts[1] += kind(values[2 * n + 1] or 0)
    return found


def _all(within):
    """SQL: `within`, or no condition."""
    return true() if within is None else within


def case_kinds(definition: dict) -> list[dict]:
    """The measures counted over the cases themselves (not their tasks)."""
    return [m for m in definition["measures"] if m["kind"] in ("count", "rate")
            or (m["kind"] in FIELD_KINDS and "field" in m)]


def _sums(dialect, measure, fields, counts) -> list:
    """SQL: a case measure's two sums ([hits, base], [sum, cases with a number], [sum, sum of `over`]) over the
    cases meeting `counts`."""
    where = and_(counts, sql.condition(dialect, measure.get("where"), fields))
    if measure["kind"] in FIELD_KINDS:
        number = sql.field_number(dialect, measure["field"], fields)
        second = (func.sum(case((where, sql.field_number(dialect, measure["over"], fields)), else_=None))
                  if measure["kind"] == "ratio" else
                  func.sum(case((and_(where, number.is_not(None)), 1), else_=0)))
        return [func.sum(case((where, number), else_=None)), second]
    base = (and_(counts, sql.condition(dialect, measure.get("base"), fields)) if measure["kind"] == "rate"
            else where)
    return [func.sum(case((and_(base, where), 1), else_=0)), func.sum(case((base, 1), else_=0))]


def case_measures_together(session, definitions, root, since, until) -> list[dict[str, dict[str, list]]]:
    """PostgreSQL: `case_measures` of several reports of one process in one pass over its cases (GROUPING SETS,
    one per grouping; a report's filters count in its own sums), each case's data parsed once."""
    dialect = "postgresql"
    chosen = [case_kinds(d) for d in definitions]
    fields = sql.parsed_fields(dialect, sql.field_names(
        {"groupBy": "@status", "filters": {n: 0 for d in definitions for n in d.get("filters") or {}},
         "measures": [m for one in chosen for m in one] + [{"where": {d["groupBy"]: 0}} for d in definitions]}))
    columns = {d["groupBy"]: sql.group_column(dialect, d["groupBy"], fields) for d in definitions}
    selected, places = [], []
    for definition, measures in zip(definitions, chosen):
        counts = sql.condition(dialect, definition.get("filters"), fields)
        places.append(len(selected))
        selected += [func.sum(case((counts, 1), else_=0)),
                     *[one for measure in measures for one in _sums(dialect, measure, fields, counts)]]
    groupings = list(columns.values())
    query = (sql.with_fields(select(*groupings, *[func.grouping(c) for c in groupings], *selected)
                             .select_from(Case), fields)
             .join(Organization, Case.org_id == Organization.id)
             .where(sql.counted(dialect, {"process": definitions[0]["process"]}, root, since, until))
             .group_by(func.grouping_sets(*[tuple_(c) for c in groupings])))
    found: list[dict[str, dict[str, list]]] = [{m["name"]: {} for m in one} for one in chosen]
    width = len(groupings)
    for row in session.execute(query):
        keys, flags, values = row[:width], row[width:2 * width], row[2 * width:]
        group = next(name for name, flag in zip(columns, flags) if not flag)
        key = keys[list(columns).index(group)]
        for n, definition in enumerate(definitions):
            start = places[n]
            if definition["groupBy"] != group or not chosen[n] or not values[start]:
                continue
            for m, measure in enumerate(chosen[n]):
                kind = float if measure["kind"] in FIELD_KINDS else int
                parts = found[n][measure["name"]].setdefault(raw_key(key), [kind(0), kind(0)])   # NULL and "": one
                parts[0] += kind(values[start + 1 + 2 * m] or 0)
                parts[1] += kind(values[start + 2 + 2 * m] or 0)
    return found


def on_time_measures(session, dialect, definition, root, since, until, within=None) -> dict[str, dict[str, list]]:
    """Every on-time rate of the report in one query over the completed steps with a due time: by measure and
    raw group value, [on time, completed] (what `task_measure` counts for one)."""
    if not any(m["kind"] == "on_time" for m in definition["measures"]):
        return {}
    return on_time_together(session, dialect, [definition], root, since, until, within)[0]


def on_time_together(session, dialect, definitions, root, since, until,
                     within=None) -> list[dict[str, dict[str, list]]]:
    """`on_time_measures` of several reports of one process with the same filters in one query (on PostgreSQL by
    GROUPING SETS when their groupings differ)."""
    chosen = [[m for m in d["measures"] if m["kind"] == "on_time"] for d in definitions]
    columns = {d["groupBy"]: sql.group_column(dialect, d["groupBy"]) for d in definitions}
    sums = []
    for measure in (m for one in chosen for m in one):
        steps, on_time = sql.on_time_steps(measure)
        counts = and_(steps, sql.condition(dialect, measure.get("where")))
        sums += [func.sum(case((and_(counts, on_time), 1), else_=0)), func.sum(case((counts, 1), else_=0))]
    groupings = list(columns.values())
    flags = [func.grouping(c) for c in groupings] if len(groupings) > 1 else []
    steps = sorted({t for one in chosen for m in one for t in m["tasks"]})
    query = (select(*groupings, *flags, *sums).select_from(HumanTask).join(Case, HumanTask.case_id == Case.id)
             .join(Organization, Case.org_id == Organization.id)
             .where(HumanTask.element_id.in_(steps), HumanTask.status == "completed", HumanTask.due_at.is_not(None),
                    sql.counted(dialect, definitions[0], root, since, until), _all(within))
             .group_by(func.grouping_sets(*[tuple_(c) for c in groupings]) if flags else groupings[0]))
    found: list[dict[str, dict[str, list]]] = [{m["name"]: {} for m in one} for one in chosen]
    width = len(groupings) + len(flags)
    for row in session.execute(query):
        group = (next(name for name, flag in zip(columns, row[len(groupings):width]) if not flag) if flags
                 else definitions[0]["groupBy"])
        key, values, n = row[list(columns).index(group)], row[width:], 0
        for index, definition in enumerate(definitions):
            for measure in chosen[index]:
                if definition["groupBy"] == group and values[2 * n + 1]:
                    parts = found[index][measure["name"]].setdefault(raw_key(key), [0, 0])   # NULL and "": one row
                    parts[0] += int(values[2 * n] or 0)
                    parts[1] += int(values[2 * n + 1])
                n += 1
    return found


def raw_key(key) -> str:
    """A group value as a row's key: "" for none."""
    return "" if key is None else str(key)
