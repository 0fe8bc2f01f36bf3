"""What operators ask of a running system: the schedulers' heartbeats, whether the schema is at the newest
migration, and the figures the metrics read from the database at each scrape (timers due, cases in error, documents
waiting to be filled). None of it depends on which process asks: every figure is read from the shared database."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import NamedTuple

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session

from ..core.case_records import CaseDocument
from ..core.db import alembic_config
from ..core.models import Case
from ..core.operation_records import SchedulerHeartbeat

FORGET_AFTER = timedelta(days=1)        # a scheduler silent this long is gone; its row is removed


def process_name() -> str:
    """This process as a heartbeat names it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(session: Session, name: str, now: datetime, started_at: datetime | None = None) -> None:
    """Record that the scheduler `name` is alive now (and forget schedulers silent for a day); commits."""
    found = session.execute(update(SchedulerHeartbeat).where(SchedulerHeartbeat.name == name)
                            .values(beat_at=now)).rowcount
    if not found:
        session.add(SchedulerHeartbeat(name=name, started_at=started_at or now, beat_at=now))
    session.execute(delete(SchedulerHeartbeat).where(SchedulerHeartbeat.beat_at < now - FORGET_AFTER))
    session.commit()


def last_beat(session: Session) -> datetime | None:
    """The newest heartbeat of any scheduler, or None if none has beaten."""
    return session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))


class SchemaState(NamedTuple):
    """The database's Alembic revision(s) and the newest the code knows."""

    current: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.head)


_heads: tuple[str, ...] | None = None


def schema_state(sql: SqlEngine) -> SchemaState:
    """Where the database's schema stands against the migrations shipped with this code."""
    global _heads
    if _heads is None:          # the migration scripts do not change while a process runs
        _heads = tuple(ScriptDirectory.from_config(alembic_config(str(sql.url))).get_heads())
    with sql.connect() as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    return SchemaState(current, _heads)


class Figures(NamedTuple):
    """The database's side of the metrics, read at one moment."""

    timers_due: int
    oldest_lateness_seconds: float
    cases_in_error: int
    documents_pending: int
    oldest_document_seconds: float


def figures(session: Session, now: datetime) -> Figures:
    """Timers due now and how late the oldest is, cases in error, documents waiting to be filled (each one indexed
    query, so a scrape costs the same at a million cases)."""
    due, oldest = session.execute(select(func.count(), func.min(Case.next_timer_at)).where(
        Case.status == "running", Case.next_timer_at <= now)).one()
    in_error = session.scalar(select(func.count()).select_from(Case).where(Case.status == "error"))
    pending, first = session.execute(select(func.count(), func.min(CaseDocument.created_at)).where(
        CaseDocument.status == "pending")).one()
    session.rollback()
    return Figures(int(due), _seconds(now, oldest), int(in_error), int(pending), _seconds(now, first))


def _seconds(now: datetime, then) -> float:
    if then is None:
        return 0.0
    return max(0.0, (now - then).total_seconds())
