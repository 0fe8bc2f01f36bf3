"""How a parent case shows its participants (child cases): the columns and the figures its process declares.

`participantColumns` is `field:label, …` (reportable fields of the participants). `participantFigures` is
`name=rule:label, …`, where a rule is one of
  `*`                      every participant
  `field=v1;v2`            participants whose field holds one of the values
  `field!=v1;v2`           participants whose field holds none of them (an empty field counts)
  `@overdue`               participants with an open task past its due time
  `a/b`                    figure a as a percentage of figure b (both declared before it)
Both are read the same way at deploy (problems with their entry) and when a page shows them."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.messages import Msg
from ..core.vocabulary import PARTICIPANT_COLUMNS_PROPERTY, PARTICIPANT_FIGURES_PROPERTY

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OVERDUE = "@overdue"


@dataclass(frozen=True)
class Figure:
    """One declared figure: a count of participants matching a rule, or a ratio of two earlier figures."""

    name: str
    label: str
    kind: str                       # all, eq, ne, overdue, ratio
    field: str = ""                 # eq / ne: the reportable field; ratio: the numerator figure
    values: tuple[str, ...] = ()    # eq / ne: the values; ratio: (the denominator figure,)


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
    if rule == "*":
        return Figure(name, label, "all")
    if rule == OVERDUE:
        return Figure(name, label, "overdue")
    for operator, kind in (("!=", "ne"), ("=", "eq")):
        field, found, values = (part.strip() for part in rule.partition(operator))
        if found:
            choices = tuple(v.strip() for v in values.split(";") if v.strip())
            if not _NAME.match(field) or not choices:
                return Msg("participants.bad_rule", name=name, rule=rule)
            return Figure(name, label, kind, field, choices)
    top, slash, bottom = (part.strip() for part in rule.partition("/"))
    if slash:
        missing = [n for n in (top, bottom) if n not in known]
        if missing:
            return Msg("participants.unknown_figure", name=name, missing=", ".join(missing))
        return Figure(name, label, "ratio", top, (bottom,))
    return Msg("participants.bad_rule", name=name, rule=rule)


def participant_problems(properties: dict) -> list[Msg]:
    """Every problem of a process's participant columns and figures (checked at deploy)."""
    return (parse_columns(properties.get(PARTICIPANT_COLUMNS_PROPERTY))[1]
            + parse_figures(properties.get(PARTICIPANT_FIGURES_PROPERTY))[1])


def _entries(text: str | None) -> list[str]:
    return [entry.strip() for entry in (text or "").split(",") if entry.strip()]


def matches(figure: Figure, meta: dict, overdue: bool) -> bool:
    """Whether one participant (its reportable fields, whether it is overdue) counts towards a counting figure."""
    if figure.kind == "all":
        return True
    if figure.kind == "overdue":
        return overdue
    value = meta.get(figure.field)
    held = "" if value is None else str(value)
    return (held in figure.values) == (figure.kind == "eq")
