"""Binds the workflow engine to the app."""
from __future__ import annotations

from flask import Flask, current_app

from engine.runtime import Engine


def init_app(app: Flask) -> None:
    """Build the engine once from the app's config."""
    app.extensions["lawflow.engine"] = Engine(step_budget=int(app.config["STEP_BUDGET"]),
                                              live_cache_size=int(app.config["LIVE_CACHE_SIZE"]))


def engine() -> Engine:
    """The app's engine."""
    return current_app.extensions["lawflow.engine"]
