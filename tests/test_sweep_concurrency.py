"""Timers fire exactly once: three sweeper processes on PostgreSQL; a crash between claim and commit."""
from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import text

from engine.definitions import bundles
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers

from . import diagrams
from .conftest import bundle_with
from .sweepers import clone_case, crashing_sweeper_main, sweeper_main

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def due_cases(db_url, session, engine, org_tree):
    """Cases of the timed diagram whose 2-day timer fell due a day ago."""
    bundles.deploy(session, bundle_with({"processes/test/timed.bpmn": diagrams.timed()}), engine=engine)
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(days=3), tick=False):
        case = cases.start_case(engine, session, "timed", {}, org_code="county-a")
    return case


@pytest.fixture
def five_due(db_url, session, engine, org_tree):
    """Five cases of the timed diagram whose timers fell due a day ago (one batch)."""
    bundles.deploy(session, bundle_with({"processes/test/timed.bpmn": diagrams.timed()}), engine=engine)
    with time_machine.travel(datetime.now(timezone.utc) - timedelta(days=3), tick=False):
        return [cases.start_case(engine, session, "timed", {}, org_code="county-a").id for _ in range(5)]


def supervision_counts(session) -> dict[int, int]:
    rows = session.execute(text(
        "SELECT c.id, count(t.id) FROM case_instance c LEFT JOIN human_task t "
        "ON t.case_id = c.id AND t.element_id = 'Task_supervise' GROUP BY c.id")).all()
    return dict(rows)


@pytest.mark.postgres          # several sweepers is the PostgreSQL deployment; SQLite runs a single sweeper
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_three_sweeper_processes_fire_ten_thousand_timers_exactly_once(db_url, session, due_cases):
    clone_case(session, due_cases.id, 9_999)
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=sweeper_main, args=(db_url, 500, results)) for _ in range(3)]
    for w in workers:
        w.start()
    totals = [results.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert all(w.exitcode == 0 for w in workers)
    assert sum(n for _, n in totals) == 10_000
    assert sum(1 for _, n in totals if n > 0) >= 2            # the work really was shared
    counts = supervision_counts(session)
    assert len(counts) == 10_000 and set(counts.values()) == {1}
    fired_events = session.execute(text(
        "SELECT count(*), count(DISTINCT case_id) FROM audit_event WHERE action = 'timers_checked'")).one()
    assert tuple(fired_events) == (10_000, 10_000)
    assert session.execute(text("SELECT count(*) FROM case_instance WHERE next_timer_at IS NOT NULL")).scalar() == 0


def test_a_crash_between_claim_and_commit_loses_nothing(db_url, session, engine, due_cases):
    crashed = SPAWN.Process(target=crashing_sweeper_main, args=(db_url,))
    crashed.start()
    crashed.join(timeout=120)
    assert crashed.exitcode == 17
    session.commit()
    assert supervision_counts(session) == {due_cases.id: 0}
    assert cases.get_case(session, due_cases.id).next_timer_at is not None
    engine.forget_all()
    assert fire_due_timers(engine, session) == 1                   # the next sweep fires it
    assert supervision_counts(session) == {due_cases.id: 1}
    assert fire_due_timers(engine, session) == 0


@pytest.mark.parametrize("at_case", [None, 3], ids=["at-the-commit", "mid-batch"])
def test_a_crash_in_a_batch_loses_and_duplicates_nothing(db_url, session, engine, five_due, at_case):
    crashed = SPAWN.Process(target=crashing_sweeper_main, args=(db_url, at_case))
    crashed.start()
    crashed.join(timeout=120)
    assert crashed.exitcode == 17
    session.commit()
    assert supervision_counts(session) == {case_id: 0 for case_id in five_due}      # nothing of the batch kept
    assert session.execute(text("SELECT count(*) FROM audit_event WHERE action = 'timers_checked'")).scalar() == 0
    assert all(cases.get_case(session, case_id).next_timer_at is not None for case_id in five_due)
    engine.forget_all()
    assert fire_due_timers(engine, session) == 5                   # the next sweep fires them all, once
    assert supervision_counts(session) == {case_id: 1 for case_id in five_due}
    assert fire_due_timers(engine, session) == 0
