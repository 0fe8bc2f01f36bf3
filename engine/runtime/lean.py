"""Running the step's hot statements on the driver's cursor, compiled once per statement, dialect and parameter names.

SQLAlchemy's execution path costs several times what the database spends on one of these small SELECTs,
UPDATEs and INSERTs, and a step runs five or six of them. The SQL, the order of its parameters, each value's
conversion (a moment to UTC, a dict to JSON …) and each result column's conversion back are exactly what
SQLAlchemy compiles for the dialect; only the per-call bookkeeping is skipped. A statement that needs more
(Python-side defaults, values read back after an executemany) goes through SQLAlchemy as usual.

It fails and is seen as SQLAlchemy's execution is: a driver error is raised as SQLAlchemy wraps it (an
`IntegrityError`, an `OperationalError` … with the statement and parameters; a lost connection is invalidated,
with its pool's older connections); `before_cursor_execute` and `after_cursor_execute` listeners see every
statement, and `echo` logs it to SQLAlchemy's engine logger. The context those listeners get is a
`FastPathContext`, not SQLAlchemy's execution context (building that is the cost this module avoids); it carries
the same main attributes and takes attributes a listener sets on it. `handle_error` listeners are not called.

`configure(sql_engine, enabled=False)` turns it off for a database: every statement then runs through
`connection.execute`, exactly as without this module.
"""
from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection, Engine as SqlEngine
from sqlalchemy.exc import DBAPIError

_plans: dict[tuple, "_Plan | None"] = {}
_lock = threading.Lock()
# The execution option that switches the fast path, set on a database's SQLAlchemy engine by `configure`.
ENABLED_OPTION = "lawflow_sql_fast_path"


def configure(sql_engine: SqlEngine, *, enabled: bool) -> None:
    """Run the hot statements on the driver's cursor (the default), or all through `connection.execute`, on the
    connections this database engine opens from now on (the web's SQL_FAST_PATH setting)."""
    sql_engine.update_execution_options(**{ENABLED_OPTION: bool(enabled)})


def enabled(connection: Connection) -> bool:
    """Whether statements on this connection take the fast path."""
    return connection.get_execution_options().get(ENABLED_OPTION, True)


class _Plan:
    """A statement compiled for one dialect and one set of parameter names, with its values' conversions."""

    def __init__(self, compiled, dialect, keys: tuple[str, ...]) -> None:
        self.compiled = compiled
        self.dialect = dialect
        self.text = compiled.string
        self.positional = bool(compiled.positional)
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self.names = tuple(compiled.positiontup) if self.positional else tuple(by_name)
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for name in self.names:
            processor = by_name[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        # Where each parameter's value comes from, as `construct_params` decides it for rows with these keys: the
        # row's value (by the bind's key, else its name) or the statement's own value. Statements whose values
        # are computed per call or given with `.params()`, or whose names are escaped, take `construct_params`.
        self.sources: list[tuple[str | None, Any, Callable | None]] | None = []
        if compiled.escaped_bind_names or getattr(compiled, "_collected_params", None) \
                or getattr(compiled, "_render_postcompile", False):
            self.sources = None
            return
        for name in self.names:
            bind = by_name[name]
            key = bind.key if bind.key in keys else name if name in keys else None
            if key is None and (bind.callable or bind.required):
                self.sources = None
                return
            self.sources.append((key, bind.value, self.processors.get(name)))

    def parameters(self, row: dict):
        """The driver's parameters for one row: in order for a positional paramstyle, by name otherwise."""
        if self.sources is None:
            values = self.compiled.construct_params(row)
            for name, processor in self.processors.items():
                values[name] = processor(values[name])
            ordered = tuple(values[name] for name in self.names)
        else:
            ordered = tuple((row[key] if key is not None else fixed) if process is None
                            else process(row[key] if key is not None else fixed)
                            for key, fixed, process in self.sources)
        return ordered if self.positional else dict(zip(self.names, ordered))


class _ReadPlan(_Plan):
    """A plan whose statement answers rows: they come back as named tuples, each column converted as SQLAlchemy
    converts it (the conversions are looked up once, from the first answer's column types)."""

    def __init__(self, compiled, dialect, keys: tuple[str, ...]) -> None:
        super().__init__(compiled, dialect, keys)
        columns = compiled._result_columns
        self.row = namedtuple("Row", [c.keyname for c in columns], rename=True)
        self.types = [c.type for c in columns]
        self.converters: list[tuple[int, Callable]] | None = None

    def rows(self, cursor) -> list:
        found = cursor.fetchall()
        if self.converters is None:
            processors = (t._cached_result_processor(self.dialect, d[1])
                          for t, d in zip(self.types, cursor.description))
            self.converters = [(i, p) for i, p in enumerate(processors) if p is not None]
        make, converters = self.row._make, self.converters
        if not converters:
            return [make(r) for r in found]
        out = []
        for values in found:
            values = list(values)
            for i, convert in converters:
                values[i] = convert(values[i])
            out.append(make(values))
        return out


def execute(connection: Connection, statement, params: dict | list[dict]) -> int:
    """Run `statement` with one parameter set or several (executemany); the number of rows it touched."""
    rows = params if isinstance(params, list) else [params]
    plan = _plan(connection, statement, tuple(rows[0]), False)
    if plan is None:
        return connection.execute(statement, params).rowcount
    many = len(rows) > 1
    parameters = _parameters(connection, plan, rows, many)
    cursor = _cursor(connection)
    _run(connection, cursor, plan, parameters, many)
    return cursor.rowcount


def fetch(connection: Connection, statement, params: dict) -> list:
    """Run a statement that answers rows (a SELECT, or one row's INSERT … RETURNING) with one parameter set;
    its rows as named tuples of converted values."""
    plan = _plan(connection, statement, tuple(params), True)
    if plan is None:
        result = connection.execute(statement, params)
        return [_tuple_of(result.keys())._make(row) for row in result]
    parameters = _parameters(connection, plan, [params], False)
    cursor = _cursor(connection)
    _run(connection, cursor, plan, parameters, False)
    try:
        return plan.rows(cursor)
    except BaseException as error:
        _fail(connection, error, plan.text, parameters, cursor, False)


def fetch_first(connection: Connection, statement, params: dict):
    """The first row `fetch` answers, or None."""
    rows = fetch(connection, statement, params)
    return rows[0] if rows else None


def _parameters(connection: Connection, plan: "_Plan", rows: list[dict], many: bool):
    """The driver's parameters for the rows; a value that cannot be converted fails as in SQLAlchemy (a
    StatementError naming the statement)."""
    try:
        if many:
            return [plan.parameters(row) for row in rows]
        return plan.parameters(rows[0])
    except BaseException as error:
        _fail(connection, error, plan.text, rows if many else rows[0], None, many)


def _run(connection: Connection, cursor, plan: "_Plan", parameters, many: bool) -> None:
    """Send the statement to the driver; with listeners or echo, as SQLAlchemy's execution would be seen."""
    # The same gates SQLAlchemy's Connection checks before each statement: one attribute each, so a statement
    # nobody watches costs no more than before.
    if connection._has_events or connection.engine._has_events or connection._echo:
        _run_watched(connection, cursor, plan, parameters, many)
        return
    try:
        if many:
            cursor.executemany(plan.text, parameters)
        else:
            cursor.execute(plan.text, parameters)
    except BaseException as error:
        _fail(connection, error, plan.text, parameters, cursor, many)


class FastPathContext:
    """What `before_cursor_execute` and `after_cursor_execute` listeners get as `context` for a fast-path
    statement: the main attributes of SQLAlchemy's execution context; a listener may set its own on it."""

    def __init__(self, connection: Connection, cursor, plan: "_Plan", parameters, many: bool) -> None:
        self.root_connection = self.connection = connection
        self.dialect = connection.dialect
        self.cursor = cursor
        self.compiled = plan.compiled
        self.invoked_statement = plan.compiled.statement
        self.statement = plan.text
        self.parameters = parameters if many else [parameters]
        self.executemany = many
        self.execution_options = connection.get_execution_options()
        self.isinsert, self.isupdate, self.isdelete = (bool(getattr(plan.compiled, name, False))
                                                       for name in ("isinsert", "isupdate", "isdelete"))


def _run_watched(connection: Connection, cursor, plan: "_Plan", parameters, many: bool) -> None:
    """`_run` with the events SQLAlchemy's execution dispatches and the lines its echo logs."""
    text, context = plan.text, FastPathContext(connection, cursor, plan, parameters, many)
    try:
        if connection._has_events or connection.engine._has_events:
            for listener in connection.dispatch.before_cursor_execute:
                # Listeners registered with retval=True may answer another statement or parameters.
                text, parameters = listener(connection, cursor, text, parameters, context, many)
        if connection._echo:
            _log(connection, text, parameters)
        if many:
            cursor.executemany(text, parameters)
        else:
            cursor.execute(text, parameters)
        if connection._has_events or connection.engine._has_events:
            connection.dispatch.after_cursor_execute(connection, cursor, text, parameters, context, many)
    except BaseException as error:
        _fail(connection, error, text, parameters, cursor, many)


def _log(connection: Connection, text: str, parameters) -> None:
    """The statement and its parameters on SQLAlchemy's engine logger, as its echo writes them."""
    logger = connection.engine.logger
    logger.info(text)
    if connection.engine.hide_parameters:
        logger.info("[fast path] [SQL parameters hidden due to hide_parameters=True]")
    else:
        logger.info("[fast path] %r", parameters)


def _fail(connection: Connection, error: BaseException, text: str, parameters, cursor, many: bool):
    """Raise a failed statement's error as SQLAlchemy's Connection raises it: a driver error becomes its
    DBAPIError subclass, another error a StatementError; a lost connection is invalidated with every older
    connection of its pool, so none is handed out again."""
    dialect = connection.dialect
    driver_error = dialect.loaded_dbapi.Error
    exiting = not isinstance(error, Exception)          # KeyboardInterrupt and the like: never wrapped
    gone = not connection.closed and not connection.invalidated and (exiting or (
        isinstance(error, driver_error) and dialect.is_disconnect(error, connection.connection.dbapi_connection,
                                                                    cursor)))
    wrapped = DBAPIError.instance(text, parameters, error, driver_error,
                                  hide_parameters=connection.engine.hide_parameters,
                                  connection_invalidated=gone and not exiting, dialect=dialect, ismulti=many)
    if gone:
        if not exiting:
            # What Connection does on a disconnect: the pool recycles the connections made before this one.
            connection.engine.pool._invalidate(connection.connection, error)
        connection.invalidate(error)
    if wrapped is error:
        raise error
    raise wrapped.with_traceback(error.__traceback__) from error


def _cursor(connection: Connection):
    """The driver cursor these statements share on one driver connection (making a cursor costs more than a
    small statement); a new driver connection behind the same pool slot gets a new one."""
    pooled = connection.connection
    driver = pooled.dbapi_connection
    kept = pooled.info.get("lean_cursor")
    if kept is None or kept[0] is not driver:
        kept = pooled.info["lean_cursor"] = (driver, driver.cursor())
    return kept[1]


def _plan(connection: Connection, statement, keys: tuple[str, ...], reads: bool) -> _Plan | None:
    """The statement's plan, or None when it goes through SQLAlchemy (the fast path is off, or it needs more)."""
    if not enabled(connection):
        return None
    key = (statement, connection.dialect.name, keys, reads)
    plan = _plans.get(key, _plans)
    if plan is _plans:
        plan = _compile(statement, connection.dialect, keys, reads)
        with _lock:
            _plans[key] = plan
    return plan


def _compile(statement, dialect, keys: tuple[str, ...], reads: bool) -> _Plan | None:
    if reads:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if statement.is_dml else None)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None) \
                or getattr(compiled, "postfetch", None):
            return None
        return _ReadPlan(compiled, dialect, keys)
    # Compiled as for executemany: a single-row INSERT would otherwise read back the new key (implicit RETURNING).
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.effective_returning \
            or compiled.postfetch:
        return None         # SQLAlchemy computes defaults or reads values back: leave the statement to it
    return _Plan(compiled, dialect, keys)


_tuples: dict[tuple, type] = {}


def _tuple_of(keys) -> type:
    keys = tuple(keys)
    made = _tuples.get(keys)
    if made is None:
        made = _tuples[keys] = namedtuple("Row", keys, rename=True)
    return made


def handed_over() -> list:
    """The statements compiled so far that run through SQLAlchemy instead (they need defaults or read-backs)."""
    with _lock:
        return [key[0] for key, plan in _plans.items() if plan is None]
