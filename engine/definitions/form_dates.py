"""The lawflow keywords of a form that compare dates: a day not after or before today (`x-notAfter`,
`x-notBefore`), and the least gap between two dates of a form (`x-workingDaysAfter`), counted by a row of the form's
limits table."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from jsonschema.exceptions import ValidationError

from ..core.messages import Msg
from ..core.vocabulary import TODAY, WORKING_DAYS_AFTER_KEYWORD
from ..time.workdays import CHINA_TZ, WorkCalendar, as_moment, day_of
from .limit_rows import shift, value_text


def field_title(schema: dict, name: str) -> str | None:
    """The title a form gives its field `name`, if any."""
    prop = (schema.get("properties") or {}).get(name) if isinstance(schema, dict) else None
    return prop.get("title") if isinstance(prop, dict) else None


def _day_of(value) -> date | None:
    """The day a date or date-time text names (a date-time's own local day); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value).date()
    except ValueError:
        return None


def date_bound(later: bool, today: Callable[[], date]):
    def check(_validator, bound, instance, _schema):
        day = _day_of(instance)
        if bound != TODAY or day is None:
            return
        limit = today()
        if later and day > limit:
            yield _bound_error(Msg("form.not_after_today", day=f"{limit:%Y-%m-%d}"))
        elif not later and day < limit:
            yield _bound_error(Msg("form.not_before_today", day=f"{limit:%Y-%m-%d}"))
    return check


def _bound_error(msg: Msg) -> ValidationError:
    """jsonschema's error, carrying the engine message `_message` reports."""
    error = ValidationError(str(msg))
    error.msg = msg
    return error


def working_days_after(calendar: WorkCalendar, rows: dict[str, dict]):
    """`x-workingDaysAfter` on an object: `[{"field": a, "after": b, "limit": row}, …]` — the date in field `a` may
    not be earlier than the last day of the limit `row` of the form's limits table counted from the date in field
    `b`, by the row's unit and roll-over rule (e.g. a hearing held at least 7 working days after its notice is
    served); `"workingDays": n` in place of `limit` (older forms) is n working days. A rule whose two dates are not
    both given says nothing (`required` does); the error is the later field's."""
    def check(_validator, rules, instance, schema):
        if not isinstance(instance, dict) or not isinstance(rules, list):
            return
        for rule in rules:
            row = _rule_row(rule, rows)
            later = _day_of(instance.get(rule.get("field"))) if isinstance(rule, dict) else None
            first = _day_of(instance.get(rule.get("after"))) if isinstance(rule, dict) else None
            if later is None or first is None:
                continue
            if row is None:
                if isinstance(rule.get("limit"), str):      # a form checked without its table: refuse, never pass
                    error = _bound_error(Msg("form.limit_unknown", keyword=WORKING_DAYS_AFTER_KEYWORD,
                                             name=rule["limit"][:80]))
                    error.path.appendleft(rule["field"])
                    yield error
                continue
            earliest = day_of(as_moment(shift(calendar, row, datetime.combine(first, time(12), CHINA_TZ))))
            if later < earliest:
                after = field_title(schema, rule["after"]) or rule["after"]
                if row["unit"] == "working_days":
                    message = Msg("form.working_days_after", days=row["value"], day=f"{earliest:%Y-%m-%d}",
                                  after=after)
                else:
                    message = Msg("form.limit_after", limit=value_text(row), day=f"{earliest:%Y-%m-%d}",
                                  after=after)
                error = _bound_error(message)
                error.path.appendleft(rule["field"])
                yield error
    return check


def _rule_row(rule, rows: dict[str, dict]) -> dict | None:
    """The limit a `x-workingDaysAfter` rule measures: its row of the table, or `workingDays` working days."""
    if not isinstance(rule, dict):
        return None
    if isinstance(rule.get("limit"), str):
        return rows.get(rule["limit"])
    days = rule.get("workingDays")
    if isinstance(days, int) and not isinstance(days, bool):
        return {"value": days, "unit": "working_days", "unit_text": " working days"}
    return None


def limit_rule_names(schema) -> list[str]:
    """The limit names the `x-workingDaysAfter` rules of a form use (its `limit` keys), in document order."""
    found = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            rules = node.get(WORKING_DAYS_AFTER_KEYWORD)
            if isinstance(rules, list):
                found += [r["limit"] for r in rules if isinstance(r, dict) and isinstance(r.get("limit"), str)]
            stack.extend(reversed([v for k, v in node.items() if k != WORKING_DAYS_AFTER_KEYWORD]))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found
