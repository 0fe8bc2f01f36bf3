"""The bottleneck map's part of the stored summary (engine/work/report_summary.py): for each organisation, China
month and step of a process, its done steps as a histogram of their exact durations (seconds, as the database
gives them: the sum and the 90th percentile of a merged histogram are those of the steps themselves), how many
were done after their due time, and the step's name. The open steps, whose overdue count changes with the moment
it is read, are always counted live (few: only the open cases')."""
from __future__ import annotations

import hashlib
import math
from decimal import Decimal

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.orm import Session

from ..core.models import Case, HumanTask, Organization
from . import report_sql as sql

LATE = "late"
NAME = "name:"
SECONDS = "s:"


def steps_digest(process: str) -> str:
    """The digest the summary keeps a process's steps under."""
    return hashlib.sha256(f"steps\n{process}".encode()).hexdigest()


def seconds_text(dialect: str):
    """SQL (PostgreSQL): a done step's exact duration in seconds, as text."""
    return cast(func.extract("epoch", HumanTask.completed_at - HumanTask.created_at), String)


def unit_rows(session: Session, process: str, within) -> list[dict]:
    """The summary rows of the process's done steps over the cases `within` (SQL), by organisation and month."""
    dialect = session.get_bind().dialect.name
    wanted = steps_digest(process)
    month = sql.month_of(dialect)
    done = (HumanTask.status == "completed", Case.process_key == process, within)
    late = and_(HumanTask.due_at.is_not(None), HumanTask.completed_at > HumanTask.due_at)
    totals: dict[tuple, float] = {}
    if dialect == "postgresql":
        seconds = seconds_text(dialect)
        query = (select(Case.org_id, month, HumanTask.element_id, seconds, func.count(),
                        func.sum(case((late, 1), else_=0)), func.min(HumanTask.name))
                 .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
                 .where(*done).group_by(Case.org_id, month, HumanTask.element_id, seconds))
        for org, when, element, text, count, lates, name in session.execute(query):
            _count(totals, org, when, element, SECONDS + text, count)
            _count(totals, org, when, element, LATE, int(lates or 0))
            _count(totals, org, when, element, NAME + name, 0)
    else:
        query = (select(Case.org_id, month, HumanTask.element_id, HumanTask.created_at, HumanTask.completed_at,
                        HumanTask.due_at, HumanTask.name)
                 .join(Case, HumanTask.case_id == Case.id).join(Organization, Case.org_id == Organization.id)
                 .where(*done))
        for org, when, element, created, completed, due, name in session.execute(query):
            _count(totals, org, when, element, SECONDS + repr((completed - created).total_seconds()), 1)
            _count(totals, org, when, element, LATE, int(due is not None and completed > due))
            _count(totals, org, when, element, NAME + name, 0)
    return [{"definition_hash": wanted, "org_id": org, "month": when, "measure": element, "group_key": key,
             "hits": float(count), "base": 0.0} for (org, when, element, key), count in totals.items()]


def _count(totals: dict, org, when, element, key, count) -> None:
    totals[(org, when, element, key)] = totals.get((org, when, element, key), 0) + count


class Steps:
    """The done steps of a process gathered from summary rows: by step, the histogram of durations, the late count
    and the name."""

    def __init__(self) -> None:
        self.histogram: dict[str, dict[str, int]] = {}
        self.late: dict[str, int] = {}
        self.names: dict[str, str] = {}

    def add(self, element: str, key: str, count: float) -> None:
        """Add one summary row (its step, key and count)."""
        if key.startswith(SECONDS):
            found = self.histogram.setdefault(element, {})
            found[key[len(SECONDS):]] = found.get(key[len(SECONDS):], 0) + int(count)
        elif key == LATE:
            self.late[element] = self.late.get(element, 0) + int(count)
        elif key.startswith(NAME):
            name = key[len(NAME):]
            self.names[element] = min(name, self.names.get(element, name))

    def durations(self, dialect: str, element: str) -> tuple[int, float | None, float | None, list]:
        """How many steps were done, their mean and 90th percentile in days (as live: PostgreSQL's exact sums,
        SQLite's floats in order), None when none were."""
        from .reports import percentile

        found = self.histogram.get(element, {})
        done = sum(found.values())
        if not done:
            return 0, None, None, []
        if dialect == "postgresql":
            ordered = sorted((Decimal(text), count) for text, count in found.items())
            total = sum(value * count for value, count in ordered)
            return done, round(float(total) / 86400 / done, 1), round(float(_rank(ordered, 90)) / 86400, 1), ordered
        days = sorted(v for text, count in found.items() for v in [float(text) / 86400] * count)
        return done, round(sum(days) / len(days), 1), round(percentile(days, 90), 1), days


def _rank(ordered: list[tuple[Decimal, int]], p: int) -> Decimal:
    """The nearest-rank percentile of a sorted histogram (percentile_disc, `reports.percentile`)."""
    rank, seen = max(1, math.ceil(p / 100 * sum(c for _, c in ordered))), 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]
