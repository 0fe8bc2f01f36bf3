"""Diagram helpers that read a ledger's imported rows, e.g. as the pool of a random draw; they only read."""
from __future__ import annotations

import copy
from datetime import date

from ..core.messages import Msg
from ..core.vocabulary import LEDGER_ROW_HELPER, LEDGER_ROWS_HELPER
from ..records import ledgers
from .case_context import _instance


def ledger_rows(ledger, match=None, where=None, period=None) -> list[dict]:
    """The rows of a ledger whose fields equal `match` (`@org`: the organisation's code; a list value: any of
    them), that satisfy one of `where` and whose period day lies in `period` ([first, last] ISO days, either
    None), by key, each {key, org, …its data}; more than the engine's pool limit is refused naming it."""
    instance = _instance()
    limit = instance.engine.limits.max_instances * 10         # the most a draw's pool may hold
    found = ledgers.find(instance.session, _text("ledger", ledger), _mapping("match", match), _conditions(where),
                         _period(period), limit=limit + 1)
    if len(found) > limit:
        raise ValueError(Msg("ledger.too_many_found", ledger=ledger, count=f"> {limit}", limit=limit))
    return copy.deepcopy(found)


def ledger_row(ledger, key) -> dict | None:
    """One row of a ledger by its key, {key, org, …its data}, or None."""
    found = ledgers.find(_instance().session, _text("ledger", ledger), {}, [], (None, None), limit=None,
                         row_key=_text("key", key))
    return copy.deepcopy(found[0]) if found else None


def _text(name: str, value) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
        raise ValueError(Msg("ledger.bad_argument", name=name, wanted="text"))
    return str(value)


def _mapping(name: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(Msg("ledger.bad_argument", name=name, wanted="{field: value}"))
    return dict(value)


def _conditions(value) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, dict) and c for c in value):
        raise ValueError(Msg("ledger.bad_argument", name="where", wanted="[{field: value}, …]"))
    return [_mapping("where", c) for c in value]


def _period(value) -> tuple[date | None, date | None]:
    if value is None:
        return None, None
    try:
        first, last = value
        return tuple(None if d in (None, "") else date.fromisoformat(str(d)[:10]) for d in (first, last))
    except (TypeError, ValueError):
        raise ValueError(Msg("ledger.bad_argument", name="period", wanted="[YYYY-MM-DD, YYYY-MM-DD]")) from None


HELPERS = {LEDGER_ROWS_HELPER: ledger_rows, LEDGER_ROW_HELPER: ledger_row}
