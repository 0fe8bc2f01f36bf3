"""How a parent case shows its participants (child cases): the columns and the figures its process declares.

`participantColumns` is `field:label, …` (reportable fields of the participants). `participantFigures` is
`name=rule:label, …`, where a rule is one of
  `*`                      every participant
  `field=v1;v2`            participants whose field holds one of the values
  `field!=v1;v2`           participants whose field holds none of them (an empty field counts)
  `@overdue`               participants with an open task past its due time
  `a/b`                    figure a as a percentage of figure b (both declared before it)
  `+field`                 the sum of a numeric field over the participants
Conditions join with `&` (all must hold): `in_scope=True&passed=True`, `+items&in_scope=True`. A ratio may be held
against a target, `a/b>=90` or `a/b>=@name` (a reportable field of the parent case itself, e.g. a setting of the
campaign); any figure may be shown only when a reportable field of the parent holds a value, `…?basis=items`.
Both are read the same way at deploy (problems with their entry) and when a page shows them."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..core.messages import Msg
from ..core.vocabulary import (PARTICIPANT_COLUMNS_PROPERTY, PARTICIPANT_FIGURES_PROPERTY,
                               REPORTABLE_PROPERTY)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OVERDUE = "@overdue"
_TARGET = re.compile(r"^(@[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?)$")


@dataclass(frozen=True)
class Figure:
    """One declared figure: a count of participants matching a rule, or a ratio of two earlier figures."""

    name: str
    label: str
    kind: str                       # all, eq, ne, overdue, sum, ratio
    field: str = ""                 # eq / ne / sum: the reportable field; ratio: the numerator figure
    values: tuple[str, ...] = ()    # eq / ne: the values; ratio: (the denominator figure,)
    also: tuple = ()                # further conditions that must hold too: (kind, field, values) each
    target: str = ""                # ratio: a percentage, or `@name` of the parent's reportable field holding it
    when: tuple[str, str] = ()      # (parent's field, value): the figure is shown only when the parent holds it


def parse_columns(text: str | None) -> tuple[list[tuple[str, str]], list[Msg]]:
    """The declared columns as (field, label) pairs, and the problems of entries that are not `field:label`."""
    columns, problems, seen = [], [], set()
    for entry in _entries(text):
        field, colon, label = (part.strip() for part in entry.partition(":"))
        if not colon or not _NAME.match(field) or not label:
            problems.append(Msg("participants.bad_column", entry=entry))
        elif field in seen:
            problems.append(Msg("participants.duplicate", name=field))
        else:
            seen.add(field)
            columns.append((field, label))
    return columns, problems


def parse_figures(text: str | None) -> tuple[list[Figure], list[Msg]]:
    """The declared figures in order, and the problems of entries that do not follow the grammar above."""
    figures: list[Figure] = []
    problems: list[Msg] = []
    for entry in _entries(text):
        name, equals, rest = (part.strip() for part in entry.partition("="))
        rule, colon, label = (part.strip() for part in rest.rpartition(":"))
        if not equals or not colon or not _NAME.match(name) or not rule or not label:
            problems.append(Msg("participants.bad_figure", entry=entry))
            continue
        if any(f.name == name for f in figures):
            problems.append(Msg("participants.duplicate", name=name))
            continue
        figure = _figure(name, rule, label, {f.name for f in figures})
        if isinstance(figure, Msg):
            problems.append(figure)
        else:
            figures.append(figure)
    return figures, problems


def _figure(name: str, rule: str, label: str, known: set[str]) -> Figure | Msg:
    rule, question, when = (part.strip() for part in rule.partition("?"))
    guard: tuple[str, str] = ()
    if question:
        field, equals, value = (part.strip() for part in when.partition("="))
        if not equals or not _NAME.match(field) or not value:
            return Msg("participants.bad_rule", name=name, rule=rule + "?" + when)
        guard = (field, value)
    rule, compared, target = (part.strip() for part in rule.partition(">="))
    if compared and not _TARGET.match(target):
        return Msg("participants.bad_target", name=name, target=target)
    figure = _counting(name, rule, label) if rule != "*" else Figure(name, label, "all")
    if figure is None:
        figure = _ratio(name, rule, label, known)
    if isinstance(figure, Msg):
        return figure
    if compared and figure.kind != "ratio":
        return Msg("participants.target_not_ratio", name=name)
    return replace(figure, target=target, when=guard)


def _counting(name: str, rule: str, label: str) -> Figure | Msg | None:
    """A count (conditions joined by `&`) or a sum (`+field`, conditions after it); None when neither."""
    parts = [part.strip() for part in rule.split("&")]
    total = parts[0][1:].strip() if parts[0].startswith("+") else None
    conditions = [_condition(part) for part in (parts[1:] if total is not None else parts)]
    if total is None and len(parts) == 1 and conditions[0] is None:
        return None                         # not a condition: perhaps a ratio
    if (total is not None and not _NAME.match(total)) or any(c is None for c in conditions):
        return Msg("participants.bad_rule", name=name, rule=rule)
    if total is not None:
        return Figure(name, label, "sum", total, (), tuple(conditions))
    kind, field, values = conditions[0]
    return Figure(name, label, kind, field, values, tuple(conditions[1:]))


def _condition(text: str) -> tuple | None:
    """`@overdue`, `field=v1;v2` or `field!=v1;v2` as (kind, field, values); None for anything else."""
    if text == OVERDUE:
        return ("overdue", "", ())
    for operator, kind in (("!=", "ne"), ("=", "eq")):
        field, found, values = (part.strip() for part in text.partition(operator))
        if found:
            choices = tuple(v.strip() for v in values.split(";") if v.strip())
            return (kind, field, choices) if _NAME.match(field) and choices else None
    return None


def _ratio(name: str, rule: str, label: str, known: set[str]) -> Figure | Msg:
    top, slash, bottom = (part.strip() for part in rule.partition("/"))
    if not slash:
        return Msg("participants.bad_rule", name=name, rule=rule)
    missing = [n for n in (top, bottom) if n not in known]
    if missing:
        return Msg("participants.unknown_figure", name=name, missing=", ".join(missing))
    return Figure(name, label, "ratio", top, (bottom,))


def participant_problems(properties: dict) -> list[Msg]:
    """Every problem of a process's participant columns and figures (checked at deploy): a target or a condition
    on the parent must name one of the parent's own reportable fields, since the page reads them from its row."""
    figures, problems = parse_figures(properties.get(PARTICIPANT_FIGURES_PROPERTY))
    reported = {n.strip() for n in (properties.get(REPORTABLE_PROPERTY) or "").split(",") if n.strip()}
    for figure in figures:
        for field in (figure.target[1:] if figure.target.startswith("@") else "", *figure.when[:1]):
            if field and field not in reported:
                problems.append(Msg("participants.unreported_setting", name=figure.name, field=field))
    return parse_columns(properties.get(PARTICIPANT_COLUMNS_PROPERTY))[1] + problems


def _entries(text: str | None) -> list[str]:
    return [entry.strip() for entry in (text or "").split(",") if entry.strip()]


def matches(figure: Figure, meta: dict, overdue: bool) -> bool:
    """Whether one participant (its reportable fields, whether it is overdue) counts towards a counting figure
    (for a sum: whether its value is added)."""
    first = () if figure.kind in ("all", "sum") else ((figure.kind, figure.field, figure.values),)
    return all(_holds(condition, meta, overdue) for condition in (*first, *figure.also))


def _holds(condition: tuple, meta: dict, overdue: bool) -> bool:
    kind, field, values = condition
    if kind == "overdue":
        return overdue
    value = meta.get(field)
    held = "" if value is None else str(value)
    return (held in values) == (kind == "eq")


def target_of(figure: Figure, parent_meta: dict) -> float | None:
    """The percentage a ratio is held against (a number, or read from the parent's field), None without one."""
    held = parent_meta.get(figure.target[1:]) if figure.target.startswith("@") else figure.target
    try:
        return float(held) if held not in (None, "") else None
    except (TypeError, ValueError):
        return None


def shown(figure: Figure, parent_meta: dict) -> bool:
    """Whether the parent's data lets the figure show (its `?field=value` condition, if any)."""
    return not figure.when or str(parent_meta.get(figure.when[0], "")) == figure.when[1]
