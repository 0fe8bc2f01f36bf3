"""Business numbers such as 〔2026〕样例第0001号, from a pattern the diagram declares."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import BusinessSequence


def next_number(session: Session, pattern: str, now: datetime) -> str:
    """Take the next number of this pattern's yearly sequence and format it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(BusinessSequence).values(pattern=pattern, year=now.year, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["pattern", "year"], set_={"value": BusinessSequence.value + 1},
    ).returning(BusinessSequence.value)
    seq = session.execute(stmt).scalar_one()
    # Only {year}/{month}/{day}/{seq} fields pass validation, so format() reaches nothing else.
    return pattern.format(year=now.year, month=now.month, day=now.day, seq=seq)
