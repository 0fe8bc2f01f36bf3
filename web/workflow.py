"""Binds the workflow engine to the app."""
from __future__ import annotations

from flask import Flask, current_app, request
from sqlalchemy import inspect

from engine.runtime import Engine, lean
from engine.sandbox import Limits
from engine.time import CALENDAR_STAMP, load_calendar

from .database import session as db_session


def init_app(app: Flask) -> None:
    """Build the engine once from the app's config, with the holiday schedules entered so far."""
    engine = Engine(step_budget=int(app.config["STEP_BUDGET"]), live_cache_size=int(app.config["LIVE_CACHE_SIZE"]),
                    limits=limits(app.config), batch_starts=bool(app.config["BATCH_STARTS"]))
    app.extensions["lawflow.engine"] = engine
    lean.configure(app.extensions["lawflow.sql"], enabled=app.config["SQL_FAST_PATH"])
    if inspect(app.extensions["lawflow.sql"]).has_table("calendar_year"):   # absent before `lawflow init-db`
        with app.extensions["lawflow.sessions"]() as session:
            _load_calendar(app, session)
        app.before_request(_fresh_calendar)


def limits(config) -> Limits:
    """The diagram-code budgets from the app's settings."""
    return Limits(cpu_seconds=float(config["SANDBOX_CPU_SECONDS"]),
                  run_cpu_seconds=float(config["SANDBOX_RUN_CPU_SECONDS"]),
                  memory_bytes=int(config["SANDBOX_MEMORY_MB"]) << 20, max_items=int(config["SANDBOX_MAX_ITEMS"]),
                  max_int_bits=int(config["SANDBOX_MAX_INT_BITS"]), max_instances=int(config["SANDBOX_MAX_INSTANCES"]),
                  max_case_bytes=int(config["CASE_DATA_MAX_MB"]) << 20)


def engine() -> Engine:
    """The app's engine."""
    return current_app.extensions["lawflow.engine"]


def _load_calendar(app: Flask, session) -> None:
    """Load the entered holiday schedules into the engine, noting the stamp of what was loaded."""
    app.extensions["lawflow.calendar_stamp"] = calendar_stamp(session.connection())
    load_calendar(app.extensions["lawflow.engine"], session)
    session.rollback()


def calendar_stamp(connection) -> tuple:
    """The stamp of the holiday schedules entered so far (engine.time's CALENDAR_STAMP) on the SQL fast path."""
    return tuple(lean.fetch_first(connection, CALENDAR_STAMP, {}))


def _fresh_calendar() -> None:
    """Before a request that may change a case: if any process (another server, the admin page of another worker)
    entered a holiday schedule since this one loaded its calendar, load it again, so every server computes the
    same deadlines. Reading pages needs no check: deadlines are computed by steps, and stored."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    app = current_app._get_current_object()
    # Read in the request's own transaction, which the request goes on to use: a connection of its own would cost
    # a pool checkout and a rollback, a round trip to the database on every change (issue 23).
    stamp = calendar_stamp(db_session().connection())
    if stamp != app.extensions.get("lawflow.calendar_stamp"):
        with app.extensions["lawflow.sessions"]() as session:
            _load_calendar(app, session)
