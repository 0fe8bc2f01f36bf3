"""Timers: the case row knows its next due time; a sweep fires what is due, once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import text

from engine.core.errors import ConflictError
from engine.core.messages import Msg
from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases
from engine.runtime.engine import Engine
from engine.runtime import timers
from engine.runtime.timers import fire_due_timers
from engine.work import case_status

from . import diagrams
from .conftest import bundle_with
from .helpers import ready, roundtrip

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def timed_bundle(session, engine, org_tree):
    return bundles.deploy(session, bundle_with({"processes/test/timed.bpmn": diagrams.timed(),
                                                "processes/test/broken_timer.bpmn": diagrams.broken_timer()}),
                          engine=engine).bundle


def test_due_timer_fires_once_on_sweep(engine, session, timed_bundle):
    with time_machine.travel(START, tick=False) as clock:
        case = cases.start_case(engine, session, "timed", {}, org_code="county-a")
        assert cases.get_case(session, case.id).next_timer_at == START + timedelta(days=2)
        clock.move_to(START + timedelta(days=1))
        assert fire_due_timers(engine, session) == 0
        assert [t.name for t in ready(session, case.id)] == ["办理"]

        clock.move_to(START + timedelta(days=2, minutes=1))
        restarted = Engine()                      # a restart between due and sweep: nothing in memory
        assert fire_due_timers(restarted, session) == 1
        roundtrip(engine, session, case.id)
        assert sorted(t.name for t in ready(session, case.id)) == ["办理", "督办"]
        assert cases.get_case(session, case.id).next_timer_at is None
        assert fire_due_timers(engine, session) == 0
        assert sorted(t.name for t in ready(session, case.id)) == ["办理", "督办"]
        assert "Timer_late" in [s.element_id for s in history.case_path(session, case.id)]


def test_suspended_cases_do_not_fire(engine, session, timed_bundle):
    with time_machine.travel(START, tick=False) as clock:
        case = cases.start_case(engine, session, "timed", {}, org_code="county-a")
        case_status.suspend_case(engine, session, case.id)
        clock.move_to(START + timedelta(days=3))
        assert fire_due_timers(engine, session) == 0
        case_status.resume_case(engine, session, case.id)
        assert sorted(t.name for t in ready(session, case.id)) == ["办理", "督办"]


def test_a_failing_timer_expression_errors_its_case_and_the_sweep_goes_on(engine, session, timed_bundle):
    with time_machine.travel(START, tick=False) as clock:
        bad = cases.start_case(engine, session, "broken_timer", {}, org_code="county-a")
        good = cases.start_case(engine, session, "timed", {}, org_code="county-a")
        clock.move_to(START + timedelta(days=3))
        assert fire_due_timers(engine, session) == 1
        bad, good = cases.get_case(session, bad.id), cases.get_case(session, good.id)
        assert bad.status == "error" and "no_such_variable" in bad.error and "Wait_bad" in bad.error
        assert good.status == "running" and "督办" in [t.name for t in ready(session, good.id)]
        assert fire_due_timers(engine, session) == 0


def fired_counts(session, case_ids) -> dict[int, int]:
    """How many times each case's timers were checked (one `timers_checked` event per firing)."""
    session.commit()
    found = dict(session.execute(text(
        "SELECT case_id, count(*) FROM audit_event WHERE action = 'timers_checked' GROUP BY case_id")).all())
    return {case_id: found.get(case_id, 0) for case_id in case_ids}


def test_a_sweep_fires_due_cases_in_batches_each_once(engine, session, timed_bundle, monkeypatch):
    careful = []
    monkeypatch.setattr(timers, "_fire_each", lambda *args: careful.append(args))
    with time_machine.travel(START, tick=False) as clock:
        started = [cases.start_case(engine, session, "timed", {}, org_code="county-a").id for _ in range(7)]
        clock.move_to(START + timedelta(days=3))
        assert fire_due_timers(engine, session, limit=5, batch=2) == 5      # three batches, the limit respected
        assert sum(fired_counts(session, started).values()) == 5
        assert fire_due_timers(engine, session, batch=2) == 2
        assert fire_due_timers(engine, session, batch=2) == 0
        assert fired_counts(session, started) == {case_id: 1 for case_id in started}
        for case_id in started:
            assert sorted(t.name for t in ready(session, case_id)) == ["办理", "督办"]
            assert cases.get_case(session, case_id).next_timer_at is None
    assert careful == []            # each batch went the quick way: rows and inserts written together


def test_a_failing_case_in_a_batch_errors_alone_and_the_others_commit_once(engine, session, timed_bundle):
    with time_machine.travel(START, tick=False) as clock:
        first = cases.start_case(engine, session, "timed", {}, org_code="county-a")            # due S+2d
        clock.move_to(START + timedelta(hours=4))
        last = cases.start_case(engine, session, "timed", {}, org_code="county-a")             # due S+2d+4h
        clock.move_to(START + timedelta(days=1, hours=2))
        bad = cases.start_case(engine, session, "broken_timer", {}, org_code="county-a")       # due S+2d+2h
        clock.move_to(START + timedelta(days=3))
        engine.forget_all()
        assert fire_due_timers(engine, session) == 2         # one batch: first, bad, last
        bad = cases.get_case(session, bad.id)
        assert bad.status == "error" and "no_such_variable" in bad.error and "Wait_bad" in bad.error
        assert fired_counts(session, [first.id, last.id]) == {first.id: 1, last.id: 1}
        for good in (first, last):
            assert sorted(t.name for t in ready(session, good.id)) == ["办理", "督办"]
        failed = session.execute(text("SELECT count(*) FROM audit_event WHERE case_id = :id AND action = "
                                      "'case_failed'"), {"id": bad.id}).scalar()
        assert failed == 1
        assert fire_due_timers(engine, session) == 0


def test_a_fault_of_the_engine_in_one_case_keeps_it_due_and_commits_the_others(engine, session, timed_bundle,
                                                                              monkeypatch):
    with time_machine.travel(START, tick=False) as clock:
        started = [cases.start_case(engine, session, "timed", {}, org_code="county-a").id for _ in range(3)]
        clock.move_to(START + timedelta(days=3))
        real = timers._run_timers

        def faulty(instance):
            if instance.case.id == started[1]:
                raise RuntimeError("a bug")
            real(instance)
        monkeypatch.setattr(timers, "_run_timers", faulty)
        with pytest.raises(RuntimeError, match="a bug"):
            fire_due_timers(engine, session)
        assert fired_counts(session, started) == {started[0]: 1, started[1]: 0, started[2]: 1}
        faulty_case = cases.get_case(session, started[1])
        assert faulty_case.status == "running" and faulty_case.next_timer_at is not None
        assert [t.name for t in ready(session, started[1])] == ["办理"]

        monkeypatch.setattr(timers, "_run_timers", real)
        assert fire_due_timers(engine, session) == 1
        assert fired_counts(session, started) == {case_id: 1 for case_id in started}


def test_a_case_that_lost_a_race_in_a_batch_stays_due(engine, session, timed_bundle, monkeypatch):
    with time_machine.travel(START, tick=False) as clock:
        started = [cases.start_case(engine, session, "timed", {}, org_code="county-a").id for _ in range(3)]
        clock.move_to(START + timedelta(days=3))
        real = timers._run_timers

        def racing(instance):
            if instance.case.id == started[0]:
                raise ConflictError(Msg("case.changed"), case=started[0])
            real(instance)
        monkeypatch.setattr(timers, "_run_timers", racing)
        assert fire_due_timers(engine, session) == 2
        assert fired_counts(session, started) == {started[0]: 0, started[1]: 1, started[2]: 1}
        monkeypatch.setattr(timers, "_run_timers", real)
        assert fire_due_timers(engine, session) == 1
        assert fired_counts(session, started) == {case_id: 1 for case_id in started}
