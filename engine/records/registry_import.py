"""Importing a registry's entries from a workbook (xlsx, or a UTF-8 csv), and the template to fill. All or
nothing: every row is checked against the registry's fields, and when any is wrong nothing is stored and the
errors come back by row and column (the column's header as the file has it). Rows are matched to entries by
their key (a licence number, a credit code): a new key adds an entry, a known one is updated with the columns
the file has, and a row equal to its entry changes nothing, so importing the same file again is a no-op. Each
change is audited like an edit on the page, with the file's name."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import RowErrors
from ..core.messages import Msg
from ..core.models import AuditEvent, DirectoryEntry, User
from .ledger_import import _rows as file_rows
from .registries import definition, require_editor, snapshot, store
from .registry_checks import Checker, cell_text

MAX_ROWS = 20_000               # a registry past this is not one
_ABOUT = ("ledger.about_header", "ledger.about_name", "ledger.about_type", "ledger.about_required",
          "ledger.about_values", "ledger.about_description")


def template_workbook(registry: dict, text: Callable[[Msg], str] = str, entries: list[dict] | None = None) -> bytes:
    """A workbook to fill: the key, name and organisation headers and each field's in the first row (below them
    the given entries, enumerations by their labels, lists joined by commas), and a second sheet describing each
    column (its own headers rendered by `text`, the reader's language)."""
    book = Workbook()
    sheet = book.active
    sheet.title = registry["title"][:31]
    fields = registry["fields"]
    sheet.append([registry["keyHeader"], registry["nameHeader"], registry["orgHeader"]] + [f["header"] for f in fields])
    for found in entries or []:
        sheet.append([found["key"], found["name"], found["org"]] + [_cell(f, found["data"].get(f["name"]))
                                                                     for f in fields])
    about = book.create_sheet(text(Msg("ledger.about_sheet"))[:31])
    about.append([text(Msg(code)) for code in _ABOUT])
    about.append([registry["keyHeader"], "key", "string", True, "", registry.get("keyPatternMessage", "")])
    about.append([registry["nameHeader"], "name", "string", True, "", ""])
    about.append([registry["orgHeader"], "org", "string", False, "", ""])
    for field in fields:
        about.append([field["header"], field["name"], field["type"], bool(field.get("required")),
                      "/".join(field.get("labels") or field.get("values", [])), field.get("description", "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(field: dict, value):
    if value is None:
        return None
    if field["type"] == "list":
        return ",".join(str(v) for v in value)
    if field["type"] == "enum" and field.get("labels") and value in field["values"]:
        return field["labels"][field["values"].index(value)]
    if field["type"] == "boolean":
        return field["values"][0] if value else field["values"][1]
    return value


def import_file(session: Session, engine, user: User, kind: str, filename: str, stream) -> dict:
    """Import a file into the registry `kind` as `user` (who must be one of its editors): {added, updated,
    unchanged}. ImportRefused, nothing stored, when any row is wrong."""
    registry = definition(session, kind)
    require_editor(user, registry)
    run = _Run(session, registry)
    records = run.read(file_rows(filename, stream))
    if run.total:
        raise run.refusal(registry=kind)
    via = f"import:{filename[:200]}"
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    with session.begin_nested():
        for row, checked in records:
            before = snapshot(session, row) if row is not None else None
            stored = store(session, engine, user, registry, row, checked, via)
            counts["added" if before is None else "unchanged" if snapshot(session, stored) == before
                   else "updated"] += 1
        session.add(AuditEvent(case_id=None, actor=user.username, at=engine.now(), action="registry_imported",
                               detail={"registry": kind, "filename": filename[:300], **counts}))
        session.flush()
    return counts


class _Run(RowErrors):
    """One import being checked: the header's columns, the rows read, errors by row and column (a column: "key",
    "name", "org", "data.<field>", or "" for the row)."""

    def __init__(self, session: Session, registry: dict):
        self.session, self.registry = session, registry
        super().__init__({"key": registry["keyHeader"], "name": registry["nameHeader"], "org": registry["orgHeader"],
                          **{f"data.{f['name']}": f["header"] for f in registry["fields"]}})
        self.places: dict[str, int] = {}            # "key", "name", "org", "data.<field>" -> index in a row

    def read(self, rows: Iterator[tuple[int, tuple]]) -> list[tuple[DirectoryEntry | None, dict]]:
        """Every row checked: (the entry it updates or None, its checked values) for each, errors noted."""
        header = next(rows, None)
        if header is None:
            self.fail(1, "", Msg("ledger.empty"))
            return []
        if not self._header(header[1]):
            return []
        given: list[tuple[int, dict]] = []
        for number, cells in rows:
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
                continue
            if len(given) >= MAX_ROWS:
                self.fail(number, "", Msg("ledger.too_many_rows", limit=MAX_ROWS))
                break
            given.append((number, {name: cells[i] if i < len(cells) else None for name, i in self.places.items()}))
        if not given:
            self.fail(2, "", Msg("ledger.empty"))
        return self._checked(given)

    def _header(self, cells: tuple) -> bool:
        known = {}
        for name, header in self.headers.items():
            known[header] = name
            known[name.removeprefix("data.")] = name
        for index, cell in enumerate(cells):
            name = known.get(str(cell).strip()) if cell is not None else None
            if name is not None and name in self.places:
                self.fail(1, name, Msg("ledger.duplicate_header"))
            elif name is not None:
                self.places[name] = index
        for name in ("key", "name"):
            if name not in self.places:
                self.fail(1, name, Msg("ledger.missing_column"))
        return not self.total

    def _checked(self, given: list[tuple[int, dict]]) -> list[tuple[DirectoryEntry | None, dict]]:
        kind = self.registry["key"]
        keys = [cell_text(cells.get("key")) for _, cells in given]
        existing = {row.key: row for row in self.session.scalars(select(DirectoryEntry).where(
            DirectoryEntry.kind == kind, DirectoryEntry.key.in_({k for k in keys if k})))}
        checker = Checker(self.session, self.registry, pending={k for k in keys if k})
        found, seen = [], set()
        for (number, cells), key in zip(given, keys):
            if key and key in seen:
                self.fail(number, "key", Msg("registry.duplicate_key", key=key))
                continue
            seen.add(key)
            row = existing.get(key) if key else None
            errors, checked = checker.problems(self._values(cells, row), new=row is None)
            for error in errors:
                self.fail(number, error.field, error.msg)
            if not errors:
                found.append((row, checked))
        return found

    def _values(self, cells: dict, row: DirectoryEntry | None) -> dict:
        """The row's values as an edit gives them; for an entry that exists, what the file has no column for is
        its own."""
        values: dict = {"data": {}}
        if row is not None:
            values.update(snapshot(self.session, row))
            values["data"] = dict(values["data"])
        for name, value in cells.items():
            if name.startswith("data."):
                values["data"][name.removeprefix("data.")] = value
            else:
                values[name] = value
        return values
