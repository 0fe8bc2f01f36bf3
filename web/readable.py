"""Values as people read them: moments in China time, yes/no, lists joined."""
from __future__ import annotations

from datetime import datetime, time

from flask_babel import gettext as _

from engine.time import CHINA_TZ

from .deadlines import deadline_date


def local_moment(moment) -> str:
    """A moment in China time, to the minute (empty for none)."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def field_value(value) -> str:
    """A case field's value for reading: yes/no, lists joined, moments in China time (a midnight one as the deadline
    it is: the day it ends)."""
    if value is True or value is False:
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(field_value(v) for v in value)
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(CHINA_TZ)
        if moment.time() == time():       # local midnight ends the day before: a deadline, read as one
            return deadline_date(moment.replace(tzinfo=CHINA_TZ))
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)
