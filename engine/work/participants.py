"""A parent case's participants (its child cases) as a table and figures, within what the user may see.

Which reportable fields are columns and what each figure counts is data: the parent process's properties
`participantColumns` and `participantFigures` (engine/definitions/participant_views.py). Figures count every visible
participant; filters, sorting and paging narrow the table only."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import Case, User
from ..core.scope import scoped
from ..core.vocabulary import PARTICIPANT_COLUMNS_PROPERTY, PARTICIPANT_FIGURES_PROPERTY
from ..definitions.participant_views import matches, parse_columns, parse_figures, shown, target_of
from .campaign_view import participants

MAX_CHOICES = 30        # a column with more distinct values than this is not offered as a filter
PER_PAGE = 50


@dataclass
class Table:
    """One page of the participants table, with what the page needs to draw its filters and figures."""

    columns: list[tuple[str, str]]
    rows: list[dict]
    total: int
    page: int
    pages: int
    figures: list[dict]
    choices: dict[str, list[str]] = field(default_factory=dict)     # filterable column → values present
    orgs: list[tuple[str, str]] = field(default_factory=list)       # organisations present (code, name), when few


def has_participants(session: Session, user: User, case: Case) -> bool:
    """Whether the case has participants the user may see."""
    query = scoped(select(Case.id), user, Case.org_id).where(Case.parent_id == case.id).limit(1)
    return session.scalar(query) is not None


def rows(session: Session, user: User, case: Case, now: datetime) -> list[dict]:
    """Every participant of the case the user may see, with its organisation and whether it is overdue."""
    return [{**found, "number": found["number"] or str(found["id"]), "title": found["title"] or "",
             "meta": found["meta"] or {}} for found in participants(session, user, case.id, now=now)]


def figures(case: Case, found: list[dict]) -> list[dict]:
    """The figures the case's process declares, counted over the participants found: name, label, value, and for
    a ratio its percentage (None when the denominator is 0) with the target it is held against and whether it is
    met (None without a target). A figure whose condition on the case does not hold is counted but not shown."""
    declared, _problems = parse_figures((case.definition.properties or {}).get(PARTICIPANT_FIGURES_PROPERTY))
    settings = case.meta or {}
    values: dict[str, Any] = {}
    listed = []
    for figure in declared:
        values[figure.name] = _value(figure, values, found)
        if not shown(figure, settings):
            continue
        target = target_of(figure, settings) if figure.kind == "ratio" else None
        value = values[figure.name]
        listed.append({"name": figure.name, "label": figure.label, "value": value,
                       "ratio": figure.kind == "ratio", "target": target,
                       "met": None if target is None or value is None else value >= target})
    return listed


def _value(figure, values: dict, found: list[dict]):
    """One figure's value: a percentage of two earlier figures, a sum of a field, or a count."""
    if figure.kind == "ratio":
        top, bottom = values[figure.field], values[figure.values[0]]
        return round(100 * top / bottom, 1) if bottom else None
    kept = [r for r in found if matches(figure, r["meta"], r["overdue"])]
    if figure.kind == "sum":
        return sum(_number(r["meta"].get(figure.field)) for r in kept)
    return len(kept)


def _number(value) -> float:
    """A reportable value as a number to add (anything else adds nothing)."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def table(session: Session, user: User, case: Case, now: datetime, *, filters: dict[str, str] | None = None,
          sort: str = "", page: int = 1, per_page: int | None = PER_PAGE) -> Table:
    """A page of the participants: filtered by column values (`org`, `overdue` = `yes`/`no`, or a column's field),
    sorted by a column (`-` first: descending), and the figures over all of them. `per_page` None: every row."""
    columns, _problems = parse_columns((case.definition.properties or {}).get(PARTICIPANT_COLUMNS_PROPERTY))
    found = rows(session, user, case, now)
    kept = [r for r in found if _kept(r, filters or {}, {f for f, _ in columns})]
    by = sort.lstrip("-")
    kept.sort(key=lambda r: _sort_key(r, by), reverse=sort.startswith("-"))
    kept.sort(key=lambda r: _sort_key(r, by)[0] == 2)         # empty values last in either direction (stable)
    size = per_page or max(len(kept), 1)
    pages = max(1, -(-len(kept) // size))
    page = min(max(page, 1), pages)
    return Table(columns=columns, rows=kept[(page - 1) * size:page * size], total=len(kept), page=page,
                 pages=pages, figures=figures(case, found), choices=_choices(found, columns),
                 orgs=_orgs(found))


def _orgs(found: list[dict]) -> list[tuple[str, str]]:
    """The organisations present, offered as a filter when they are few (a campaign of a thousand firms has one
    organisation per row: a list of them all is no filter, and drawing it costs the page)."""
    present = {(r["org"], r["org_name"]) for r in found}
    return sorted(present) if len(present) <= MAX_CHOICES else []


def _kept(row: dict, filters: dict[str, str], fields: set[str]) -> bool:
    for name, wanted in filters.items():
        if not wanted:
            continue
        if name == "org":
            held = row["org"]
        elif name == "overdue":
            held = "yes" if row["overdue"] else "no"
        elif name in fields:
            value = row["meta"].get(name)
            held = "" if value is None else str(value)
        else:
            continue
        if held != wanted:
            return False
    return True


def _sort_key(row: dict, by: str):
    """Numbers before text before empty values."""
    if by in ("", "number"):
        value = row["number"]
    elif by == "org":
        value = row["org_name"]
    elif by == "overdue":
        value = row["overdue"]
    else:
        value = row["meta"].get(by)
    if value is None or value == "":
        return (2, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _choices(found: list[dict], columns: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The columns worth a filter: few distinct values, not numbers."""
    offered = {}
    for name, _label in columns:
        values = {r["meta"].get(name) for r in found} - {None, ""}
        if values and len(values) <= MAX_CHOICES and not any(isinstance(v, (int, float)) for v in values):
            offered[name] = sorted(str(v) for v in values)
    return offered
