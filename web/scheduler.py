"""APScheduler jobs: the timer sweep, in the app process (embedded) or its own process (production)."""
from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from engine.calendar_store import load_calendar
from engine.timers import fire_due_timers


def sweep(app: Flask) -> int:
    """Fire every due timer once; the database decides what is due."""
    with app.app_context():
        with app.extensions["lawflow.sessions"]() as session:
            load_calendar(app.extensions["lawflow.engine"], session)   # schedules entered by other processes
            return fire_due_timers(app.extensions["lawflow.engine"], session)


def _add_jobs(scheduler, app: Flask) -> None:
    scheduler.add_job(sweep, "interval", args=[app], seconds=int(app.config["TIMER_SWEEP_SECONDS"]),
                      id="timer-sweep", max_instances=1, coalesce=True)


def start_background(app: Flask) -> BackgroundScheduler:
    """Start the sweep inside the app process."""
    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
    return scheduler


def run_blocking(app: Flask) -> None:
    """Run the sweep in this process until stopped."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    scheduler.start()
