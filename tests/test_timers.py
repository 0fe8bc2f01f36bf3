"""Timers: the case row knows its next due time; a sweep fires what is due, once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases
from engine.runtime.engine import Engine
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
