"""The China months the stored summary counts by (`YYYY-MM`): which months a report's period covers whole, and the
SQL that keeps rows and cases to a span of months or days."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import false

from ..core.models import Case
from . import report_sql as sql


def whole_months(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    """The first and last months (`YYYY-MM`) the period covers whole (None: unbounded)."""
    first = None if since is None else (f"{since:%Y-%m}" if since.day == 1 else month_after(f"{since:%Y-%m}"))
    last = None
    if until is not None:
        last = f"{until:%Y-%m}" if (until + timedelta(days=1)).day == 1 else month_before(f"{until:%Y-%m}")
    return first, last


def month_range(column, first: str | None, last: str | None) -> list:
    """SQL: the month column within first..last (either None: unbounded; an empty range: nothing)."""
    if first is not None and last is not None and first > last:
        return [false()]
    return [c for c in ((column >= first) if first else None, (column <= last) if last else None) if c is not None]


def month_after(month: str) -> str:
    """The month (`YYYY-MM`) after `month`."""
    year, number = map(int, month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def month_before(month: str) -> str:
    """The month (`YYYY-MM`) before `month`."""
    year, number = map(int, month.split("-"))
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def month_start(month: str) -> date:
    """The first day of `month`."""
    return date.fromisoformat(f"{month}-01")


def created_within(start: date | None, end: date | None) -> list:
    """SQL: a case created on or after China day `start` and before China day `end` (either None: unbounded)."""
    found = []
    if start is not None:
        found.append(Case.created_at >= sql.china_moment(start))
    if end is not None:
        found.append(Case.created_at < sql.china_moment(end))
    return found
