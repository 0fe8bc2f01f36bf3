"""Findings from the system's own records: the cases behind a standard's auto items and vetoes.

An auto rule names a process, `match` (each reportable field K of the other case equals this case's data
`match[K]`), `where` (the other case satisfies any one of the dicts: each field equals the value, or is one of the
list) and `period` (two data names: the other case was created between those two days, inclusive, China time).
A match whose value this case does not know finds nothing; a period bound it does not know is left open.
A rule may name a ledger instead of a process: the same over its imported rows (`@org` in `match` is the row's
organisation code, the period applies to the row's period day), and the finding also counts the rows that match
and period alone cover (`total`), for deductions by share."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from ..core.ledger_records import LedgerRow
from ..core.models import Case, Organization
from ..time.workdays import CHINA_TZ
from . import ledgers


def findings(session: Session, standard: dict, case_data: dict, exclude_case_id: int | None) -> dict[str, dict]:
    """For every auto item and veto of a standard: {code: {"cases": [{"id", "number"}], "count": n}} (a ledger
    rule's: {"cases": [{"id", "number", "ledger"}], "count": n, "total": rows its match and period cover})."""
    found, scans = {}, {}
    for code, rule in auto_rules(standard):
        if "ledger" in rule:
            scans.setdefault(_scan_key(rule, case_data), []).append((code, rule))
            continue
        rows = session.execute(_query(rule, case_data, exclude_case_id)).all()
        found[code] = {"cases": [{"id": row.id, "number": row.business_number} for row in rows], "count": len(rows)}
    for (ledger, match, days), rules in scans.items():
        found.update(_ledger_findings(session, ledger, dict(match), days, rules))
    return {code: found[code] for code, _rule in auto_rules(standard)}


def auto_rules(standard: dict) -> list[tuple[str, dict]]:
    """(code, rule) of every auto item and auto veto, in the standard's order."""
    rules = [(item["code"], item["auto"]) for dim in standard["dimensions"] for item in dim["items"] if "auto" in item]
    return rules + [(veto["code"], veto["auto"]) for veto in standard.get("vetoes", []) if "auto" in veto]


def _query(rule: dict, data: dict, exclude_case_id: int | None):
    query = select(Case.id, Case.business_number).where(Case.process_key == rule["process"])
    if exclude_case_id is not None:
        query = query.where(Case.id != exclude_case_id)
    for field, source in rule["match"].items():
        value = data.get(source)
        query = query.where(_equals(field, value) if value is not None and value != "" else false())
    if rule.get("where"):
        query = query.where(or_(*(and_(*(_one_of(field, wanted) for field, wanted in condition.items()))
                                  for condition in rule["where"])))
    period = rule.get("period")
    if period:
        start, end = _day(data.get(period[0])), _day(data.get(period[1]))
        if start is not None:
            query = query.where(Case.created_at >= datetime.combine(start, time(), CHINA_TZ))
        if end is not None:
            query = query.where(Case.created_at < datetime.combine(end + timedelta(days=1), time(), CHINA_TZ))
    return query.order_by(Case.id)


def _scan_key(rule: dict, data: dict) -> tuple:
    """The rows a ledger rule reads before its `where`: its ledger, this case's match values and period days."""
    match = tuple(sorted((field, data.get(source)) for field, source in rule["match"].items()))
    period = rule.get("period")
    days = (_day(data.get(period[0])), _day(data.get(period[1]))) if period else (None, None)
    return rule["ledger"], match, days


def _ledger_findings(session: Session, ledger: str, match: dict, days: tuple, rules: list) -> dict[str, dict]:
    """The findings of the rules that read the same rows: one count of those rows, and one scan of the rows any
    rule's `where` holds for, each row marked with the rules it satisfies."""
    if any(value is None or value == "" for value in match.values()):
        return {code: {"cases": [], "count": 0, "total": 0} for code, _rule in rules}
    covered = ledgers.within_period(ledgers.matching(
        select(LedgerRow.id, LedgerRow.key).join(Organization, LedgerRow.org_id == Organization.id)
        .where(LedgerRow.ledger_key == ledger), match, []), *days)
    total = session.scalar(select(func.count()).select_from(covered.subquery()))
    holds = [ledgers.condition(rule.get("where") or []) for _code, rule in rules]
    marked = covered.add_columns(*(condition.label(f"rule_{n}") for n, condition in enumerate(holds)))
    rows = session.execute(marked.where(or_(*holds)).order_by(LedgerRow.key)).all() if total else []
    found = {}
    for n, (code, _rule) in enumerate(rules):
        hits = [{"id": row.id, "number": row.key, "ledger": ledger} for row in rows if row[2 + n]]
        found[code] = {"cases": hits, "count": len(hits), "total": total}
    return found


def _one_of(field: str, wanted):
    values = wanted if isinstance(wanted, list) else [wanted]
    return or_(*(_equals(field, value) for value in values))


def _equals(field: str, value):
    """A reportable field equal to a value, compared as its JSON type (the same SQL on SQLite and PostgreSQL)."""
    element = Case.meta[field]
    if isinstance(value, bool):
        return element.as_boolean() == value
    if isinstance(value, (int, float)):
        return element.as_float() == float(value)
    return element.as_string() == str(value)


def _day(value) -> date | None:
    """The day an ISO date or date-time names (a date-time's China day); None when it names none."""
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(CHINA_TZ).date() if moment.tzinfo else moment.date()
