"""SpiffWorkflow decides whether a timer has fired, and when a duration timer ends, on `datetime.now()` of its
timer module. A run on a clock of its own (a try-run of a draft) sets that clock here for its own context, so the
timers it waits for fire on it; everywhere else the system clock is used as before."""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_CLOCK: contextvars.ContextVar[Callable[[], datetime] | None] = contextvars.ContextVar("timer_clock", default=None)


class _ClockedDatetime(datetime):
    """`datetime` as SpiffWorkflow's timer module sees it: `now` on the clock of the current context, if one is set."""

    @classmethod
    def now(cls, tz=None):
        clock = _CLOCK.get()
        if clock is None:
            return datetime.now(tz)
        moment = clock()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


_spiff_timer.datetime = _ClockedDatetime


@contextmanager
def using(clock: Callable[[], datetime]) -> Iterator[None]:
    """Timers fire on `clock` for the code run inside (this thread or task only)."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)
