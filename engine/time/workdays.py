"""Working-day calendar (工作日): mainland China's statutory holidays and make-up working days (调休).

Known years come from the `chinesecalendar` package plus overrides entered by an administrator. For a
year neither knows, days fall back to weekdays minus the rule-based holiday dates of `holidays.China`,
and every deadline that touches such a year is *provisional* until the official schedule is entered.

Deadlines are end-of-day moments: "N working days after" a moment ends at local midnight after the Nth
working day; a moment at exactly local midnight belongs to the day that just ended.
"""
from __future__ import annotations

import calendar as month_lengths
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import chinese_calendar
import holidays as holiday_rules

from ..core.messages import Msg

CHINA_TZ = timezone(timedelta(hours=8), "CST")
PACKAGE_YEARS = range(2004, 2027)       # what chinesecalendar 1.11 knows
_MAX_SCAN = 3660                        # no deadline searches further than ten years


@dataclass
class YearSchedule:
    """An administrator's official schedule for one year: holidays and make-up working days."""

    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)


def as_moment(value) -> datetime:
    """A timezone-aware datetime from a datetime, a date or an ISO string (naive means China time)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(), CHINA_TZ)
    if not isinstance(value, datetime):
        raise TypeError(Msg("time.not_a_moment", value=repr(value)))
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)


def day_of(moment: datetime) -> date:
    """The local day a moment belongs to; an end-of-day moment (local midnight) belongs to the day before."""
    local = as_moment(moment).astimezone(CHINA_TZ)
    if local.time() == time():
        return local.date() - timedelta(days=1)
    return local.date()


def end_of(day: date) -> datetime:
    """The end-of-day moment of a local day (the next local midnight)."""
    return datetime.combine(day + timedelta(days=1), time(), CHINA_TZ)


def _local_day(day) -> date:
    """The local day of an ISO date (that day) or of a moment."""
    if isinstance(day, str) and len(day) == 10:
        return date.fromisoformat(day)
    return day_of(day)


def add_months(day: date, n: int) -> date:
    """The day `n` calendar months after `day`: the same day of that month, or its last day when it has none."""
    months = day.year * 12 + day.month - 1 + n
    year, month = divmod(months, 12)
    return date(year, month + 1, min(day.day, month_lengths.monthrange(year, month + 1)[1]))


class WorkCalendar:
    """Answers whether a day is a working day, and computes deadlines in working or calendar days."""

    def __init__(self, overrides: dict[int, YearSchedule] | None = None):
        self._overrides = dict(overrides or {})
        self._fallback: dict[int, set[date]] = {}
        self._days: dict[date, bool] = {}

    @property
    def overrides(self) -> dict[int, YearSchedule]:
        """Entered schedules by year (read-only view; assign a new dict to change them)."""
        return self._overrides

    @overrides.setter
    def overrides(self, value: dict[int, YearSchedule]) -> None:
        self._overrides = dict(value)
        self._days.clear()

    def known(self, year: int) -> bool:
        """Whether the year's official schedule is known (package or override)."""
        return year in self.overrides or year in PACKAGE_YEARS

    def missing_years(self, start, end) -> list[int]:
        """Years between two moments whose schedule is not known yet."""
        first, last = sorted((day_of(start).year, day_of(end).year))
        return [y for y in range(first, last + 1) if not self.known(y)]

    def provisional(self, start, end) -> bool:
        """Whether a deadline from `start` to `end` rests on a year without an official schedule."""
        return bool(self.missing_years(start, end))

    def is_working_day(self, day: date) -> bool:
        """Whether people work on this day (调休 make-up days included, holidays excluded)."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> bool:
        schedule = self._overrides.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            if day in schedule.holidays:
                return False
            return day.weekday() < 5
        if day.year in PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        if day.year not in self._fallback:
            self._fallback[day.year] = set(holiday_rules.China(years=day.year))
        return day.weekday() < 5 and day not in self._fallback[day.year]

    def add_working_days(self, moment, n: int) -> datetime:
        """End of the working day `n` working days after (or, if negative, before) the moment's day."""
        day, step, left = day_of(moment), (1 if n >= 0 else -1), abs(n)
        if left == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return end_of(day)
        for _ in range(_MAX_SCAN):
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
                if left == 0:
                    return end_of(day)
        raise ValueError(Msg("time.too_many_days", count=n))

    def add_days(self, moment, n: int, *, extend_over_holidays: bool = True) -> datetime:
        """End of the day `n` calendar days after the moment's day; a last day that is a holiday or
        rest day moves to the next working day (期间届满日为节假日的，顺延至节假日后的第一日)."""
        return self._last_day(day_of(moment) + timedelta(days=n), extend_over_holidays)

    def add_months(self, moment, n: int, *, extend_over_holidays: bool = True) -> datetime:
        """End of the day `n` months after (or, if negative, before) the moment's day, read as the civil law reads
        a period of months or years (期间以月、年计算的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间
        的最后一日): 01-31 plus one month ends on the last day of February. A last day on a rest day rolls to the next
        working day as `add_days` does."""
        return self._last_day(add_months(day_of(moment), n), extend_over_holidays)

    def _last_day(self, day: date, extend_over_holidays: bool) -> datetime:
        """End of a period's last day; one on a rest day rolls to the next working day when the period says so."""
        if extend_over_holidays:
            for _ in range(_MAX_SCAN):
                if self.is_working_day(day):
                    break
                day += timedelta(days=1)
        return end_of(day)

    def working_days_between(self, start, end) -> int:
        """Working days after the start's day up to and including the end's day (negative if reversed)."""
        first, last = day_of(start), day_of(end)
        if last < first:
            return -self._count(last, first)
        return self._count(first, last)

    def working_days_left(self, deadline, now) -> int:
        """Working days from today (counted if it is one) to the deadline's day; negative when overdue."""
        if as_moment(now) >= as_moment(deadline):
            return -self.working_days_between(deadline, now)
        return self._count(day_of(now) - timedelta(days=1), day_of(deadline))

    def _count(self, after: date, until: date) -> int:
        if (until - after).days > _MAX_SCAN:
            raise ValueError(Msg("time.range_too_long", start=after.isoformat(), end=until.isoformat(),
                                 limit=_MAX_SCAN))
        count, day = 0, after
        while day < until:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def diagram_helpers(calendar: WorkCalendar, clock) -> dict:
    """The time helpers diagrams may call; moments go in and come out as ISO strings."""
    def iso(moment: datetime) -> str:
        return moment.astimezone(CHINA_TZ).isoformat()

    def day_moment(day) -> str:
        """A moment of the local day `day` (an ISO date or moment), never after now: where a limit counted from a
        date a form records (收到之日) starts. A bare date is that day (not the midnight ending the day before)."""
        now = clock()
        if isinstance(day, str) and len(day) == 10:
            moment = datetime.combine(date.fromisoformat(day), time(12), CHINA_TZ)
        else:
            moment = as_moment(day)
        return iso(min(moment, now))

    def clock_remaining(deadline, unit: str = "working") -> int:
        """中止: what is left of a limit now, in whole days after today (working, or calendar for both
        `calendar` and `days`)."""
        if unit == "working":
            return calendar.working_days_between(clock(), deadline)
        if unit in ("calendar", "days"):
            return (day_of(deadline) - day_of(clock())).days
        raise ValueError(Msg("time.bad_unit", unit=repr(unit)))

    def clock_resume(remaining: int, unit: str = "working", since=None) -> str:
        """恢复: the new deadline, giving back exactly what was left at suspension, counted from today or from the
        day `since` (e.g. the day the supplement was received; bounded by today). `working` counts working days,
        `days` calendar days with a last day on a rest day rolled to the next working day (as `add_days`),
        `calendar` calendar days without rolling (as `add_calendar_days`): use the rule the limit itself uses."""
        start = day_moment(since) if since else clock()
        if unit == "working":
            return iso(calendar.add_working_days(start, int(remaining)))
        if unit in ("calendar", "days"):
            return iso(calendar.add_days(start, int(remaining), extend_over_holidays=unit == "days"))
        raise ValueError(Msg("time.bad_unit", unit=repr(unit)))

    return {
        "now": lambda: iso(clock()),
        "clock_remaining": clock_remaining,
        "clock_resume": clock_resume,
        "day_moment": day_moment,
        "add_days": lambda moment, n: iso(calendar.add_days(moment, int(n))),
        "add_calendar_days": lambda moment, n: iso(calendar.add_days(moment, int(n), extend_over_holidays=False)),
        "add_working_days": lambda moment, n: iso(calendar.add_working_days(moment, int(n))),
        "add_hours": lambda moment, n: iso(as_moment(moment) + timedelta(hours=float(n))),
        "months_after": lambda day, n: add_months(_local_day(day), int(n)).isoformat(),
        "working_days_between": lambda start, end: calendar.working_days_between(start, end),
        "working_days_left": lambda deadline: calendar.working_days_left(deadline, clock()),
        "days_left": lambda deadline: (day_of(deadline) - day_of(clock())).days,
        "days_between": lambda start, end: (day_of(end) - day_of(start)).days,
        "is_working_day": lambda moment: calendar.is_working_day(day_of(as_moment(moment) + timedelta(microseconds=1))),
    }
