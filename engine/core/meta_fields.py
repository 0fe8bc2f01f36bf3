"""SQL: a case's declared fields (`case_instance.meta`) equal to given texts, as `meta ->> name = text` for each.

On PostgreSQL the same test is written as one containment, `lawflow_meta_fields(meta) @> {name: text, …}`, which
the GIN index of migration 0017 answers without reading every case of the process (related cases at a million
cases). The SQL function (made by that migration) turns meta into an object of the same texts `->>` reads, so both
spellings find the same cases; a row holding a lone surrogate escape (old data: PostgreSQL's JSON functions refuse
it, so `->>` failed on it) is left out of the index and matches nothing instead of failing the query.
"""
from __future__ import annotations

import json

from sqlalchemy import Boolean, Text, and_, case, cast, false, func, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

INDEXED_FIELDS_FUNCTION = "lawflow_meta_fields"     # the SQL function of migration 0017 (its index's expression)
# The function's test for a lone surrogate escape (one not itself escaped by a backslash), on which `->>` fails.
LONE_SURROGATE = r"(^|[^\\])(\\\\)*\\u[dD][89a-fA-F]"


class FieldsEqual(ColumnElement):
    """True where every named field of the JSON column holds the text given for it."""

    # Both spellings are part of the cache key (the field names and their number shape the SQL; the texts are
    # bound parameters), so a lookup repeated with other values reuses the compiled statement.
    _traverse_internals = [("plain", InternalTraversal.dp_clauseelement),
                           ("indexed", InternalTraversal.dp_clauseelement),
                           ("guarded", InternalTraversal.dp_clauseelement)]
    inherit_cache = True
    type = Boolean()

    def __init__(self, column, values: dict[str, str]) -> None:
        self.plain = and_(*(column[name].as_string() == str(value) for name, value in values.items()))
        wanted = literal(json.dumps({k: str(v) for k, v in values.items()}, ensure_ascii=False))
        self.indexed = getattr(func, INDEXED_FIELDS_FUNCTION)(column).op("@>")(cast(wanted, JSONB))
        self.guarded = case((cast(column, Text).regexp_match(LONE_SURROGATE), false()), else_=self.plain)

    @property
    def _from_objects(self):
        return self.plain._from_objects


@compiles(FieldsEqual)
def _plain(element: FieldsEqual, compiler, **kw) -> str:
    return compiler.process(element.plain, **kw)


@compiles(FieldsEqual, "postgresql")
def _indexed(element: FieldsEqual, compiler, **kw) -> str:
    return compiler.process(and_(element.indexed, element.guarded), **kw)


def fields_equal(column, values: dict) -> ColumnElement:
    """SQL: each field of the JSON column `column` named in `values` holds str(value) (as `->>` reads it)."""
    return FieldsEqual(column, values)
