"""Ledgers of imported records: the definitions of the active bundle (`forms/**/*.ledger.json`), and the rows a
user may see, filtered and paged by key; the import itself is `ledger_import.py`."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date

from openpyxl import Workbook
from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from ..core.errors import NotFound
from ..core.ledger_records import LedgerImport, LedgerRow
from ..core.messages import Msg
from ..core.models import BundleFile, Organization, User
from ..core.scope import path_within, scoped_row, scoped_rows
from ..definitions.bundles import active_bundle

ORG_FIELD = "@org"           # a rule's or helper's name for the row's organisation code
PAGE_SIZE = 50


def definitions(session: Session, bundle_id: int | None = None) -> dict[str, dict]:
    """The ledgers of a bundle version (by default the active one) by key, in path order."""
    if bundle_id is None:
        bundle = active_bundle(session)
        if bundle is None:
            return {}
        bundle_id = bundle.id
    files = session.scalars(select(BundleFile).where(BundleFile.bundle_id == bundle_id, BundleFile.kind == "ledger")
                            .order_by(BundleFile.path))
    found = {}
    for file in files:
        ledger = json.loads(file.content)
        found[ledger["key"]] = ledger
    return found


def definition(session: Session, key: str) -> tuple[int, dict]:
    """(bundle id, ledger) of the active bundle's ledger with this key; NotFound when it has none."""
    bundle = active_bundle(session)
    ledger = definitions(session, bundle.id).get(key) if bundle is not None else None
    if ledger is None:
        raise NotFound(Msg("ledger.not_found", ledger=key), ledger=key)
    return bundle.id, ledger


def may_import(user: User, ledger: dict) -> bool:
    """Whether the user holds one of the roles the ledger lets import (none listed: any staff)."""
    roles = ledger.get("importRoles") or []
    return not roles or any(role.code in roles or role.name in roles for role in user.roles)


def counts(session: Session, user: User) -> dict[str, int]:
    """Rows per ledger key the user may see."""
    query = scoped_rows(select(LedgerRow.ledger_key, func.count()), user).group_by(LedgerRow.ledger_key)
    return dict(session.execute(query).all())


def rows(session: Session, user: User, key: str, *, org: str | None = None, period: tuple = (None, None),
         measure: str | None = None, after: int | None = None, limit: int = PAGE_SIZE) -> list[dict]:
    """A page of a ledger's rows the user may see, by id after `after` (keyset): in an organisation's subtree,
    with the period day in `period` (inclusive, either end open), with a measure true. Each `row_dict`."""
    query = scoped_rows(select(LedgerRow, Organization.code, Organization.name), user)
    query = query.where(LedgerRow.ledger_key == key)
    if org:
        root = session.scalar(select(Organization.path).where(Organization.code == org))
        query = query.where(path_within(Organization.path, root) if root else false())
    query = within_period(query, *period)
    if measure:
        query = query.where(field_equals(measure, True))
    if after is not None:
        query = query.where(LedgerRow.id > after)
    found = session.execute(query.order_by(LedgerRow.id).limit(limit)).all()
    return [row_dict(row, code, name) for row, code, name in found]


def row(session: Session, user: User, key: str, row_id: int) -> dict:
    """One row the user may see (NotFound otherwise), as `row_dict`."""
    found = scoped_row(session, user, key, row_id)
    org = session.get(Organization, found.org_id)
    return row_dict(found, org.code, org.name)


def row_dict(found: LedgerRow, code: str, name: str) -> dict:
    """A row as pages and the API show it."""
    return {"id": found.id, "key": found.key, "org": code, "org_name": name, "period_on": found.period_on.isoformat(),
            "data": dict(found.data), "import_id": found.import_id, "imported_at": found.imported_at.isoformat()}


def measures(ledger: dict, data: dict) -> list[dict]:
    """A row's measures as a page shows them: label, value, the interval and its limit, unit and basis."""
    shown = []
    for measure in ledger.get("measures", []):
        name = measure["name"]
        shown.append({"name": name, "label": measure["label"], "value": data.get(name),
                      "interval": data.get(name + "_days"), "limit": measure.get("limit"),
                      "unit": measure.get("unit"), "basis": measure.get("basis", "")})
    return shown


def imports(session: Session, key: str, limit: int = 20) -> list[LedgerImport]:
    """The latest imports into a ledger, newest first."""
    return list(session.scalars(select(LedgerImport).where(LedgerImport.ledger_key == key)
                                .order_by(LedgerImport.id.desc()).limit(limit)))


def find(session: Session, key: str, match: dict | None = None, where: list | None = None,
         period: tuple = (None, None), limit: int | None = None, row_key: str | None = None) -> list[dict]:
    """Rows of a ledger (whatever organisation) whose fields equal `match` (`@org`: the organisation's code), that
    satisfy any one of `where` and whose period day lies in `period` (or the one row with key `row_key`): each
    {key, org, …its data}, by key."""
    query = select(LedgerRow.key, LedgerRow.data, Organization.code).join(
        Organization, LedgerRow.org_id == Organization.id).where(LedgerRow.ledger_key == key)
    if row_key is not None:
        query = query.where(LedgerRow.key == row_key)
    query = within_period(matching(query, match or {}, where or []), *period).order_by(LedgerRow.key)
    if limit is not None:
        query = query.limit(limit)
    return [{"key": k, "org": code, **data} for k, data, code in session.execute(query)]


def matching(query, match: dict, where: list):
    """The query (joined to Organization) kept to rows whose fields equal `match` and satisfy one of `where`."""
    for field, value in match.items():
        query = query.where(_one_of(field, value))
    return query.where(condition(where)) if where else query


def condition(where: list):
    """SQL: a row satisfies one of `where` (each a dict of fields and the value or values they equal); no
    conditions hold for every row."""
    if not where:
        return true()
    return or_(*(and_(*(_one_of(f, v) for f, v in each.items())) for each in where))


def within_period(query, start: date | None, end: date | None):
    """The query kept to rows whose period day lies between the two days (inclusive; None leaves it open)."""
    if start is not None:
        query = query.where(LedgerRow.period_on >= start)
    if end is not None:
        query = query.where(LedgerRow.period_on <= end)
    return query


def _one_of(field: str, wanted):
    values = wanted if isinstance(wanted, (list, tuple)) else [wanted]
    if field == ORG_FIELD:
        return Organization.code.in_([str(v) for v in values])
    return or_(*(field_equals(field, value) for value in values))


def field_equals(field: str, value):
    """SQL: a row's data field equals a value, compared as its JSON type (the same on SQLite and PostgreSQL)."""
    element = LedgerRow.data[field]
    if isinstance(value, bool):
        return element.as_boolean() == value
    if isinstance(value, (int, float)):
        return element.as_float() == float(value)
    return element.as_string() == str(value)


_ABOUT = ("ledger.about_header", "ledger.about_name", "ledger.about_type", "ledger.about_required",
          "ledger.about_values", "ledger.about_description")


def template_workbook(ledger: dict, text: Callable[[Msg], str] = str) -> bytes:
    """An empty workbook to fill: the ledger's headers in the first row of its first sheet, and a second sheet
    listing each column's header, name, type, whether it is required, allowed values and description (its own
    headers rendered by `text`, the reader's language)."""
    book = Workbook()
    sheet = book.active
    sheet.title = ledger["title"][:31]
    sheet.append([column["header"] for column in ledger["columns"]])
    about = book.create_sheet(text(Msg("ledger.about_sheet"))[:31])
    about.append([text(Msg(code)) for code in _ABOUT])
    for column in ledger["columns"]:
        about.append([column["header"], column["name"], column["type"], bool(column.get("required")),
                      "/".join(column.get("values", [])), column.get("description", "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
