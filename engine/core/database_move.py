"""Moving a whole database into an empty one at the same schema revision (a county's SQLite file onto the city's
PostgreSQL): every table of the models, in the order of their foreign keys, in one transaction on the target."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Connection, LargeBinary, MetaData, Table, and_, bindparam, select, text, update
from sqlalchemy.engine import make_url

from .database_state import (
    VERSION_TABLE, foreign_tables, head_revision, model_tables, row_counts, schema_revision, table_names,
)
from .db import connect, upgrade
from .errors import InvalidState
from .messages import Msg

ROWS_PER_BATCH = 1000
FILE_ROWS_PER_BATCH = 20        # tables holding files (documents, attachments): fewer rows in memory at once


@dataclass(frozen=True)
class TableMoved:
    """One table's rows in the source and, after the move, in the target."""

    table: str
    source: int
    target: int


def move_database(source_url: str, target_url: str) -> list[TableMoved]:
    """Copy every row of the source database into the target, which must hold no data and, if it has tables, be at
    the schema revision the source is at (the newest); an empty target database is migrated first. All rows are
    written in one transaction on the target and counted before it commits: a refusal or failure leaves the target
    as it was. The source is only read, from one snapshot."""
    if make_url(source_url) == make_url(target_url):
        raise InvalidState(Msg("move.same_database"))
    source, target = connect(source_url), connect(target_url)
    try:
        with source.connect() as reading:
            if reading.dialect.name == "postgresql":
                reading.execution_options(isolation_level="REPEATABLE READ")   # one snapshot for every table
            _check_source(reading)
            with target.connect() as looking:
                fresh = not table_names(looking)
            if fresh:
                upgrade(target_url)
            with target.begin() as writing:
                _check_target(writing)
                return _copy(reading, writing)
    finally:
        source.dispose()
        target.dispose()


def _check_source(reading: Connection) -> None:
    head, revision = head_revision(), schema_revision(reading)
    if revision != head:
        raise InvalidState(Msg("move.source_revision", revision=revision or "-", head=head))
    extra = foreign_tables(reading)
    if extra:
        raise InvalidState(Msg("move.unknown_tables", tables=", ".join(extra)))


def _check_target(writing: Connection) -> None:
    revision, head = schema_revision(writing), head_revision()
    if revision != head:
        raise InvalidState(Msg("move.target_revision", revision=revision or "-", head=head))
    if writing.dialect.name == "postgresql":
        # A second move started at the same time waits here, then finds the first one's rows.
        writing.execute(text(f"LOCK TABLE {VERSION_TABLE} IN EXCLUSIVE MODE"))
    holding = {name: count for name, count in row_counts(writing).items() if count}
    if holding:
        listed = ", ".join(f"{name} ({count})" for name, count in holding.items())
        raise InvalidState(Msg("move.target_not_empty", tables=listed))


def _copy(reading: Connection, writing: Connection) -> list[TableMoved]:
    tables = model_tables()
    before = row_counts(reading, tables)
    for table in tables:
        _copy_table(reading, writing, table)
    if writing.dialect.name == "postgresql":
        _reset_sequences(writing, tables)
    after = row_counts(writing, tables)
    moved = [TableMoved(table.name, before[table.name], after[table.name]) for table in tables]
    wrong = [m for m in moved if m.source != m.target]
    if wrong:
        raise InvalidState(Msg("move.counts_differ", tables=", ".join(
            f"{m.table} ({m.source} → {m.target})" for m in wrong)))
    return moved


def _copy_table(reading: Connection, writing: Connection, table: Table) -> None:
    """Rows in primary-key order; a column pointing into its own table (an organisation's parent) is written after
    every row is in, so a row may name one that comes later; SQL NULL and JSON null stay apart."""
    written = _as_written(table)
    json_columns = [c.name for c in table.columns if isinstance(c.type, JSON)]
    later = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    nulls = [(c, table.c[c].is_(None).label(f"{c}__is_null")) for c in json_columns]
    query = select(*table.columns, *(flag for _, flag in nulls)).order_by(*table.primary_key.columns)
    batch = FILE_ROWS_PER_BATCH if any(isinstance(c.type, LargeBinary) for c in table.columns) else ROWS_PER_BATCH
    pending: dict[str, list[tuple[list, object]]] = {name: [] for name in later}
    result = reading.execution_options(yield_per=batch).execute(query)
    for rows in result.partitions():
        values = []
        for row in rows:
            found = row._mapping
            value = {c.name: found[c] for c in table.columns}
            for name, flag in nulls:
                value[name] = None if found[flag.name] else (JSON.NULL if value[name] is None else value[name])
            for name in later:
                if value[name] is not None:
                    pending[name].append(([value[k.name] for k in table.primary_key.columns], value[name]))
                value[name] = None
            values.append(value)
        writing.execute(written.insert(), values)
    for name in later:
        _write_later(writing, table, name, pending[name])


def _as_written(table: Table) -> Table:
    """The table as the target receives it: a JSON column writes None as SQL NULL (JSON null is sent as JSON.NULL)."""
    copy = table.to_metadata(MetaData())
    for column in copy.columns:
        if isinstance(column.type, JSON):
            column.type = JSON(none_as_null=True)
    return copy


def _write_later(writing: Connection, table: Table, name: str, pending: list[tuple[list, object]]) -> None:
    if not pending:
        return
    keys = list(table.primary_key.columns)
    statement = (update(table).where(and_(*(k == bindparam(f"key_{k.name}") for k in keys)))
                 .values({name: bindparam("later_value")}))
    writing.execute(statement, [{**{f"key_{k.name}": v for k, v in zip(keys, key)}, "later_value": value}
                                for key, value in pending])


def _reset_sequences(writing: Connection, tables: list[Table]) -> None:
    """Rows came with their ids: each id sequence continues after the largest one moved."""
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is not True and not (column.autoincrement == "auto" and _integer(column)):
                continue
            sequence = writing.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                       {"table": table.name, "column": column.name}).scalar()
            if sequence:
                writing.execute(text(f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") FROM '
                                     f'"{table.name}"), 0) + 1, false)'), {"sequence": sequence})


def _integer(column) -> bool:
    try:
        return column.type.python_type is int and len(column.table.primary_key.columns) == 1
    except NotImplementedError:
        return False
