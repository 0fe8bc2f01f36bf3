"""What a database holds, as the tools that copy whole databases need to know it: its schema revision, its tables
in the order their foreign keys allow, and how many rows each holds."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Table, func, inspect, select, text

from . import case_records, ledger_records, report_records
from .db import alembic_config
from .models import Base

VERSION_TABLE = "alembic_version"
RECORD_MODULES = (case_records, ledger_records, report_records)     # imported so their tables join the metadata


def model_tables() -> list[Table]:
    """Every table the models declare, each after the tables its foreign keys point to: a table added to the models
    later is included without naming it here."""
    return list(Base.metadata.sorted_tables)


def head_revision() -> str:
    """The newest schema revision the migrations know."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def schema_revision(conn: Connection) -> str | None:
    """The schema revision the database is at, or None when Alembic never ran on it."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def table_names(conn: Connection) -> set[str]:
    """The names of the tables the database holds (of any kind, the models' or not)."""
    return set(inspect(conn).get_table_names())


def row_counts(conn: Connection, tables: list[Table] | None = None) -> dict[str, int]:
    """Rows in each of the models' tables (or the tables given), by table name."""
    return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tables if tables is not None else model_tables())}


def foreign_tables(conn: Connection) -> list[str]:
    """Tables of the database the models do not declare, other than Alembic's own, that hold rows."""
    known = {table.name for table in model_tables()} | {VERSION_TABLE}
    extra = sorted(table_names(conn) - known)
    return [name for name in extra if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None]
