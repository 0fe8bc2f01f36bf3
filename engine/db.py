"""Database connections: one SQLAlchemy engine per URL, tuned per dialect."""
from __future__ import annotations

import contextvars
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
_begin_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)


def connect(url: str, **kwargs) -> SqlEngine:
    """Create a SQLAlchemy engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin_immediate).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin_immediate(conn) -> None:
    # Reads begin deferred; a write transaction (begin_write) takes the lock up front, so writers
    # queue on it instead of failing later on a stale snapshot.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def begin_write(session: Session) -> None:
    """Start the transaction of one mutation: on SQLite, end any read snapshot and take the write lock now."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            return
        session.commit()
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)


def session_factory(engine: SqlEngine) -> sessionmaker:
    """A session factory bound to the engine; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(url: str) -> None:
    """Bring the database schema to the newest Alembic revision."""
    command.upgrade(alembic_config(url), "head")


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the engine's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
