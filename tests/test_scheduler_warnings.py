"""The scheduler says once a day, not at every sweep, which years the pending deadlines reach without an official
holiday schedule (on the demo: the named firms' two-year re-evaluation falls in a year not yet published)."""
from __future__ import annotations

import logging
from datetime import timedelta

import time_machine

from engine.time import missing_years
from web.database import session as db_session
from web.scheduler import sweep
from web.workflow import engine

from .conftest import DEMO_MOMENT


def warnings_said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "官方节假日安排" in r.getMessage()]


def test_the_missing_year_is_said_once_a_day(app, caplog, monkeypatch):
    monkeypatch.setattr("web.scheduler.render_pending", lambda session: 0)     # the demo's documents: slow, not this
    with app.app_context():
        missing = missing_years(engine(), db_session())
    assert missing                                            # the demo reaches a year with no schedule yet
    caplog.set_level(logging.WARNING, logger=app.logger.name)
    with time_machine.travel(DEMO_MOMENT, tick=False) as clock:
        for _ in range(3):
            sweep(app)
        assert len(warnings_said(caplog)) == 1 and str(missing[0]) in warnings_said(caplog)[0]
        clock.shift(timedelta(days=1))
        sweep(app)
        assert len(warnings_said(caplog)) == 2


def test_the_site_has_an_icon_where_browsers_look(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/login").get_data(as_text=True)



def test_a_sweep_works_off_a_backlog_beyond_one_batch(app, monkeypatch):
    seen = []

    def spy(engine, session, limit=500, **options):
        seen.append((limit, options))
        return 7
    monkeypatch.setattr("web.scheduler.fire_due_timers", spy)
    monkeypatch.setattr("web.scheduler.render_pending", lambda session: 0)     # the demo's documents: slow, not this
    with time_machine.travel(DEMO_MOMENT, tick=False):
        assert sweep(app) == 7
    # no limit of cases: batch after batch while they come back full, for up to one sweep interval
    assert seen == [(None, {"seconds": float(app.config["TIMER_SWEEP_SECONDS"])})]
