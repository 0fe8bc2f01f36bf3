"""考核排名: a report's rows scored by its ranking formula (policy staff's data, compiled and evaluated in the
sandbox over each row's figures only, each run in its own scope) and ordered by rank."""
from __future__ import annotations

import ast
import math

from ..core.errors import SandboxError
from ..sandbox import Sandbox

_FORMULAS = Sandbox()                      # a ranking formula sees only the row's figures, each run in its own scope


def ranked(definition: dict, groups: list) -> list:
    """The rows scored by the report's ranking formula and ordered by rank (ties share a rank; rows without a
    score come last, unranked)."""
    ranking = definition["ranking"]
    formula = ranking["formula"]
    read = {n.id for n in ast.walk(ast.parse(formula.strip(), mode="eval")) if isinstance(n, ast.Name)}
    for group in groups:
        group.score = group.rank = None
        values = {name: _plain(figure) for name, figure in group.figures.items() if name in read}
        if any(v is None for v in values.values()):
            continue
        try:
            score = _FORMULAS.evaluate(formula, values)
        except SandboxError:
            continue
        if isinstance(score, (int, float)) and not isinstance(score, bool) and math.isfinite(score):
            group.score = round(float(score), 2)
    order = -1 if ranking.get("order", "desc") == "desc" else 1
    scored = sorted((g for g in groups if g.score is not None), key=lambda g: order * g.score)
    for n, group in enumerate(scored):
        group.rank = scored[n - 1].rank if n and group.score == scored[n - 1].score else n + 1
    return scored + [g for g in groups if g.score is None]


def _plain(figure):
    """A figure as a ranking formula reads it: a count, a share (0–1), a duration's first percentile; None when
    there is nothing to count."""
    if isinstance(figure.value, dict):
        return next(iter(figure.value.values()), None)
    return figure.value
