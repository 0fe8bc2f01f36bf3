"""系统管理 · the working-day calendar (issue 22), in the engine: a year reads as entered or as the calendar uses it
now; typed lists are checked entry by entry; the preview shows the moves of the administrator's subtree that the
save then makes, and changes nothing; the save marks the year entered and is audited. On both databases."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from engine.core import people
from engine.core.errors import DataValidationError
from engine.core.models import AuditEvent, CalendarYear
from engine.definitions import bundles
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from engine.work import calendar_admin

from . import diagrams
from .conftest import bundle_with
from .helpers import ready, zh

HOLIDAYS = [date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)]      # a hypothetical notice
WORKDAYS = [date(2027, 1, 9)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


@pytest.fixture
def two_cases(session, engine, org_tree):
    """A county-a and a county-b case whose two tasks are due, provisionally, 10 working days after 2026-12-28;
    and `admin_a`, an administrator of county A."""
    bundles.deploy(session, bundle_with({"processes/test/deadlines.bpmn": diagrams.deadlines()}), engine=engine)
    people.add_role(session, "admin", "系统管理员")
    people.add_user(session, "admin_a", "甲区管理员", "county-a", ["admin"])
    session.commit()
    with time_machine.travel(at("2026-12-28T10:00"), tick=False):
        mine = cases.start_case(engine, session, "deadlines", {}, org_code="county-a")
        theirs = cases.start_case(engine, session, "deadlines", {}, org_code="county-b")
    return mine.id, theirs.id


def dues(session, case_id):
    session.expire_all()
    return {t.name: (t.due_at, t.due_provisional) for t in ready(session, case_id)}


def test_a_year_reads_as_entered_or_as_the_calendar_uses_it_now(engine, session, org_tree):
    built_in = calendar_admin.schedule(engine, session, 2026)
    assert not built_in.entered and date(2026, 10, 1) in built_in.holidays and date(2026, 10, 3) not in built_in.holidays
    assert all(d.weekday() >= 5 for d in built_in.workdays) and built_in.workdays
    guessed = calendar_admin.schedule(engine, session, 2027)          # no one knows 2027: the rule-based guess
    assert not guessed.entered and date(2027, 1, 1) in guessed.holidays and guessed.workdays == []

    with time_machine.travel(at("2026-11-02T09:00"), tick=False):
        admin = people.user_by_name(session, "alice")
        calendar_admin.save(engine, session, admin, 2027, HOLIDAYS, WORKDAYS, "国办发明电〔2026〕X号")
    entered = calendar_admin.schedule(engine, session, 2027)
    assert (entered.entered, entered.holidays, entered.workdays) == (True, HOLIDAYS, WORKDAYS)
    assert (entered.note, entered.entered_by, entered.entered_at) == ("国办发明电〔2026〕X号", "alice",
                                                                     at("2026-11-02T09:00"))


def test_typed_lists_become_days_ranges_included(engine):
    year, holidays, workdays = calendar_admin.proposal(
        " 2027 ", "2027-02-06~2027-02-08\n2027-01-01，2027-01-01、2027-10-01 至 2027-10-02", "2027-02-20; 2027-01-09")
    assert year == 2027
    assert holidays == [date(2027, 1, 1), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8), date(2027, 10, 1),
                        date(2027, 10, 2)]
    assert workdays == [date(2027, 1, 9), date(2027, 2, 20)]


@pytest.mark.parametrize(("year", "holidays", "workdays", "field", "message"), [
    ("2027", "2027-01-01, 2027-13-01", "", "holidays",
     "第 2 项「2027-13-01」不是日期（YYYY-MM-DD）或日期区间（YYYY-MM-DD~YYYY-MM-DD）"),
    ("2027", "2027-02-08~2027-02-06", "", "holidays", "第 1 项「2027-02-08~2027-02-06」：区间的结束日早于开始日，或超过一年"),
    ("2027", "2028-01-01", "", "holidays", "2028-01-01 不在 2027 年"),
    ("2027", "2027-01-09", "2027-01-09", "workdays", "2027-01-09 同时是节假日和调休工作日"),
    ("2027", "", "2027-01-08", "workdays", "2027-01-08 是工作日（周一至周五），无需列为调休"),
    ("二〇二七", "", "", "year", "二〇二七 不是 2000 至 2100 之间的年份"),
])
def test_a_mistake_is_refused_naming_its_list_and_entry(year, holidays, workdays, field, message):
    with pytest.raises(DataValidationError) as refused:
        calendar_admin.proposal(year, holidays, workdays)
    assert [(e.field, zh(e)) for e in refused.value.errors] == [(field, message)]


def test_the_preview_shows_my_subtrees_moves_changes_nothing_and_the_save_makes_them(engine, session, two_cases):
    mine, theirs = two_cases
    admin = people.user_by_name(session, "admin_a")
    provisional = (at("2027-01-13T00:00"), True)      # weekdays minus New Year: 12-29 … 01-12
    official = (at("2027-01-14T00:00"), False)        # 01-04, 05 off, Saturday 01-09 worked
    with time_machine.travel(at("2026-12-30T10:00"), tick=False):
        shown = calendar_admin.preview(engine, session.get_bind(), admin, 2027, HOLIDAYS, WORKDAYS)
        assert [(m.case_id, m.task, m.before, m.after, m.provisional) for m in shown.moves] == [
            (mine, "按表达式计时", *provisional[:1], *official), (mine, "按定时器计时", *provisional[:1], *official)]
        assert (shown.moves[0].org, shown.elsewhere, shown.cases) == ("A区司法局", 2, 2)
        # Nothing was saved: the deadlines, the calendar and the years entered are as before.
        assert dues(session, mine) == {"按表达式计时": provisional, "按定时器计时": provisional}
        assert not engine.calendar.known(2027) and session.get(CalendarYear, 2027) is None

        assert calendar_admin.save(engine, session, admin, 2027, HOLIDAYS, WORKDAYS, "通知") == 2
    assert dues(session, mine) == {"按表达式计时": official, "按定时器计时": official}
    assert dues(session, theirs) == {"按表达式计时": official, "按定时器计时": official}
    assert engine.calendar.known(2027)
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.calendar_entered"))
    assert event.actor == "admin_a" and event.case_id is None and event.detail == {
        "year": 2027, "before": {"entered": False, "note": "", "holidays": [], "workdays": []},
        "after": {"entered": True, "note": "通知", "holidays": ["2027-01-01", "2027-01-04", "2027-01-05"],
                  "workdays": ["2027-01-09"]}}


def test_saving_again_audits_the_schedule_it_replaces(engine, session, two_cases):
    admin = people.user_by_name(session, "admin_a")
    with time_machine.travel(at("2026-12-30T10:00"), tick=False):
        calendar_admin.save(engine, session, admin, 2027, HOLIDAYS, WORKDAYS, "第一次")
        shown = calendar_admin.preview(engine, session.get_bind(), admin, 2027, HOLIDAYS[:1], [])
        assert [m.after for m in shown.moves] == [at("2027-01-13T00:00")] * 2 and not shown.moves[0].provisional
        calendar_admin.save(engine, session, admin, 2027, HOLIDAYS[:1], [], "更正")
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.calendar_entered")
                                  .order_by(AuditEvent.id)))
    assert events[1].detail["before"] == {"entered": True, "note": "第一次",
                                          "holidays": ["2027-01-01", "2027-01-04", "2027-01-05"],
                                          "workdays": ["2027-01-09"]}
    assert events[1].detail["after"]["holidays"] == ["2027-01-01"] and events[1].detail["after"]["workdays"] == []
