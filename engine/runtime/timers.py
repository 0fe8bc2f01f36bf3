"""Timers: each case row carries its next due time (see compaction.next_timer); a sweep runs the cases that are due.

A sweep claims due cases in batches (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several sweepers take disjoint
batches; SQLite's write lock makes one sweeper at a time) and runs a batch in one transaction, with one commit
and its inserts shared. If any case of it fails, the batch is undone and run again with each case in its own
savepoint: a case whose diagram fails is rolled back to its savepoint and put in error, a case that lost a race is
rolled back and left due, and the others commit together. Nothing of a batch is written before its commit, so a
sweeper that dies before it leaves every case of the batch due for the next sweep.

A case's row is written with the batch's (its lock held from the claim to the commit): a diagram asking about
other cases while its timer fires sees them as committed, not as the cases before it in the same batch left them,
just as it does not see the cases another sweeper is firing at the same moment.
"""
from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from ..core.db import begin_write
from ..core.errors import ConflictError
from ..core.models import Case
from .case_messages import deliver_case_messages
from .cases import RUN_ERRORS, put_in_error
from . import lean
from . import statements as sql
from .failures import describe_failure
from .instance import Instance

TIMER_ACTOR = "timer"
CASE_TABLE = Case.__table__
# Cases claimed and committed together. Larger batches share the commit among more cases but hold their rows
# (and a web request wanting one of them) longer: 50 cases take about a tenth of a second.
TIMER_BATCH = 50


def due_case_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Running cases whose next timer is due, earliest first."""
    return list(session.scalars(
        select(Case.id).where(Case.status == "running", Case.next_timer_at <= now)
        .order_by(Case.next_timer_at).limit(limit)))


def fire_due_timers(engine, session: Session, limit: int | None = 500, *, batch: int = TIMER_BATCH,
                    seconds: float | None = None) -> int:
    """Run due cases once, earliest first, in batches: at most `limit` of them (None: until none is due), and
    no new batch once `seconds` have passed; then deliver the messages between cases waiting to go (those timers
    may have sent some). Return how many cases were run. Safe with several sweepers on PostgreSQL."""
    fired = claimed = 0
    began = time.monotonic()
    while limit is None or claimed < limit:
        size = batch if limit is None else min(batch, limit - claimed)
        cases = claim_due(engine, session, size)
        if not cases:
            break
        claimed += len(cases)
        ran = _fire_batch(engine, session, cases)
        fired += ran
        if len(cases) < size or not ran or (seconds is not None and time.monotonic() - began >= seconds):
            break       # nothing more is due that another sweeper has not taken, none ran, or the time is up
    session.rollback()
    deliver_case_messages(engine, session, limit or 500)
    return fired


def claim_due(engine, session: Session, size: int) -> list[Case]:
    """Begin a write transaction holding up to `size` due running cases (with their state), earliest first; the
    rows other sweepers hold are skipped."""
    session.rollback()
    begin_write(session)
    return list(session.scalars(due_claim(engine.now(), size).execution_options(populate_existing=True)))


def due_claim(now: datetime, size: int):
    """The claim's statement: up to `size` running cases due by `now` with their state, earliest first, skipping
    the rows other sweepers hold; read in the order of ix_case_instance_timer_due (status, next_timer_at, id)."""
    return (select(Case).options(undefer(Case.state))
            .where(Case.status == "running", Case.next_timer_at <= now)
            .order_by(Case.next_timer_at, Case.id).limit(size)
            .with_for_update(skip_locked=True))


def _fire_batch(engine, session: Session, cases: list[Case]) -> int:
    """Run the claimed cases and commit them together; how many ran.

    First the quick way: every case run straight into the one transaction, their rows, new tasks, audit events
    and grants written for all of them at the end, a statement each. If anything goes wrong in it, none of it is kept
    and the same cases are run again the careful way, each in its own savepoint (see `_fire_each`)."""
    ids, done, batch = [case.id for case in cases], [], {}
    try:
        for case in cases:
            with engine.journal.running(case.id, case.version):     # a crash while it runs fails only this case
                instance = _run_case(engine, session, case, batch)
            done.append((case, instance.workflow))
        write_batch(session, batch)
        session.commit()
    except BaseException as exc:
        session.rollback()
        for case_id in ids:
            engine.forget(case_id)
        if not isinstance(exc, Exception):
            raise
        return _fire_each(engine, session, claim_ids(engine, session, ids))
    for case, workflow in done:
        engine.remember(case, workflow)
    return len(done)


def _run_case(engine, session: Session, case: Case, batch: dict | None) -> Instance:
    """Fire a claimed case's timers and save it in the current transaction (`batch`: see Instance)."""
    instance = Instance(engine, session, case, engine.take_workflow(session, case, case.state), TIMER_ACTOR,
                        batch=batch)
    _run_timers(instance)
    case.version += 1
    instance.save()
    session.flush()
    return instance


def write_batch(session: Session, batch: dict) -> None:
    """Write the rows the runs of a batch collected, one statement each (new tasks without their ids: one
    executemany costs less than the multi-row INSERT … RETURNING the driver would parse afresh each time)."""
    connection = session.connection()
    for statement, params in batch.items():
        if statement is sql.INSERT_TASKS_RETURNING_IDS:
            statement = sql.INSERT_TASKS
        touched = lean.execute(connection, statement, params if len(params) > 1 else params[0])
        if statement.is_update and statement.table is CASE_TABLE and touched != len(params):
            raise StaleDataError("a case of the batch changed since it was claimed")


def claim_ids(engine, session: Session, ids: list[int]) -> list[Case]:
    """Begin a write transaction holding those of these cases that are still due and free, earliest first."""
    session.rollback()
    begin_write(session)
    return list(session.scalars(
        select(Case).options(undefer(Case.state))
        .where(Case.id.in_(ids), Case.status == "running", Case.next_timer_at <= engine.now())
        .order_by(Case.next_timer_at, Case.id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)))


def _fire_each(engine, session: Session, cases: list[Case]) -> int:
    """Run the claimed cases each in a savepoint, and commit them together; how many ran. A case whose diagram
    fails goes to error, a case that lost a race stays due, and a fault of the engine is raised once the others
    are committed."""
    done, unexpected = [], None
    for case in cases:
        case_id, version = case.id, case.version
        point = session.begin_nested()
        try:
            with engine.journal.running(case_id, version):
                instance = _run_case(engine, session, case, None)
            point.commit()
            done.append((case, instance.workflow))
        except RUN_ERRORS as exc:       # the diagram failed: the case goes to error at its last good state
            _undo(engine, session, point, case)
            put_in_error(engine, session, session.get(Case, case_id, populate_existing=True), TIMER_ACTOR,
                         describe_failure(exc).dumps())
            session.flush()
        except (ConflictError, StaleDataError, OperationalError):   # a lost race (e.g. a deadlock): due next sweep
            _undo(engine, session, point, case)
        except Exception as exc:
            _undo(engine, session, point, case)
            unexpected = unexpected or exc
        except BaseException:
            session.rollback()
            for each in cases:
                engine.forget(each.id)
            raise
    try:
        session.commit()
    except (StaleDataError, OperationalError):
        session.rollback()          # nothing of the batch was written: every case of it is due again
        done = []
    for case, workflow in done:
        engine.remember(case, workflow)
    if unexpected is not None:
        raise unexpected
    return len(done)


def _undo(engine, session: Session, point, case: Case) -> None:
    """Roll a case back to its savepoint; its workflow and loaded values are no longer the database's."""
    if point.is_active:
        point.rollback()
    engine.forget(case.id)
    session.expire(case)


def _run_timers(instance: Instance) -> None:
    instance.audit("timers_checked")
    instance.run()
