"""Binds the workflow engine to the app."""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import inspect

from engine.calendar_store import load_calendar
from engine.runtime import Engine


def init_app(app: Flask) -> None:
    """Build the engine once from the app's config, with the holiday schedules entered so far."""
    engine = Engine(step_budget=int(app.config["STEP_BUDGET"]), live_cache_size=int(app.config["LIVE_CACHE_SIZE"]))
    app.extensions["lawflow.engine"] = engine
    if inspect(app.extensions["lawflow.sql"]).has_table("calendar_year"):   # absent before `lawflow init-db`
        with app.extensions["lawflow.sessions"]() as session:
            load_calendar(engine, session)


def engine() -> Engine:
    """The app's engine."""
    return current_app.extensions["lawflow.engine"]
