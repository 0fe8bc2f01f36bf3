"""Cases with deadlines that reach into 2027, a year no built-in schedule knows, for the calendar page's tests."""
from __future__ import annotations

from datetime import datetime

import time_machine

from engine.definitions import bundles
from engine.runtime import cases
from engine.time import CHINA_TZ
from web.database import session as db_session
from web.workflow import engine as web_engine

from . import diagrams
from .conftest import bundle_with

STARTED = "2026-12-28T10:00"
PROVISIONAL_DAY = "2027-01-12"      # 10 weekdays after 12-28 but New Year's Day
HOLIDAYS = "2027-01-01\n2027-01-04\n2027-01-05"      # a hypothetical notice
WORKDAYS = "2027-01-09"
OFFICIAL_DAY = "2027-01-13"         # 12-29, 30, 31, 01-06, 07, 08, 09 (Saturday worked), 11, 12, 13


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def deadline_cases(app, orgs=("county-a", "county-b")) -> list[int]:
    """One case per organisation with two tasks due 10 working days after 2026-12-28 (provisionally)."""
    with app.app_context(), time_machine.travel(at(STARTED), tick=False):
        db, eng = db_session(), web_engine()
        bundles.deploy(db, bundle_with({"processes/test/deadlines.bpmn": diagrams.deadlines()}), engine=eng)
        return [cases.start_case(eng, db, "deadlines", {}, org_code=org, actor="zhang").id for org in orgs]


def due_days(app, case_id: int) -> dict[str, str]:
    """The last day of each ready task's deadline, as YYYY-MM-DD."""
    from web.deadlines import deadline_date

    with app.app_context():
        return {t.name: deadline_date(t.due_at) for t in cases.case_tasks(db_session(), case_id, "ready")}
