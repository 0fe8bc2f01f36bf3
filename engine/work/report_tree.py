"""A report's organisation chart (`orgTree`): the organisations of a subtree, each with one rate of the report over
its own subtree, for the 统计 page to draw as a tree coloured by that rate."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import Organization
from ..core.scope import path_within
from ..definitions.report_schema import TREE_KINDS
from . import report_sql as sql
from . import report_summary
from .report_steps import task_measure
from .reports import TASK_KINDS, Figure, case_measures, figure_of


@dataclass
class TreeNode:
    """One organisation of an organisation chart (`orgTree`): the report's one figure over its subtree, and the
    organisations right below it."""

    code: str
    name: str
    figure: Figure
    children: list[TreeNode] = field(default_factory=list)


TREE_DEPTH = 2                                 # the root, its children and theirs (a grandchild only with figures)


def org_tree(session: Session, root: Organization, definition: dict, *, since: date | None = None,
             until: date | None = None, now: datetime | None = None, summary: bool = True) -> TreeNode | None:
    """The organisation chart of a report grouped by `@org` that names a rate as its `orgTree`: the subtree of
    `root` (which the caller has made sure the reader may see) down to TREE_DEPTH, each organisation with the
    rate over its own subtree; a grandchild no case counts in is left out. None when the report has no chart.
    `summary`: read the rate from the stored summary where it covers the period (engine/work/report_summary.py)."""
    name = definition.get("orgTree")
    measure = next((m for m in definition["measures"] if m["name"] == name), None)
    if measure is None or measure["kind"] not in TREE_KINDS or definition["groupBy"] != sql.ORG:
        return None
    dialect = session.get_bind().dialect.name
    now = now or datetime.now(timezone.utc)
    only = {**definition, "measures": [measure]}
    summed = report_summary.measured(session, definition, root, since, until, now) if summary else None
    if summed is not None and (name in summed.counted or name in summed.timed):
        by_path = summed.counted.get(name, summed.timed.get(name))
    elif measure["kind"] in TASK_KINDS:
        by_path = task_measure(session, dialect, only, measure, root, since, until, now)
    else:
        by_path = case_measures(session, dialect, only, root, since, until)[name]
    orgs = session.scalars(select(Organization).where(path_within(Organization.path, root.path))
                           .order_by(Organization.path))
    children: dict[int | None, list[Organization]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)

    def node(org: Organization, depth: int) -> TreeNode | None:
        parts = [p for path, p in by_path.items() if path_within(path, org.path)]
        if depth > 1 and not parts:
            return None
        below = [n for n in (node(c, depth + 1) for c in children.get(org.id, [])) if n] if depth < TREE_DEPTH else []
        return TreeNode(org.code, org.name, figure_of(measure, parts), below)

    return node(root, 0)
