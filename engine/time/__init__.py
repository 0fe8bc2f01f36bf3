"""Working days and the holiday schedules administrators enter."""
from . import calendar_store, workdays
from .calendar_store import load_calendar, missing_years
from .workdays import CHINA_TZ, WorkCalendar, as_moment, day_of

__all__ = ["calendar_store", "workdays", "load_calendar", "missing_years", "CHINA_TZ", "WorkCalendar", "as_moment", "day_of"]
from .calendar_store import calendar_stamp     # several servers: reload a schedule another entered
__all__ += ["calendar_stamp"]
from .calendar_store import CALENDAR_STAMP      # the same, as a statement the web runs on its fast path
__all__ += ["CALENDAR_STAMP"]
