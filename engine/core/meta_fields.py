"""SQL: a case's declared fields (`case_instance.meta`) equal to given texts, as `meta ->> name = text` for each.

On PostgreSQL the same test is written as one containment, `lawflow_meta_fields(meta) @> {name: text, …}`, which
the GIN index of migration 0017 answers without reading every case of the process (related cases at a million
cases). The SQL function (made by that migration) turns meta into an object of the same texts `->>` reads, so both
spellings find the same cases; a row holding a lone surrogate escape (old data: PostgreSQL's JSON functions refuse
it, so `->>` failed on it) is left out of the index and matches nothing instead of failing the query.
"""
from __future__ import annotations

import json

from sqlalchemy import Boolean, and_, cast, func, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

INDEXED_FIELDS_FUNCTION = "lawflow_meta_fields"     # the SQL function of migration 0017 (its index's expression)


class FieldsEqual(ColumnElement):
    """True where every named field of the JSON column holds the text given for it."""

    inherit_cache = False       # its SQL depends on the values' names: built afresh, never from the cache
    type = Boolean()

    def __init__(self, column, values: dict[str, str]) -> None:
        self.plain = and_(*(column[name].as_string() == str(value) for name, value in values.items()))
        wanted = literal(json.dumps({k: str(v) for k, v in values.items()}, ensure_ascii=False))
        self.indexed = getattr(func, INDEXED_FIELDS_FUNCTION)(column).op("@>")(cast(wanted, JSONB))

    @property
    def _from_objects(self):
        return self.plain._from_objects


@compiles(FieldsEqual)
def _plain(element: FieldsEqual, compiler, **kw) -> str:
    return compiler.process(element.plain, **kw)


@compiles(FieldsEqual, "postgresql")
def _indexed(element: FieldsEqual, compiler, **kw) -> str:
    return compiler.process(element.indexed, **kw)


def fields_equal(column, values: dict) -> ColumnElement:
    """SQL: each field of the JSON column `column` named in `values` holds str(value) (as `->>` reads it)."""
    return FieldsEqual(column, values)
