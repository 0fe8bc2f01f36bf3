"""Task due times from expressions and deadline timers; provisional years; entering a schedule recomputes."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from engine.core import people
from engine.core.errors import DataValidationError
from engine.definitions import bundles
from engine.records import history
from engine.runtime import cases, deadlines
from engine.runtime.timers import fire_due_timers
from engine.time import calendar_store
from engine.time.workdays import CHINA_TZ

from . import diagrams
from .conftest import bundle_with
from .helpers import ready

APPLY = {"title": "测试事项", "reason": "测试用的理由"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


@pytest.fixture
def deadline_bundle(session, engine, org_tree):
    return bundles.deploy(session, bundle_with({"processes/test/deadlines.bpmn": diagrams.deadlines()}),
                          engine=engine).bundle


def dues(session, case_id):
    return {t.name: (t.due_at, t.due_provisional) for t in ready(session, case_id)}


def test_due_times_come_from_expression_and_deadline_timer(engine, session, deadline_bundle):
    with time_machine.travel(at("2025-09-30T10:00"), tick=False) as clock:
        case = cases.start_case(engine, session, "deadlines", {}, org_code="county-a")
        # 10 working days after 09-30: 10-09, 10, 11 (Sat 调休), 13 … 17, 20, 21 → the end of 10-21.
        expected = at("2025-10-22T00:00")
        assert dues(session, case.id) == {"按表达式计时": (expected, False), "按定时器计时": (expected, False)}
        assert cases.get_case(session, case.id).next_timer_at == at("2025-10-18T00:00")   # the 8-day reminder

        clock.move_to(at("2025-10-22T00:00:01"))
        assert fire_due_timers(engine, session) == 1
        assert set(dues(session, case.id)) == {"按表达式计时", "按定时器计时", "督办"}
        task = next(t for t in ready(session, case.id) if t.name == "按表达式计时")
        cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
        done = next(t for t in cases.case_tasks(session, case.id) if t.name == "按表达式计时")
        assert done.completed_at > done.due_at                     # completed late: counts as not on time


def test_entering_a_year_makes_provisional_deadlines_official(engine, session, deadline_bundle):
    with time_machine.travel(at("2026-12-28T10:00"), tick=False):
        case = cases.start_case(engine, session, "deadlines", {}, org_code="county-a")
        before = dues(session, case.id)
        # Fallback: weekdays minus rule-based holidays (New Year 2027-01-01): 12-29, 30, 31, 01-04 … 01-08, 11, 12.
        assert before["按表达式计时"] == (at("2027-01-13T00:00"), True)
        assert calendar_store.missing_years(engine, session) == [2027]

        official_holidays = [date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)]   # a hypothetical notice
        updated = deadlines.enter_year(engine, session, 2027, official_holidays, [date(2027, 1, 9)],
                                            actor="admin")
        assert updated == 1
        after = dues(session, case.id)
        # 12-29, 30, 31, 01-06, 07, 08, 09 (Sat 调休), 11, 12, 13
        assert after["按表达式计时"] == (at("2027-01-14T00:00"), False)
        assert after["按定时器计时"] == (at("2027-01-14T00:00"), False)
        assert calendar_store.missing_years(engine, session) == []
        assert history.case_history(session, case.id)[-1].action == "deadlines_recomputed"


def test_bad_schedule_is_refused_with_the_field(engine, session, org_tree):
    with pytest.raises(DataValidationError) as err:
        deadlines.enter_year(engine, session, 2027, [date(2028, 1, 1)], [date(2027, 1, 6)], actor="admin")
    assert {e.field for e in err.value.errors} == {"holidays", "workdays"}
    assert not engine.calendar.known(2027)
