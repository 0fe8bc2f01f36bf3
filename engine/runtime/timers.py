"""Timers: each case row carries its next due time (see compaction.next_timer); a sweep runs the cases that are due."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.db import begin_write
from ..core.errors import CaseFailed, ConflictError
from ..core.models import Case
from .case_messages import deliver_case_messages
from .cases import mutate_case
from .instance import Instance

TIMER_ACTOR = "timer"


def due_case_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Running cases whose next timer is due, earliest first."""
    return list(session.scalars(
        select(Case.id).where(Case.status == "running", Case.next_timer_at <= now)
        .order_by(Case.next_timer_at).limit(limit)))


def fire_due_timers(engine, session: Session, limit: int = 500) -> int:
    """Run every due case once, then deliver the messages between cases waiting to go (those timers may have
    sent some); return how many cases were run. Safe with several sweepers on PostgreSQL."""
    fired = 0
    for case_id in due_case_ids(session, engine.now(), limit):
        session.rollback()
        begin_write(session)
        case = session.scalar(
            select(Case).where(Case.id == case_id, Case.status == "running", Case.next_timer_at <= engine.now())
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))
        if case is None:     # another sweeper has it, or it is no longer due
            session.rollback()
            continue
        try:
            mutate_case(engine, session, case, TIMER_ACTOR, _run_timers)
            fired += 1
        except (ConflictError, CaseFailed):
            continue
    session.rollback()
    deliver_case_messages(engine, session, limit)
    return fired


def _run_timers(instance: Instance) -> None:
    instance.audit("timers_checked")
    instance.run()
