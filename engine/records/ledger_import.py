"""Importing a ledger file (xlsx or csv): streamed row by row and written in batches, so memory stays flat
whatever the file's length; all or nothing: every row is checked, and when any is wrong nothing is stored and the
errors come back by row and column. A row already stored with the same content is unchanged (a re-import is
idempotent by key); with different content it is an error, as is a key repeated in the file with other content."""
from __future__ import annotations

import csv
import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import openpyxl
import orjson
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.errors import ImportRefused, NotAllowed, RowError, RowErrors
from ..core.ledger_records import LedgerImport, LedgerRow
from ..core.messages import Msg
from ..core.models import Organization, User
from ..core.scope import path_within
from .ledger_measures import compute_measures
from .ledgers import definition, may_import

BATCH = 1000
MAX_ROWS = 1_000_000            # a ledger file past this is not one
MAX_TEXT = 1000                 # characters of one cell
MAX_XLSX_INFLATED = 1 << 30     # bytes the workbook's parts may declare in all, inflated
MAX_XLSX_RATIO = 100            # and their ratio to the compressed size
MAX_COLUMNS = 1000              # cells past this column of a row are not read
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def import_file(session: Session, engine, user: User, key: str, filename: str, stream) -> LedgerImport:
    """Import a file into the active bundle's ledger `key` as `user` (who must hold one of its import roles and may
    name organisations of their subtree only); the import row, flushed. ImportRefused, nothing stored, when any
    row is wrong."""
    bundle_id, ledger = definition(session, key)
    if not may_import(user, ledger):
        raise NotAllowed(Msg("ledger.import_role", ledger=ledger["title"], roles=", ".join(ledger["importRoles"])))
    with session.begin_nested():
        done = LedgerImport(ledger_key=key, bundle_id=bundle_id, filename=filename[:300], actor=user.username,
                            imported_at=engine.now(), rows_added=0, rows_unchanged=0)
        session.add(done)
        session.flush()
        run = _Run(session, engine, user, ledger, done)
        run.read(_rows(filename, stream))
        if run.total:
            raise run.refusal(ledger=key)
        done.rows_added, done.rows_unchanged = run.added, run.unchanged
        session.flush()
    return done


def _rows(filename: str, stream) -> Iterator[tuple[int, tuple]]:
    """(row number, cell values) of the file's first sheet or of the csv, header first."""
    head = stream.read(4)
    stream.seek(0)
    if head == b"PK\x03\x04":
        return _xlsx_rows(stream)
    return _csv_rows(stream)


def _xlsx_rows(stream) -> Iterator[tuple[int, tuple]]:
    """The first sheet's rows through openpyxl's read-only reader (values only, dates as dates), numbered as the
    sheet numbers them; the package is measured first, as actually inflated, so a zip bomb is refused unread."""
    try:
        parts = zipfile.ZipFile(stream).infolist()
    except zipfile.BadZipFile as exc:
        raise _refused(Msg("ledger.unreadable", detail=str(exc))) from None
    inflated, packed = sum(p.file_size for p in parts), sum(p.compress_size for p in parts)
    if inflated > MAX_XLSX_INFLATED or inflated > MAX_XLSX_RATIO * max(packed, 1):
        raise _refused(Msg("ledger.too_large"))
    stream.seek(0)
    number = 0
    try:
        with warnings.catch_warnings():     # openpyxl warns of parts it drops (data validation, styles): not ours
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()        # a writer's stated dimensions may be wrong: read what is there
            for number, cells in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), 1):
                yield number, cells
        finally:
            book.close()
    except (zipfile.BadZipFile, InvalidFileException, OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise _refused(Msg("ledger.unreadable", detail=str(exc) or type(exc).__name__), row=number + 1) from None


def _csv_rows(stream) -> Iterator[tuple[int, tuple]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(text), start=1):
            yield number, tuple(cells)
    except UnicodeDecodeError:
        raise _refused(Msg("ledger.not_utf8"), row=number + 1) from None
    except csv.Error as exc:
        raise _refused(Msg("ledger.unreadable", detail=str(exc)), row=number + 1) from None
    finally:
        text.detach()


def _refused(msg: Msg, row: int = 1) -> ImportRefused:
    return ImportRefused([RowError(row, "", msg)])


class _Run(RowErrors):
    """One import under way: the header's columns, the organisations a row may name, counts and errors."""

    def __init__(self, session: Session, engine, user: User, ledger: dict, done: LedgerImport):
        self.session, self.engine, self.ledger, self.done = session, engine, ledger, done
        self.columns = {c["name"]: c for c in ledger["columns"]}
        super().__init__({name: column["header"] for name, column in self.columns.items()})
        self.orgs, self.names, self.mine = _organizations(session, user)
        self.added = self.unchanged = 0
        self.places: dict[str, int] = {}        # column name -> index in the file's rows

    def read(self, rows: Iterator[tuple[int, tuple]]) -> None:
        """Check the header, then every row, writing the good ones in batches."""
        header = next(rows, None)
        if header is None or not self._header(header[1]):
            if header is None:
                self.fail(1, "", Msg("ledger.empty"))
            return
        batch, seen = [], 0
        for number, cells in rows:
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
                continue
            seen += 1
            if seen > MAX_ROWS:
                self.fail(number, "", Msg("ledger.too_many_rows", limit=MAX_ROWS))
                break
            record = self._record(number, cells)
            if record is not None:
                batch.append(record)
            if len(batch) >= BATCH:
                self._write(batch)
                batch = []
        self._write(batch)
        if seen == 0:
            self.fail(2, "", Msg("ledger.empty"))

    def _header(self, cells: tuple) -> bool:
        known = {}
        for column in self.ledger["columns"]:
            known[column["header"]] = known[column["name"]] = column["name"]
        for index, cell in enumerate(cells):
            name = known.get(str(cell).strip()) if cell is not None else None
            if name is not None and name in self.places:
                self.fail(1, name, Msg("ledger.duplicate_header"))
            elif name is not None:
                self.places[name] = index
        for column in self.ledger["columns"]:
            if column.get("required") and column["name"] not in self.places:
                self.fail(1, column["name"], Msg("ledger.missing_column"))
        return not self.total

    def _record(self, number: int, cells: tuple) -> dict | None:
        """The row's data, measures and digest; None (errors noted) when it is wrong."""
        before, data = self.total, {}
        for name, column in self.columns.items():
            index = self.places.get(name)
            value = _cell(cells[index] if index is not None and index < len(cells) else None)
            if value is None:
                if column.get("required"):
                    self.fail(number, name, Msg("ledger.required"))
                continue
            converted = _convert(column, value)
            if isinstance(converted, Msg):
                self.fail(number, name, converted)
            else:
                data[name] = converted
        org_id = self._organization(number, data)
        for check in self.ledger.get("checks", []):
            earlier, later = data.get(check["earlier"]), data.get(check["later"])
            if earlier is not None and later is not None and later < earlier:
                self.fail(number, check["later"], Msg("ledger.check_order", earlier=self.columns[check["earlier"]]
                                                      ["header"], later=self.columns[check["later"]]["header"]))
        computed, problems = compute_measures(self.ledger, data, self.engine.calendar)
        for column, msg in problems:
            self.fail(number, column, msg)
        if self.total > before:
            return None
        return self._stored(number, org_id, data, computed)

    def _organization(self, number: int, data: dict) -> int | None:
        column = self.ledger["orgColumn"]
        given = data.get(column)
        if given is None:
            return None
        found = self.orgs.get(given) or self.names.get(given)
        if found is None:
            self.fail(number, column, Msg("ledger.unknown_org", value=given))
            return None
        if found[0] not in self.mine:
            self.fail(number, column, Msg("ledger.org_outside", value=given))
            return None
        data[column] = found[1]             # stored as the organisation's code, however the file named it
        return found[0]

    def _stored(self, number: int, org_id: int, data: dict, computed: dict) -> dict:
        """The row as written: its data with the measures, and a digest of the data as the file gave it."""
        stored = _plain(data)
        digest = hashlib.sha256(orjson.dumps(stored, option=orjson.OPT_SORT_KEYS)).hexdigest()
        stored.update(computed)
        return {"number": number, "key": str(data[self.ledger["keyColumn"]]), "org_id": org_id,
                "period_on": data[self.ledger["periodColumn"]], "data": stored, "digest": digest}

    def _write(self, batch: list[dict]) -> None:
        """Insert the batch's new rows (written even after an error, all undone then, so later repeats are still
        found); a key stored before, by an earlier import or earlier in this file, must have the same content.
        Inserting first and reading only the keys that were there keeps each batch's cost independent of how many
        rows the table holds already."""
        if not batch:
            return
        first: dict[str, dict] = {}
        repeats = []
        for record in batch:
            if first.setdefault(record["key"], record) is not record:
                repeats.append(record)
        now, table = self.done.imported_at, LedgerRow.__table__
        build = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = build(table).on_conflict_do_nothing(index_elements=["ledger_key", "key"]).returning(table.c.key)
        added = set(self.session.execute(statement, [
            {"ledger_key": self.done.ledger_key, "key": r["key"], "org_id": r["org_id"], "period_on": r["period_on"],
             "data": r["data"], "digest": r["digest"], "import_id": self.done.id, "imported_at": now}
            for r in first.values()]).scalars())
        self.added += len(added)
        there = [r for key, r in first.items() if key not in added] + repeats
        if there:
            self._compare(there)

    def _compare(self, records: list[dict]) -> None:
        """Rows whose key is stored already: unchanged when the content is the same, else an error."""
        key_column = self.ledger["keyColumn"]
        stored = {k: (d, i) for k, d, i in self.session.execute(
            select(LedgerRow.key, LedgerRow.digest, LedgerRow.import_id).where(
                LedgerRow.ledger_key == self.done.ledger_key, LedgerRow.key.in_({r["key"] for r in records})))}
        for record in sorted(records, key=lambda r: r["number"]):
            digest, import_id = stored[record["key"]]
            if digest == record["digest"]:
                self.unchanged += 1
            elif import_id == self.done.id:
                self.fail(record["number"], key_column, Msg("ledger.duplicate_key", key=record["key"]))
            else:
                self.fail(record["number"], key_column, Msg("ledger.changed_row", key=record["key"]))


def _organizations(session: Session, user: User) -> tuple[dict, dict, set]:
    """Every organisation by code and by name as (id, code), and the ids of the user's subtree."""
    by_code, by_name, mine = {}, {}, set()
    for org_id, code, name, path in session.execute(select(Organization.id, Organization.code, Organization.name,
                                                           Organization.path)):
        by_code[code] = by_name[name] = (org_id, code)
        if path_within(path, user.org.path):
            mine.add(org_id)
    return by_code, by_name, mine


def _cell(value):
    """A cell's value: None for an empty one, text stripped."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _convert(column: dict, value):
    """A cell's value as its column's type, or the Msg saying why it cannot be."""
    kind = column["type"]
    if kind == "date":
        return _day(value)
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER.match(value):
            return int(value)
        return Msg("ledger.bad_integer", value=_shown(value))
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        words = {column["values"][0]: True, column["values"][1]: False, **_BOOLEANS}
        found = words.get(_text(value).lower() if isinstance(value, str) else _text(value))
        return found if found is not None else Msg("ledger.bad_boolean", value=_shown(value),
                                                   values="/".join(column["values"]))
    text = _text(value)
    if len(text) > MAX_TEXT:
        return Msg("ledger.too_long", limit=MAX_TEXT)
    if kind == "enum" and text not in column["values"]:
        return Msg("ledger.bad_choice", value=_shown(text), values="/".join(column["values"]))
    return text


def _day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return Msg("ledger.bad_date", value=_shown(value))


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))             # a number typed into a text column (a phone number, a licence)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value)


def _shown(value) -> str:
    text = _text(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _plain(data: dict) -> dict:
    """The row's values as JSON: days as ISO text."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def file_rows(filename: str, stream) -> Iterator[tuple[int, tuple]]:
    """(row number, cell values) of an xlsx file's first sheet or of a UTF-8 csv, header first, read as a ledger's
    are (a workbook that would inflate past the limits is refused unread); ImportRefused for one that cannot be
    read. For the other imports that take the same files."""
    return _rows(filename, stream)
