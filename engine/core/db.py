"""Database connections: one SQLAlchemy engine per URL, tuned per dialect."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
import json
import time
from pathlib import Path

import orjson

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from . import sqlite_checkpoints

MIGRATIONS = Path(__file__).parent / "migrations"
_begin_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)
ROLLED_BACK = "lawflow.rolled_back"     # session.info key of a session whose work is all undone (rolled_back_session)


def json_text(value) -> str:
    """The text of a JSON column: Chinese as it is, not as \\u escapes, so that a keyword search (LIKE on the
    column's text) finds it; written by orjson, and by the json module where orjson refuses (huge integers)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False)


# orjson reads an integer past 64 bits as a float, silently (2**80 + 1 comes back as 2**80); such integers are
# written by the json module (`json_text`, the state codec), as a run of 19 digits or more, which floats never
# are (their text has at most 17 digits in a row). A text holding such a run is read by the json module.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


def long_digit_run(raw: bytes) -> bool:
    """Whether a JSON text holds 19 digits in a row, as an integer past 64 bits is written (a byte translation and
    a search: several times quicker than a regular expression over the text)."""
    return raw.translate(_DIGITS_AS_ZERO).find(_LONG_DIGITS) >= 0


def json_value(text: str | bytes):
    """A JSON text's value, read by orjson (the json module took a tenth of a task completion's submission check
    reading the task row); a text that may hold an integer past 64 bits, and what orjson refuses (NaN, lone
    surrogates), the json module reads."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if not long_digit_run(raw):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def connect(url: str, **kwargs) -> SqlEngine:
    """Create a SQLAlchemy engine; SQLite gets WAL, foreign keys and a busy timeout."""
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", json_value)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLAlchemy's recipe for this listens for `begin`; but any engine event sends every statement down its
        # event-dispatching path, which doubles the cost of a small one. The dialect's begin hook does the same.
        engine.dialect.do_begin = _sqlite_begin
        sqlite_checkpoints.watch(engine, engine.url.database)
        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine.pool, "checkin", _note_idle)
    event.listen(engine.pool, "checkout", _ping_if_idle(engine.dialect))
    return engine


# A pooled connection is tested before use only if it sat idle this long. Testing every checkout (pool_pre_ping)
# costs a round trip per request; a connection handed back a moment ago is alive unless the server restarted in
# that moment, and then the failing statement invalidates the whole pool anyway.
IDLE_BEFORE_PING = 1.0


def _note_idle(_dbapi_connection, record) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect):
    def checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection did not answer")
    return checkout


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Checkpoints are the thread's (sqlite_checkpoints.py); a writer runs one itself only this far behind.
    cur.execute(f"PRAGMA wal_autocheckpoint={sqlite_checkpoints.BACKSTOP_PAGES}")
    cur.close()


def _sqlite_begin(dbapi_connection) -> None:
    # Reads begin deferred; a write transaction (begin_write) takes the lock up front, so writers
    # queue on it instead of failing later on a stale snapshot.
    _run(dbapi_connection, "BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def _run(dbapi_connection, *statements: str) -> None:
    """Run plain statements on the driver's connection, outside SQLAlchemy's per-statement machinery."""
    cursor = dbapi_connection.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()


def begin_write(session: Session) -> None:
    """Start the transaction of one mutation: on SQLite, end any read snapshot and take the write lock now."""
    if session.get_bind().dialect.name != "sqlite" or session.info.get(ROLLED_BACK):
        return      # a rolled-back session's outer transaction took the write lock when it began
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            return
        if not session.in_nested_transaction():
            # Swap the read snapshot for a write transaction on the same connection: the session's
            # transaction goes on, and ending it and checking a connection out again costs more than the step.
            _run(session.connection().connection, "COMMIT", "BEGIN IMMEDIATE")
            return
        session.commit()
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)


def changed_values(obj, names) -> dict:
    """Those of the named attributes of a mapped object that were given a new value since it was loaded."""
    loaded = inspect(obj).committed_state        # the value at load, for each attribute assigned since
    values = {name: getattr(obj, name) for name in names if name in loaded}
    return {name: value for name, value in values.items() if loaded[name] != value}


def mark_written(session: Session, obj, names: frozenset[str]) -> None:
    """Tell the session that the current values of these attributes of `obj` are in the database."""
    state = inspect(obj)
    pending = state.committed_state.keys()
    if pending <= names:
        # Nothing else is pending: mark the object clean, or the next flush diffs every attribute only to
        # find nothing to write. SQLAlchemy has no public call for this; it is what a flush ends with.
        state._commit_all(state.dict, session.identity_map)
        return
    for name in names & pending:
        set_committed_value(obj, name, getattr(obj, name))


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


@contextmanager
def rolled_back_session(sql_engine: SqlEngine):
    """A session on one connection whose transaction is rolled back at the end, whatever happened: its commits only
    release savepoints and its rollbacks return to the last one, so code that commits runs unchanged and leaves no
    trace (a try-run of a draft). On SQLite the write lock is taken when it begins, as begin_write would."""
    token = _begin_immediate.set(True)
    try:
        connection = sql_engine.connect()
        outer = connection.begin()
    finally:
        _begin_immediate.reset(token)
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    session.info[ROLLED_BACK] = True
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
