"""Keyset pagination: a page goes on after the last row the previous one showed (its sort key and id, carried in
an opaque cursor), never by OFFSET, so a page costs the same deep in a long list and rows that share a sort key
are neither repeated nor skipped."""
from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import and_, false, or_

from ..core.errors import DataValidationError, FieldError
from ..core.messages import Msg
from ..core.models import Moment


def encode(values: list) -> str:
    """A cursor for the sort key values of the last row shown (moments as ISO text)."""
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, keys: list[tuple]) -> list:
    """The sort key values a cursor carries, each of its key's kind (a moment, a number; a moment may be absent);
    a located refusal (field `cursor`) if it is not one of ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError(cursor)
        decoded = [_value(v, column) for v, (column, _descending, _nulls) in zip(values, keys)]
        if decoded[-1] is None:
            raise ValueError(cursor)
        return decoded
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, AttributeError):
        raise DataValidationError(Msg("list.bad_cursor"),
                                  [FieldError("cursor", Msg("list.bad_cursor"), "format")]) from None


def _value(value, column):
    if value is None:
        return None
    if isinstance(column.type, Moment):
        moment = datetime.fromisoformat(value["t"])
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def after(keys: list[tuple], values: list):
    """SQL: the rows after `values` in the order of `keys`, each (column, descending, nulls_last); the last key
    is unique (the id), so the order is total."""
    clauses, equal_before = [], []
    for (column, descending, nulls_last), value in zip(keys, values):
        clauses.append(and_(*equal_before, _beyond(column, descending, nulls_last, value)))
        equal_before.append(column.is_(None) if value is None else column == value)
    return or_(*clauses)


def _beyond(column, descending: bool, nulls_last: bool, value):
    if value is None:           # nulls come last: nothing is beyond one but a later null (the next key decides)
        return false()
    beyond = column < value if descending else column > value
    return or_(beyond, column.is_(None)) if nulls_last else beyond


def page_cursor(rows: list, limit: int, key_of) -> str | None:
    """The cursor of the next page when this one is full, else None (the list ends here)."""
    return encode(key_of(rows[-1])) if rows and len(rows) >= limit else None

