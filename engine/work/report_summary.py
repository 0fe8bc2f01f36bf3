"""The stored summary of the reports' figures (issue 20), like the aggregates Camunda Optimize imports: for each
report definition of the active version, organisation, China month and raw group value, the two sums each case
measure (count, rate, a field's sum, mean or ratio) and each on-time rate is made of, counted by the very queries
of the live computation (engine/work/report_passes.py) grouped also by organisation and month. A report reads the
sums of the months it covers whole and counts the rest live (the edges of its period, the months not summarised
yet, those with a case changed since); the two add up to the live figures exactly (sums of counts; a rate, a mean
and a ratio are divided after adding, as live).

Kept current: triggers mark every case changed (or one of its steps) in the same transaction as the change
(migration 0019); `refresh` (the scheduler) re-counts the months so marked, each under a lock on its unit row
taken with FOR UPDATE SKIP LOCKED (several schedulers count a month once), deleting the marks before counting
so a change committed meanwhile is marked again. A report definition is known by the digest of what it counts:
one published with a new field, or new measures, is counted live until `refresh` or `rebuild` has summarised it.
The figures that depend on the moment they are read (overdue steps, time spent in open steps) and the duration
percentiles are always counted live."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, case, delete, func, insert, or_, select, true, tuple_
from sqlalchemy.orm import Session

from ..core.models import Case, HumanTask, Organization
from ..core.scope import path_within
from ..core.summary_records import SummaryRow, SummaryStale, SummaryUnit
from . import report_sql as sql
from . import step_summary, task_summary
from .summary_months import created_within, month_after, month_range, month_start, whole_months
from .report_passes import FIELD_KINDS, _sums, case_kinds, case_measures, on_time_measures, raw_key

REBUILT = (0, "0000-00")    # the unit (organisation, month) noting that a process's existing cases were summarised
MAX_LIVE_UNITS = 400        # more months than this to count live (a summary far behind): count all of it live


def digest(definition: dict) -> str:
    """The digest of what a report definition counts (its process, grouping, filters and measures)."""
    counted = {k: definition.get(k) for k in ("process", "groupBy", "filters", "measures")}
    return hashlib.sha256(json.dumps(counted, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def summarised(definition: dict) -> bool:
    """Whether the summary holds any of the report's measures."""
    return bool(case_kinds(definition) or _on_time_kinds(definition) or task_summary.duration_kinds(definition)
                or task_summary.overdue_kinds(definition) or task_summary.time_in_kinds(definition, "postgresql"))


def _on_time_kinds(definition: dict) -> list[dict]:
    return [m for m in definition["measures"] if m["kind"] == "on_time"]


# Reading -----------------------------------------------------------------------------------------------------------

@dataclass
class Stored:
    """A report's measures read from the summary (and counted live where it does not cover the period): its case
    measures and on-time rates (the `counted` and `timed` of `compute_under`), durations and overdue counts."""

    counted: dict
    timed: dict
    gathered: task_summary.Gathered


def measured(session: Session, definition: dict, root: Organization, since: date | None,
             until: date | None, now: datetime | None = None, cache: dict | None = None) -> Stored | None:
    """The report's summarised measures from the summary plus a live count of what it does not cover (an overdue
    count's open steps past their due time at `now`, always); None when the summary covers none of the period."""
    if not summarised(definition):
        return None
    dialect = session.get_bind().dialect.name
    wanted = digest(definition)
    covered = coverage(session, definition["process"], wanted, root, since, until, cache)
    if covered is None:
        return None
    gathered = task_summary.Gathered(definition, dialect)
    counted = _summed(session, definition, wanted, root, covered, gathered)
    timed = {m["name"]: counted.pop(m["name"]) for m in _on_time_kinds(definition) if m["name"] in counted}
    for m in _on_time_kinds(definition):
        timed.setdefault(m["name"], {})
    every = sql.counted(dialect, definition, root, since, until)
    if covered.live is not None:
        _add(counted, case_measures(session, dialect, definition, root, since, until, within=covered.live))
        _add(timed, on_time_measures(session, dialect, definition, root, since, until, within=covered.live))
        gathered.add_rows([*task_summary.duration_rows(session, definition, wanted, and_(every, covered.live)),
                           *task_summary.overdue_rows(session, definition, wanted, and_(every, covered.live)),
                           *task_summary.time_in_rows(session, definition, wanted, and_(every, covered.live))],
                          definition["groupBy"] == sql.ORG)
    now = now or datetime.now(timezone.utc)
    for measure in task_summary.overdue_kinds(definition):
        _add(gathered.overdue, {measure["name"]: task_summary.overdue_now(session, definition, measure, every, now)})
    spent: dict[str, dict] = {}              # a sum and a mean of the same steps: one query
    for measure in task_summary.time_in_kinds(definition, dialect):
        same = json.dumps([measure["tasks"], measure.get("where")], sort_keys=True, ensure_ascii=False)
        if same not in spent:
            spent[same] = task_summary.time_in_now(session, definition, measure, every, now)
        for raw, seconds in spent[same].items():
            gathered.time_in[measure["name"]].setdefault(raw, [Decimal(0), 0])[0] += seconds
    return Stored(counted, timed, gathered)


@dataclass
class Coverage:
    """What the summary covers of a period for a reader: the whole months (`first`, `last`; None: unbounded), the
    organisation-months among them it does not cover (`left_out`), and the cases to count live (SQL; None: none)."""

    first: str | None
    last: str | None
    left_out: set
    live: object


def coverage(session: Session, process: str, wanted: str, root: Organization, since: date | None,
             until: date | None, cache: dict | None = None) -> Coverage | None:
    """What the summary kept under `wanted` covers of the period in the subtree of `root`; None when it covers
    nothing (or so little that counting live is as quick). An organisation's month with no unit had no case when
    the process was summarised, and has none since unless a case of it is marked changed. `cache`: a dict kept
    across the reports of one page, so the units are read once."""
    first, last = whole_months(since, until)
    if first is not None and last is not None and first > last:
        return None                                      # no whole month: counted live
    place = (process, root.path, first, last)
    if cache is None or place not in cache:
        found = _units(session, process, root, first, last)
        if cache is None:
            return _covered(found, wanted, since, until, first, last)
        cache[place] = found
    return _covered(cache[place], wanted, since, until, first, last)


def _units(session: Session, process: str, root: Organization, first: str | None, last: str | None) -> tuple:
    """The units of the process's whole months in the subtree, its marked months, and whether it was rebuilt."""
    units = session.execute(
        select(SummaryUnit.org_id, SummaryUnit.month, SummaryUnit.definitions)
        .join(Organization, SummaryUnit.org_id == Organization.id)
        .where(SummaryUnit.process_key == process, path_within(Organization.path, root.path),
               *month_range(SummaryUnit.month, first, last))).all()
    stale = set(session.execute(
        select(SummaryStale.org_id, SummaryStale.month).distinct()
        .join(Organization, SummaryStale.org_id == Organization.id)
        .where(SummaryStale.process_key == process, path_within(Organization.path, root.path),
               *month_range(SummaryStale.month, first, last))).all())
    rebuilt = session.scalar(select(SummaryUnit.month).filter_by(process_key=process, org_id=REBUILT[0],
                                                                 month=REBUILT[1]))
    return units, stale, rebuilt is not None


def _covered(found: tuple, wanted: str, since, until, first, last) -> Coverage | None:
    units, stale, rebuilt = found
    if not rebuilt or not any(wanted in (held or []) for _, _, held in units):
        return None                                      # existing cases not summarised yet: counted live
    left_out = stale | {(o, m) for o, m, held in units if wanted not in (held or [])}
    if len(left_out) > MAX_LIVE_UNITS:
        return None
    spans = [and_(Case.org_id == org, *created_within(month_start(month), month_start(month_after(month))))
             for org, month in sorted(left_out)]
    if since is not None and since < month_start(first):
        spans.append(and_(*created_within(since, month_start(first))))
    if until is not None and month_start(month_after(last)) <= until:
        spans.append(and_(*created_within(month_start(month_after(last)), until + timedelta(days=1))))
    return Coverage(first, last, left_out, or_(*spans) if spans else None)


def summed_rows(session: Session, wanted: str, root: Organization, covered: Coverage, key):
    """SQL: the summary's sums over the clean months of the subtree by measure and `key` (a column)."""
    query = (select(SummaryRow.measure, key, func.sum(SummaryRow.hits), func.sum(SummaryRow.base))
             .join(Organization, SummaryRow.org_id == Organization.id)
             .where(SummaryRow.definition_hash == wanted, path_within(Organization.path, root.path),
                    *month_range(SummaryRow.month, covered.first, covered.last))
             .group_by(SummaryRow.measure, key))
    if covered.left_out:
        query = query.where(tuple_(SummaryRow.org_id, SummaryRow.month).not_in(sorted(covered.left_out)))
    return query


def _summed(session, definition, wanted, root, covered, gathered) -> dict[str, dict[str, list]]:
    """The summary's sums over the clean months, by measure and raw group value (durations and overdue counts
    into `gathered`)."""
    by_org = definition["groupBy"] == sql.ORG
    kinds = {m["name"]: m["kind"] for m in definition["measures"]}
    found: dict[str, dict[str, list]] = {m["name"]: {} for m in case_kinds(definition)}
    query = summed_rows(session, wanted, root, covered, SummaryRow.group_key).add_columns(Organization.path)
    for measure, group, hits, base, path in session.execute(query.group_by(Organization.path)):
        if measure not in kinds:
            continue
        raw = path if by_org else raw_key(group.split(task_summary.SEP, 1)[0] if task_summary.SEP in group
                                          and measure in {**gathered.durations, **gathered.time_in} else group)
        if gathered.add(measure, raw, group, hits):
            continue
        number = float if kinds[measure] in FIELD_KINDS else (lambda v: int(round(v)))
        _add(found, {measure: {raw: [number(hits), number(base)]}})
    return found


def _add(into: dict[str, dict[str, list]], more: dict[str, dict[str, list]]) -> None:
    """Add live parts to the summary's, key by key (a key counted in either is a row)."""
    for name, keyed in more.items():
        target = into.setdefault(name, {})
        for key, parts in keyed.items():
            if key in target:
                target[key] = [a + b for a, b in zip(target[key], parts)]
            else:
                target[key] = list(parts)


# Writing -----------------------------------------------------------------------------------------------------------

def unit_rows(session: Session, definition: dict, within) -> list[dict]:
    """The summary rows of a report over the cases `within` (SQL), by organisation, China month and raw group
    value: what `case_measures` and `on_time_measures` count, grouped finer."""
    dialect = session.get_bind().dialect.name
    wanted, found = digest(definition), []
    chosen = case_kinds(definition)
    if chosen:
        fields = sql.parsed_fields(dialect, sql.field_names({**definition, "measures": chosen}))
        column = sql.group_column(dialect, definition["groupBy"], fields)
        month = sql.month_of(dialect)
        sums = [one for measure in chosen for one in _sums(dialect, measure, fields, true())]
        query = (sql.with_fields(select(Case.org_id, month, column, *sums).select_from(Case), fields)
                 .join(Organization, Case.org_id == Organization.id)
                 .where(Case.process_key == definition["process"],
                        sql.condition(dialect, definition.get("filters"), fields), within)
                 .group_by(Case.org_id, month, column))
        totals: dict[tuple, list] = {}
        for org, when, key, *values in session.execute(query):
            for n, measure in enumerate(chosen):       # NULL and "": one row, as live
                parts = totals.setdefault((org, when, raw_key(key), measure["name"]), [0.0, 0.0])
                parts[0] += float(values[2 * n] or 0)
                parts[1] += float(values[2 * n + 1] or 0)
        found += [_row(wanted, *k, *v) for k, v in totals.items()]
    timed = _on_time_kinds(definition)
    if timed:
        column = sql.group_column(dialect, definition["groupBy"])
        month = sql.month_of(dialect)
        sums = []
        for measure in timed:
            steps, on_time = sql.on_time_steps(measure)
            counts = and_(steps, sql.condition(dialect, measure.get("where")))
            sums += [func.sum(_when(and_(counts, on_time))), func.sum(_when(counts))]
        steps = sorted({t for m in timed for t in m["tasks"]})
        query = (select(Case.org_id, month, column, *sums).select_from(HumanTask)
                 .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
                 .where(HumanTask.element_id.in_(steps), HumanTask.status == "completed",
                        HumanTask.due_at.is_not(None), Case.process_key == definition["process"],
                        sql.condition(dialect, definition.get("filters")), within)
                 .group_by(Case.org_id, month, column))
        totals = {}
        for org, when, key, *values in session.execute(query):
            for n, measure in enumerate(timed):
                if values[2 * n + 1]:                  # a rate with no step done is no row, as live
                    parts = totals.setdefault((org, when, raw_key(key), measure["name"]), [0.0, 0.0])
                    parts[0] += float(values[2 * n] or 0)
                    parts[1] += float(values[2 * n + 1])
        found += [_row(wanted, *k, *v) for k, v in totals.items()]
    return [*found, *task_summary.duration_rows(session, definition, wanted, within),
            *task_summary.overdue_rows(session, definition, wanted, within),
            *task_summary.time_in_rows(session, definition, wanted, within)]


def _when(clause):
    return case((clause, 1), else_=0)


def _row(wanted, org, month, key, measure, hits, base) -> dict:
    return {"definition_hash": wanted, "org_id": org, "month": month, "group_key": key, "measure": measure,
            "hits": hits, "base": base}


def _by_process(definitions: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for definition in definitions:
        if summarised(definition):
            found.setdefault(definition["process"], []).append(definition)
    return found


def rebuild(session: Session, definitions: list[dict], now: datetime, process: str | None = None) -> dict:
    """Summarise every month of every process of the reports (or of one process) from scratch, in one transaction
    per process: the figures of the existing data (after an import, or `lawflow generate`). Commits."""
    counts = {}
    by_process = _by_process(definitions)
    processes = [process] if process else sorted(set(by_process) | set(session.scalars(
        select(SummaryStale.process_key).distinct())) | set(session.scalars(select(Case.process_key).distinct())))
    for key in processes:
        chosen = by_process.get(key, [])
        session.execute(select(SummaryUnit.process_key).where(SummaryUnit.process_key == key).with_for_update())
        session.execute(delete(SummaryStale).where(SummaryStale.process_key == key))
        hashes = sorted({h for held in session.scalars(select(SummaryUnit.definitions)
                                                       .where(SummaryUnit.process_key == key)) for h in held or []}
                        | set(_hashes(key, chosen)))
        session.execute(delete(SummaryRow).where(SummaryRow.definition_hash.in_(hashes)))
        session.execute(delete(SummaryUnit).where(SummaryUnit.process_key == key))
        rows = _rows(session, key, chosen, Case.process_key == key)
        _insert(session, rows)
        dialect = session.get_bind().dialect.name
        units = session.execute(select(Case.org_id, sql.month_of(dialect)).distinct()
                                .where(Case.process_key == key, Case.org_id.is_not(None))).all()
        held = _hashes(key, chosen)
        _insert_units(session, [{"process_key": key, "org_id": o, "month": m, "definitions": held,
                                 "summarised_at": now} for o, m in [*units, REBUILT]])
        session.commit()
        counts[key] = {"units": len(units), "rows": len(rows)}
    return counts


def _hashes(process: str, chosen: list[dict]) -> list[str]:
    """The digests a unit of the process is summarised under: its report definitions' and its steps'."""
    return sorted({digest(d) for d in chosen} | {step_summary.steps_digest(process)})


def _rows(session: Session, process: str, chosen: list[dict], within) -> list[dict]:
    """The summary rows of the process's reports and steps over the cases `within`."""
    return [*[row for d in chosen for row in unit_rows(session, d, within)],
            *step_summary.unit_rows(session, process, within)]


def _insert(session: Session, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(SummaryRow), rows[start:start + 5000])


def _insert_units(session: Session, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(SummaryUnit), rows[start:start + 5000])


def pending(session: Session, definitions: list[dict]) -> list[tuple[str, int, str]]:
    """The units to refresh: those with a changed case, and those not summarised for the process's current report
    definitions."""
    by_process = _by_process(definitions)
    found = set(session.execute(select(SummaryStale.process_key, SummaryStale.org_id, SummaryStale.month)
                                .distinct()).all())
    for key, process_key, org, month, held in (
            (k, *row) for k in by_process for row in session.execute(
                select(SummaryUnit.process_key, SummaryUnit.org_id, SummaryUnit.month, SummaryUnit.definitions)
                .where(SummaryUnit.process_key == k, SummaryUnit.org_id != REBUILT[0]))):
        if sorted(held or []) != _hashes(key, by_process[key]):
            found.add((process_key, org, month))
    return sorted(found)


def refresh(session: Session, definitions: list[dict], now: datetime, limit: int = 200) -> int:
    """Re-count up to `limit` units that need it (`pending`), each in its own transaction under a lock on its row
    (a unit another scheduler holds is skipped); how many were counted. Commits."""
    by_process = _by_process(definitions)
    done = 0
    for process, org, month in pending(session, definitions)[:limit]:
        session.rollback()
        dialect = session.get_bind().dialect.name
        unit = {"process_key": process, "org_id": org, "month": month}
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
            session.execute(upsert(SummaryUnit).values(**unit, definitions=[]).on_conflict_do_nothing())
            session.commit()
        elif session.get(SummaryUnit, (process, org, month)) is None:
            session.add(SummaryUnit(**unit, definitions=[]))
            session.flush()
        held = session.execute(select(SummaryUnit.definitions).filter_by(**unit)
                               .with_for_update(skip_locked=True)).first()
        chosen = by_process.get(process, [])
        hashes = _hashes(process, chosen)
        if held is None:                     # another scheduler is counting it
            continue
        marked = session.execute(delete(SummaryStale).filter_by(**unit)).rowcount   # before counting: see above
        if not marked and sorted(held[0] or []) == hashes:                          # counted by another meanwhile
            session.rollback()
            continue
        session.execute(delete(SummaryRow).where(SummaryRow.org_id == org, SummaryRow.month == month,
                                                 SummaryRow.definition_hash.in_(sorted(set(held[0] or []) |
                                                                                       set(hashes)))))
        start = month_start(month)
        within = and_(Case.org_id == org, *created_within(start, month_start(month_after(month))))
        _insert(session, _rows(session, process, chosen, within))
        session.execute(SummaryUnit.__table__.update().where(
            SummaryUnit.process_key == process, SummaryUnit.org_id == org, SummaryUnit.month == month)
            .values(definitions=hashes, summarised_at=now))
        session.commit()
        done += 1
    return done
