"""Binds the database to the app: one session per request, closed at teardown."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.core import connect, session_factory


def init_app(app: Flask) -> None:
    """Create the SQLAlchemy engine and session factory for the app (and the SQLite file's folder)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = connect(url)
    app.extensions["lawflow.sql"] = engine
    app.extensions["lawflow.sessions"] = session_factory(engine)
    app.teardown_appcontext(_close)


def session() -> Session:
    """The current request's database session."""
    if "db" not in g:
        g.db = current_app.extensions["lawflow.sessions"]()
    return g.db


def rollback() -> None:
    """Undo the request's open transaction, if it has a session: a refused change may have begun a write."""
    db = g.get("db")
    if db is not None:
        db.rollback()


def _close(_exc) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()
