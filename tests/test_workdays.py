"""The working-day calendar against mainland China's published schedules (no database)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from engine.time.workdays import CHINA_TZ, WorkCalendar, YearSchedule, diagram_helpers


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def end_of_day(text: str) -> datetime:
    """The end-of-day moment of a date (next local midnight)."""
    return datetime.combine(date.fromisoformat(text) + timedelta(days=1), time(), CHINA_TZ)


@pytest.fixture
def cal():
    return WorkCalendar()


@pytest.mark.parametrize("day, working", [
    ("2025-01-26", True), ("2025-02-08", True), ("2025-09-28", True), ("2025-10-11", True),   # 调休 make-up days
    ("2025-10-01", False), ("2025-10-05", False), ("2025-10-08", False), ("2025-01-28", False),  # holidays
    ("2025-02-04", False), ("2025-10-09", True), ("2025-10-12", False),
    ("2026-01-04", True), ("2026-02-14", True), ("2026-02-28", True), ("2026-05-09", True),
    ("2026-09-20", True), ("2026-10-10", True), ("2026-02-16", False),
])
def test_known_days(cal, day, working):
    assert cal.is_working_day(date.fromisoformat(day)) is working


def test_working_days_across_the_spring_festival(cal):
    # Fri 2025-01-24 + 3 working days: Sun 01-26 (调休), Mon 01-27, then the holiday to 02-04, then Wed 02-05.
    assert cal.add_working_days(at("2025-01-24T10:00"), 3) == end_of_day("2025-02-05")


def test_deadline_starting_on_a_holiday(cal):
    # From 2025-10-03 (holiday): 10-09, 10, 11 (Sat 调休), 13, 14, 15, 16, 17, 20, 21.
    assert cal.add_working_days(at("2025-10-03T15:00"), 10) == end_of_day("2025-10-21")


def test_calendar_days_roll_over_a_holiday_last_day(cal):
    assert cal.add_days(at("2025-09-25T09:00"), 7) == end_of_day("2025-10-09")
    assert cal.add_days(at("2025-09-25T09:00"), 7, extend_over_holidays=False) == end_of_day("2025-10-02")
    assert cal.add_days(at("2025-03-03T09:00"), 60) == end_of_day("2025-05-06")   # 05-02 holiday … 05-05


def test_counting_and_remaining_working_days(cal):
    assert cal.working_days_between(at("2025-09-30T10:00"), at("2025-10-11T10:00")) == 3   # 10-09, 10-10, 10-11
    deadline = cal.add_working_days(at("2025-10-09T09:00"), 5)       # 10-10, 11, 13, 14, 15
    assert deadline == end_of_day("2025-10-15")
    assert cal.working_days_left(deadline, at("2025-10-13T08:00")) == 3     # today counts
    assert cal.working_days_left(deadline, at("2025-10-17T08:00")) == -2    # 10-16, 10-17 overdue
    assert cal.add_working_days(deadline, -2) == end_of_day("2025-10-13")   # a reminder two working days ahead


def test_unknown_year_is_provisional_with_rule_based_holidays(cal):
    start = at("2026-12-20T09:00")
    due = cal.add_working_days(start, 40)
    assert cal.provisional(start, due) and cal.missing_years(start, due) == [2027]
    assert not cal.is_working_day(date(2027, 2, 8))      # Spring Festival 2027 by rule
    assert cal.is_working_day(date(2027, 2, 11))
    assert not cal.provisional(at("2026-01-05T09:00"), cal.add_working_days(at("2026-01-05T09:00"), 10))


def test_entered_schedule_makes_a_year_official(cal):
    assert cal.is_working_day(date(2027, 2, 13)) is False          # a Saturday, before the schedule is known
    cal.overrides = {2027: YearSchedule(holidays={date(2027, 2, d) for d in range(5, 12)},
                                        workdays={date(2027, 2, 13)})}
    assert cal.known(2027) and not cal.provisional(at("2026-12-20T09:00"), at("2027-03-01T00:00"))
    assert cal.is_working_day(date(2027, 2, 13)) and not cal.is_working_day(date(2027, 2, 11))


def test_diagram_helpers_take_and_give_iso_strings(cal):
    helpers = diagram_helpers(cal, lambda: at("2025-10-13T08:00"))
    with time_machine.travel(at("2025-10-13T08:00"), tick=False):
        assert helpers["now"]() == "2025-10-13T08:00:00+08:00"
    assert helpers["add_working_days"]("2025-10-09T09:00:00+08:00", 5) == "2025-10-16T00:00:00+08:00"
    assert helpers["working_days_left"]("2025-10-16T00:00:00+08:00") == 3
    assert helpers["add_hours"]("2025-10-13T08:00:00+08:00", 24) == "2025-10-14T08:00:00+08:00"
    assert helpers["days_left"]("2025-10-20T00:00:00+08:00") == 6


def test_suspension_pauses_and_resumption_restores_the_clock(cal):
    """A 60-day limit suspended for 20 days ends 20 days later: the diagram pattern, through the helpers."""
    clock = {"now": at("2025-03-03T09:00")}
    helpers = diagram_helpers(cal, lambda: clock["now"])
    deadline = helpers["add_calendar_days"](helpers["now"](), 60)            # 受理 → 60 日
    clock["now"] = at("2025-03-13T09:00")
    remaining = helpers["days_left"](deadline)                                # 中止: record what is left
    clock["now"] = at("2025-04-02T09:00")
    resumed = helpers["add_calendar_days"](helpers["now"](), remaining)       # 恢复: 20 days later
    assert datetime.fromisoformat(resumed) - datetime.fromisoformat(deadline) == timedelta(days=20)
    extended = helpers["add_days"](resumed, 30)                               # 延期 +30 日
    assert extended == "2025-06-24T00:00:00+08:00"      # 05-22 + 30 = Sat 06-21: rolls to the end of Mon 06-23


def test_working_day_suspension_gives_back_exactly_what_was_left(cal):
    clock = {"now": at("2025-10-09T09:00")}                                  # Thursday
    helpers = diagram_helpers(cal, lambda: clock["now"])
    deadline = helpers["add_working_days"](helpers["now"](), 5)             # 10-10, 11 (调休), 13, 14, 15
    assert deadline == "2025-10-16T00:00:00+08:00"
    clock["now"] = at("2025-10-13T10:00")                                    # suspended on Monday
    left = helpers["clock_remaining"](deadline)                              # 14, 15
    left_days = helpers["clock_remaining"](deadline, "calendar")             # 14, 15
    assert (left, left_days) == (2, 2)
    clock["now"] = at("2025-10-20T10:00")                                    # resumed the next Monday
    assert helpers["clock_resume"](left) == "2025-10-23T00:00:00+08:00"       # 21, 22 → end of Wednesday
    assert helpers["clock_resume"](left_days, "calendar") == "2025-10-23T00:00:00+08:00"
    with pytest.raises(ValueError):
        helpers["clock_remaining"](deadline, "weeks")


def test_clock_resume_follows_the_rule_of_the_limit(cal):
    """`days` rolls a last day on a rest day over as add_days does; `calendar` does not, as add_calendar_days."""
    clock = {"now": at("2025-09-22T09:00")}                                  # Monday
    helpers = diagram_helpers(cal, lambda: clock["now"])
    deadline = helpers["add_days"](helpers["now"](), 10)                     # Thu 10-02, in the holiday: rolls to 10-09
    assert deadline == "2025-10-10T00:00:00+08:00"
    left = helpers["clock_remaining"](deadline, "days")
    assert left == helpers["clock_remaining"](deadline, "calendar") == 17
    clock["now"] = at("2025-09-20T09:00")                                    # a day whose 17th day after is Tue 10-07
    assert helpers["clock_resume"](left, "days") == helpers["add_days"](helpers["now"](), 17) == "2025-10-10T00:00:00+08:00"
    assert helpers["clock_resume"](left, "calendar") == helpers["add_calendar_days"](helpers["now"](), 17) == \
        "2025-10-08T00:00:00+08:00"


def test_clock_resume_from_a_recorded_day_bounded_by_today(cal):
    clock = {"now": at("2025-10-22T15:00")}                                  # recorded on Wednesday
    helpers = diagram_helpers(cal, lambda: clock["now"])
    assert helpers["clock_resume"](8, "working", "2025-10-20") == "2025-10-31T00:00:00+08:00"   # 21 … 30
    assert helpers["clock_resume"](8, "working", "2025-10-30") == helpers["clock_resume"](8)     # not after today
    assert helpers["day_moment"]("2025-10-20") == "2025-10-20T12:00:00+08:00"
    assert helpers["day_moment"]("2025-10-22") == "2025-10-22T12:00:00+08:00"
    assert helpers["day_moment"]("2025-10-24") == helpers["now"]()
    assert helpers["add_working_days"](helpers["day_moment"]("2025-10-13"), 10) == "2025-10-28T00:00:00+08:00"


def test_months_after_counts_a_period_of_months_as_the_civil_law_does(cal):
    """The corresponding day of the last month, or its last day when it has none (期间以月计算); a period's end is
    never rolled over a rest day, and a day in the future is counted as it is (not bounded by today)."""
    months_after = diagram_helpers(cal, lambda: at("2025-10-13T08:00"))["months_after"]
    assert months_after("2025-12-30", 1) == "2026-01-30"
    assert months_after("2026-03-31", 3) == "2026-06-30"
    assert months_after("2024-01-31", 1) == "2024-02-29" and months_after("2023-01-31", 1) == "2023-02-28"
    assert months_after("2026-01-03", 1) == "2026-02-03"                         # a Tuesday; 01-03 a Saturday
    assert months_after("2025-11-12T10:00:00+08:00", 12) == "2026-11-12"
