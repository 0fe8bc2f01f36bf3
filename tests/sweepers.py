"""Sweeper processes and bulk timer fixtures for the concurrency test and the benchmark."""
from __future__ import annotations

import os

from sqlalchemy import text


def sweeper_main(url: str, rounds: int, results) -> None:
    """A separate process: sweep until nothing is due (or `rounds` sweeps), report how many cases it ran."""
    from engine.core.db import connect, session_factory
    from engine.runtime.engine import Engine
    from engine.runtime.timers import fire_due_timers

    engine, sql = Engine(), connect(url)
    Session = session_factory(sql)
    total = 0
    with Session() as session:
        for _ in range(rounds):
            fired = fire_due_timers(engine, session, limit=200)
            total += fired
            if fired == 0 and not _any_due(session):
                break
    sql.dispose()
    results.put((os.getpid(), total))


def crashing_sweeper_main(url: str, at_case: int | None = None) -> None:
    """A separate process that claims due cases and dies before committing: at the commit, or (`at_case`) while
    saving the `at_case`-th case of its batch, the cases before it run and saved in the open transaction."""
    from sqlalchemy.orm import Session as OrmSession

    from engine.core.db import connect, session_factory
    from engine.runtime.engine import Engine
    from engine.runtime.instance import Instance
    from engine.runtime.timers import fire_due_timers

    def die(*_args, **_kwargs):
        os._exit(17)

    if at_case is None:
        OrmSession.commit = die
    else:
        save, saved = Instance.save, []

        def save_then_die(self):
            saved.append(self.case.id)
            if len(saved) == at_case:
                die()
            save(self)
        Instance.save = save_then_die
    engine, sql = Engine(), connect(url)
    with session_factory(sql)() as session:
        fire_due_timers(engine, session, limit=None if at_case else 1)


def _any_due(session) -> bool:
    return session.execute(text(
        "SELECT 1 FROM case_instance WHERE status = 'running' AND next_timer_at <= now() LIMIT 1")).first() is not None


CASE_COLUMNS = ("definition_id, process_key, title, status, org_id, meta, error, created_by, created_at, "
                "updated_at, ended_at, next_timer_at, version, state")
TASK_COLUMNS = ("task_uuid, element_id, name, lane, form, org_id, candidate_users, assignee_id, status, "
                "created_at, due_at, due_provisional, completed_at, completed_by")


def clone_case(session, case_id: int, copies: int, shift_seconds_per_copy: float = 0.0) -> None:
    """PostgreSQL: make `copies` copies of a case (row, state and open tasks), timers optionally spread out."""
    session.execute(text(
        f"INSERT INTO case_instance ({CASE_COLUMNS}) "
        f"SELECT {CASE_COLUMNS.replace('next_timer_at', 'next_timer_at + make_interval(secs => g * :shift)')} "
        "FROM case_instance, generate_series(1, :n) AS g WHERE id = :id"),
        {"id": case_id, "n": copies, "shift": shift_seconds_per_copy})
    session.execute(text(
        f"INSERT INTO human_task (case_id, {TASK_COLUMNS}) SELECT c.id, "
        + ", ".join(f"t.{c.strip()}" for c in TASK_COLUMNS.split(","))
        + " FROM case_instance c JOIN human_task t ON t.case_id = :id WHERE c.id > :id"), {"id": case_id})
    session.commit()


def interval_sweeper_main(url: str, interval: float, stop_at: float, expected: int, results) -> None:
    """A benchmark sweeper: sweep every `interval` seconds until `expected` cases have fired or time is up; report
    how many it fired, and the CPU seconds it and its database backend used in its sweeps (not in the benchmark's
    own count of what has fired, a scan of the audit events after each sweep)."""
    import time

    from engine.core.db import connect, session_factory
    from engine.runtime.engine import Engine
    from engine.runtime.timers import fire_due_timers

    engine, sql = Engine(), connect(url)
    total, cpu, backend_cpu = 0, 0.0, 0.0
    with session_factory(sql)() as session:
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar()
        session.rollback()
        while time.time() < stop_at:
            started = time.time()
            cpu_before, backend_before = time.process_time(), cpu_seconds(backend)
            total += fire_due_timers(engine, session, limit=500)
            cpu += time.process_time() - cpu_before
            backend_cpu += cpu_seconds(backend) - backend_before
            done = session.execute(text(
                "SELECT count(*) FROM audit_event WHERE action = 'timers_checked'")).scalar()
            session.rollback()
            if done >= expected:
                break
            time.sleep(max(0.0, interval - (time.time() - started)))
    sql.dispose()
    results.put((os.getpid(), total, cpu, backend_cpu))


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process (of this machine) has used."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
