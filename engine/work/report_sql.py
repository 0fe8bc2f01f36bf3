"""The SQL a report is made of, the same on SQLite and PostgreSQL: a reportable field as text (booleans as
`true`/`false`, numbers as their digits) or as a number (a field or one key of an object field, e.g. a score sheet's
subtotal of one dimension), the China month a case was received in, a report's conditions (a value, `not`, or `has`
for a list field holding a value), the cases a report counts (one process, an organisation's subtree, a
period), and which completed steps an on-time rate counts (each step, or each case once)."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import (JSON, Float, String, and_, case, cast, column, exists, func, literal, literal_column, not_, or_,
                        select, true)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased

from ..core.models import Case, HumanTask, Organization
from ..core.scope import path_within
from ..time import CHINA_TZ

STATUS = "@status"
MONTH = "@month"
ORG = "@org"


def field_names(report: dict) -> list[str]:
    """The reportable fields a report reads (its grouping, filters, conditions and numbers)."""
    found = {report["groupBy"]} | set(report.get("filters") or {})
    for measure in report["measures"]:
        found |= set(measure.get("where") or {}) | set(measure.get("base") or {})
        found |= {measure[k].split(".")[0] for k in ("field", "over") if k in measure}
    return sorted(n for n in found if not n.startswith("@"))


def parsed_fields(dialect: str, names: list[str]):
    """PostgreSQL: the fields `names` of each case's data parsed once per row (a LATERAL `json_to_record`, each
    field as json), for a query that reads many of them; pass it as `fields` to the functions below and join it
    with `with_fields`. Reading `meta ->> name` parses the whole text of the json column again for every field.
    None on SQLite, or when the report reads no field."""
    if dialect != "postgresql" or not names:
        return None
    source = case((func.json_typeof(Case.meta) == "object", Case.meta), else_=None)
    return (func.json_to_record(source).table_valued(*[column(n, JSON) for n in names])
            .render_derived(name="case_fields", with_types=True).lateral())


def with_fields(query, fields):
    """The query joined with the parsed fields (every case kept, its fields NULL when its data is no object)."""
    return query if fields is None else query.outerjoin(fields, true())


def _parsed(fields, name: str):
    return fields.c[name] if fields is not None and name in fields.c else None


def field_text(dialect: str, name: str, fields=None):
    """SQL: the case's reportable field `name` as text, alike on both databases (NULL when absent)."""
    parsed = _parsed(fields, name)
    if parsed is not None:
        return parsed.op("#>>", return_type=String)(literal_column("'{}'"))
    if dialect == "sqlite":
        path = f'$."{name}"'
        kind = func.json_type(Case.meta, path)
        return case((kind == "true", literal("true")), (kind == "false", literal("false")),
                    else_=cast(func.json_extract(Case.meta, path), String))
    return Case.meta[name].as_string()


def month_of(dialect: str):
    """SQL: the China month (`YYYY-MM`) a case was received in."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m", Case.created_at, "+8 hours")
    return func.to_char(func.timezone("Asia/Shanghai", Case.created_at), "YYYY-MM")


def as_text(value) -> str:
    """A condition's value as the text `field_text` gives for it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def subject(dialect: str, name: str, fields=None):
    """SQL: what a condition or a grouping names: the case's status or one of its reportable fields."""
    return Case.status if name == STATUS else field_text(dialect, name, fields)


def field_number(dialect: str, name: str, fields=None):
    """SQL: the case's reportable field `name` (`field.key`: one key of an object field) as a number; NULL when it
    is absent or not a number, so a mean counts only the cases that recorded one."""
    parts = tuple(name.split("."))
    if dialect == "sqlite":
        path = "$." + ".".join(f'"{p}"' for p in parts)
        return case((func.json_type(Case.meta, path).in_(("integer", "real")),
                     cast(func.json_extract(Case.meta, path), Float)), else_=None)
    parsed = _parsed(fields, parts[0])
    if parsed is not None:
        value = parsed if len(parts) == 1 else parsed[parts[1:]]
        text = (parsed.op("#>>", return_type=String)(literal_column("'{}'")) if len(parts) == 1
                else parsed[parts[1:]].as_string())
        return case((func.json_typeof(value) == "number", cast(text, Float)), else_=None)
    value = Case.meta[parts[0]] if len(parts) == 1 else Case.meta[parts]
    text = Case.meta[parts[0]].as_string() if len(parts) == 1 else Case.meta[parts].as_string()
    return case((func.json_typeof(value) == "number", cast(text, Float)), else_=None)


def holds_any(dialect: str, name: str, values: list, fields=None):
    """SQL: the case's reportable list field `name` holds one of the values (e.g. a score sheet's `veto_items`)."""
    if not values:
        return literal(False)
    if dialect == "sqlite":
        each = func.json_each(Case.meta, f'$."{name}"').table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value.in_([as_text(v) for v in values])))
    parsed = _parsed(fields, name)
    field = cast(Case.meta[name] if parsed is None else parsed, JSONB)
    return or_(*[field.op("@>")(cast(literal(json.dumps([v], ensure_ascii=False)), JSONB)) for v in values])


def condition(dialect: str, wanted: dict | None, fields=None):
    """SQL: every entry of a report condition holds (`{"not": …}`: the field is there and is none of them;
    `{"has": …}`: the list field holds one of them)."""
    clauses = []
    for name, values in (wanted or {}).items():
        if isinstance(values, dict) and "has" in values:
            held = values["has"]
            clauses.append(holds_any(dialect, name, held if isinstance(held, list) else [held], fields))
            continue
        negated = isinstance(values, dict)
        values = values["not"] if negated else values
        texts = [as_text(v) for v in (values if isinstance(values, list) else [values])]
        column = subject(dialect, name, fields)
        clauses.append(and_(column.is_not(None), column.not_in(texts)) if negated else column.in_(texts))
    return and_(true(), *clauses)


def china_moment(day: date) -> datetime:
    """The start of a China day."""
    return datetime.combine(day, time(), CHINA_TZ)


def counted(dialect: str, report: dict, root: Organization, since: date | None, until: date | None, fields=None):
    """SQL: the cases the report counts: its process's, received in the period (both days included), in the
    subtree of `root` (an organisation of the reader's own subtree: the one rule of `engine/core/scope.py`),
    meeting its filters."""
    clauses = [Case.process_key == report["process"], path_within(Organization.path, root.path),
               condition(dialect, report.get("filters"), fields)]
    if since:
        clauses.append(Case.created_at >= china_moment(since))
    if until:
        clauses.append(Case.created_at < china_moment(until + timedelta(days=1)))
    return and_(*clauses)


def group_column(dialect: str, group: str, fields=None):
    """SQL: the value a case is grouped by (for `@org`, its organisation's path, rolled up afterwards)."""
    if group == ORG:
        return Organization.path
    if group == MONTH:
        return month_of(dialect)
    return subject(dialect, group, fields)


def in_group(session: Session, dialect: str, group: str, key: str, root: Organization):
    """SQL: the case lies in the group `key` names (an organisation's code, a month, a value; "" for none)."""
    if group == ORG:
        chosen = session.scalar(select(Organization).where(Organization.code == key,
                                                           path_within(Organization.path, root.path)))
        if chosen is None:
            return literal(False)
        return Organization.path == root.path if chosen.id == root.id else path_within(Organization.path, chosen.path)
    column = group_column(dialect, group)
    return or_(column.is_(None), column == "") if key == "" else column == key


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (`YYYY-MM`), both included."""
    year, month = map(int, first.split("-"))
    found = []
    while f"{year:04d}-{month:02d}" <= last and len(found) < 1200:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def on_time_steps(measure: dict):
    """SQL over a completed step with a due time: (it is counted by the on-time rate `measure`, it is counted as on
    time). Per step (the default) every step of the measure's `tasks` counts, on time when done at or before its due
    time. Per case (`"per": "case"`) a case counts once, by its last such step, and is on time when none of its steps
    was done after its due time: a handling step closed to suspend or extend the case and the one reopened after
    it are one handling, judged by the due time that then applies (suspended days and an extension added)."""
    tasks = HumanTask.element_id.in_(measure["tasks"])
    if measure.get("per") != "case":
        return tasks, HumanTask.completed_at <= HumanTask.due_at
    other = aliased(HumanTask)
    same = and_(other.case_id == HumanTask.case_id, other.element_id.in_(measure["tasks"]),
                other.status == "completed", other.due_at.is_not(None))
    later = or_(other.completed_at > HumanTask.completed_at,
                and_(other.completed_at == HumanTask.completed_at, other.id > HumanTask.id))
    last = not_(exists(select(literal(1)).select_from(other).where(same, later)))
    late = exists(select(literal(1)).select_from(other).where(same, other.completed_at > other.due_at))
    return and_(tasks, last), not_(late)
