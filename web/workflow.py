"""Binds the workflow engine to the app."""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import inspect

from engine.runtime import Engine, lean
from engine.sandbox import Limits
from engine.time import load_calendar


def init_app(app: Flask) -> None:
    """Build the engine once from the app's config, with the holiday schedules entered so far."""
    engine = Engine(step_budget=int(app.config["STEP_BUDGET"]), live_cache_size=int(app.config["LIVE_CACHE_SIZE"]),
                    limits=limits(app.config), batch_starts=bool(app.config["BATCH_STARTS"]))
    app.extensions["lawflow.engine"] = engine
    lean.configure(app.extensions["lawflow.sql"], enabled=app.config["SQL_FAST_PATH"])
    if inspect(app.extensions["lawflow.sql"]).has_table("calendar_year"):   # absent before `lawflow init-db`
        with app.extensions["lawflow.sessions"]() as session:
            load_calendar(engine, session)


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
