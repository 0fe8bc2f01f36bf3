"""Running the step's hot writes on the driver's cursor, compiled once per statement, dialect and parameter names.

SQLAlchemy's execution path costs several times what the database spends on one of these small UPDATEs and
INSERTs, and a step writes four or five of them. The SQL, the order of its parameters and each value's
conversion (a moment to UTC, a dict to JSON …) are exactly what SQLAlchemy compiles for the dialect; only the
per-call bookkeeping is skipped. A statement that needs more (Python-side defaults, RETURNING) goes through
SQLAlchemy as usual.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

_plans: dict[tuple, "_Plan | None"] = {}
_lock = threading.Lock()


class _Plan:
    """A statement compiled for one dialect and one set of parameter names, with its values' conversions."""

    def __init__(self, compiled, dialect) -> None:
        self.compiled = compiled
        self.text = compiled.string
        self.positional = bool(compiled.positional)
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        self.names = tuple(compiled.positiontup) if self.positional else tuple(by_name)
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for name in self.names:
            processor = by_name[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def parameters(self, row: dict):
        """The driver's parameters for one row: in order for a positional paramstyle, by name otherwise."""
        values = self.compiled.construct_params(row)
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        ordered = tuple(values[name] for name in self.names)
        return ordered if self.positional else dict(zip(self.names, ordered))


def execute(connection: Connection, statement, params: dict | list[dict]) -> int:
    """Run `statement` with one parameter set or several (executemany); the number of rows it touched."""
    rows = params if isinstance(params, list) else [params]
    key = (statement, connection.dialect.name, tuple(rows[0]))
    plan = _plans.get(key, _plans)
    if plan is _plans:
        plan = _compile(statement, connection.dialect, tuple(rows[0]))
        with _lock:
            _plans[key] = plan
    if plan is None:
        return connection.execute(statement, params).rowcount
    cursor = connection.connection.cursor()
    try:
        if len(rows) == 1:
            cursor.execute(plan.text, plan.parameters(rows[0]))
        else:
            cursor.executemany(plan.text, [plan.parameters(row) for row in rows])
        return cursor.rowcount
    finally:
        cursor.close()


def _compile(statement, dialect, keys: tuple[str, ...]) -> _Plan | None:
    # Compiled as for executemany: a single-row INSERT would otherwise read back the new key (implicit RETURNING).
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if compiled.insert_prefetch or compiled.update_prefetch or compiled.effective_returning \
            or compiled.postfetch:
        return None         # SQLAlchemy computes defaults or reads values back: leave the statement to it
    return _Plan(compiled, dialect)
