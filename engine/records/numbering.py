"""Business numbers such as 〔2026〕样例第0001号, from a pattern the diagram declares."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.errors import InvalidState
from ..core.messages import Msg
from ..core.models import BusinessSequence
from ..definitions.number_patterns import MAX_PATTERN_CHARS, pattern_problem


def next_number(session: Session, pattern: str, now: datetime) -> str:
    """Take the next number of this pattern's yearly sequence and format it."""
    return next_numbers(session, pattern, now, 1)[0]


def next_numbers(session: Session, pattern: str, now: datetime, count: int) -> list[str]:
    """Take the next `count` numbers of this pattern's yearly sequence at once (as many `next_number` calls
    would), formatted, in order."""
    problem = pattern_problem(pattern)
    if problem:
        raise InvalidState(Msg("validation.bad_pattern", detail=problem), pattern=pattern[:MAX_PATTERN_CHARS])
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(BusinessSequence).values(pattern=pattern, year=now.year, value=count)
    stmt = stmt.on_conflict_do_update(
        index_elements=["pattern", "year"], set_={"value": BusinessSequence.value + count},
    ).returning(BusinessSequence.value)
    last = session.execute(stmt).scalar_one()
    # Only {year}/{month}/{day}/{seq} fields with small widths pass pattern_problem, so format() reaches nothing else.
    return [pattern.format(year=now.year, month=now.month, day=now.day, seq=seq)
            for seq in range(last - count + 1, last + 1)]
