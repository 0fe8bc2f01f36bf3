"""Importing organisations and users from a workbook (xlsx, or a UTF-8 csv) into an administrator's subtree, and
the templates to fill. Each row goes through the same checks and the same audited change as the administration
pages (engine/work/administration.py): a new code or username is created, a known one is updated with the
columns the file has (an empty cell leaves its value), and a row equal to what is stored changes nothing, so a
second import of the same file is a no-op. All or nothing: when any row is wrong, nothing of the file is kept and
the errors come back by row and column (the header as the file has it). New users get one-time passwords, as the
page gives them, to be changed at the first sign-in."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, NotFound, RowErrors
from ..core.messages import Msg
from ..core.models import Organization, Role, User
from ..core.scope import path_within
from ..records.ledger_import import file_rows
from . import administration, passwords

ORG_COLUMNS = ("code", "name", "kind", "parent")
USER_COLUMNS = ("username", "display_name", "email", "org", "roles")
REQUIRED = {"orgs": ("code", "name"), "users": ("username",)}
KIND = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
ROLE_SEPARATORS = re.compile(r"[,\uff0c\u3001;\uff1b\s]+")     # commas, 顿号 and semicolons, either width
MAX_ROWS = 5000


def header(kind: str, column: str) -> Msg:
    """The message a column's header is rendered from (`kind`: orgs or users)."""
    return Msg(f"people_import.{kind}_{column}")


def columns(kind: str) -> tuple[str, ...]:
    """The columns of an import of `kind` (orgs or users)."""
    return ORG_COLUMNS if kind == "orgs" else USER_COLUMNS


def template_workbook(kind: str, text: Callable[[Msg], str] = str, rows: Iterable[list] = ()) -> bytes:
    """A workbook to fill for `kind`: its headers (rendered by `text`, the reader's language) and the given rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = text(Msg(f"people_import.{kind}_sheet"))[:31]
    sheet.append([text(header(kind, c)) for c in columns(kind)])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def current_rows(session: Session, admin: User, kind: str) -> list[list]:
    """The administrator's organisations or users as rows of the template (an export to edit and import again)."""
    if kind == "orgs":
        return [[o.code, o.name, o.kind, o.parent.code if o.parent and o.id != admin.org_id else ""]
                for o in administration.managed_orgs(session, admin)]
    users = session.scalars(select(User).join(Organization, User.org_id == Organization.id)
                            .where(path_within(Organization.path, admin.org.path)).order_by(User.username))
    return [[u.username, u.display_name, u.email or "", u.org.code, ",".join(sorted(r.code for r in u.roles))]
            for u in users]


@dataclass
class Imported:
    """What an import did: counts, and the one-time password of each user it created (shown once)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    passwords: list[tuple[str, str]] = field(default_factory=list)


def import_orgs(session: Session, admin: User, filename: str, stream, now: datetime,
                texts: Iterable[Callable[[Msg], str]] = (str,)) -> Imported:
    """Import organisations (code, name, kind, parent code) into the administrator's subtree; a parent may be a
    row of the same file, in any order. ImportRefused, nothing kept, when any row is wrong."""
    run = _Run("orgs", texts)
    given = run.read(file_rows(filename, stream))
    done = Imported()
    with session.begin_nested():
        for number, values in _parents_first(run, given):
            try:
                org = administration.managed_org(session, admin, values["code"])
            except NotFound:
                org = None
            try:
                if org is None:
                    administration.create_org(session, admin, values, now)
                    done.added += 1
                    continue
                before = administration.org_values(org)
                administration.change_org(session, admin, org, _present(values, ("name", "kind", "parent")), now)
                changed = administration.org_values(org) != before
                done.updated, done.unchanged = done.updated + changed, done.unchanged + (not changed)
            except DataValidationError as refused:
                run.refused(number, refused)
        run.finish(filename, done, session, admin, now)
    return done


def import_users(session: Session, admin: User, filename: str, stream, now: datetime,
                 new_password: Callable[[User], tuple[str, str]],
                 texts: Iterable[Callable[[Msg], str]] = (str,)) -> Imported:
    """Import users (username, name, e-mail, organisation code, roles by code or name) into the administrator's
    subtree; each new one gets a one-time password, once every row is good: (password, hash) from `new_password`
    (the deployment's generator, as the page's new user gets), its hash kept in the account's password history.
    ImportRefused, nothing kept, when any row is wrong."""
    run = _Run("users", texts)
    given = run.read(file_rows(filename, stream))
    roles = {r.name: r.code for r in session.scalars(select(Role))}
    done, new = Imported(), []
    with session.begin_nested():
        for number, values in given:
            if "roles" in values:
                values["roles"] = [roles.get(r, r) for r in ROLE_SEPARATORS.split(values["roles"]) if r]
            user = session.scalar(select(User).where(func.lower(User.username) == values["username"].lower()))
            try:
                if user is None:
                    new.append(administration.create_user(session, admin, values, "", now))
                    done.added += 1
                    continue
                user = _managed(session, admin, user, number, run)
                if user is None:
                    continue
                before = administration.user_values(user)
                administration.change_user(session, admin, user, _present(values, USER_COLUMNS[1:]), now)
                changed = administration.user_values(user) != before
                done.updated, done.unchanged = done.updated + changed, done.unchanged + (not changed)
            except DataValidationError as refused:
                run.refused(number, refused)
        run.finish(filename, done, session, admin, now)
        for user in new:
            password, user.password_hash = new_password(user)
            passwords.remember(session, user.id, user.password_hash, now)
            done.passwords.append((user.username, password))
        session.flush()
    return done


def _managed(session: Session, admin: User, user: User, number: int, run: _Run) -> User | None:
    """The user if the administrator manages him; otherwise the row is refused as naming a taken username."""
    try:
        return administration.managed_user(session, admin, user.id)
    except NotFound:
        run.fail(number, "username", Msg("admin.username_taken", username=user.username))
        return None


def _present(values: dict, names: Iterable[str]) -> dict:
    """The values a row gives for an existing record: the columns the file has, empty cells left out."""
    return {name: values[name] for name in names if values.get(name) not in (None, "")}


def _parents_first(run: _Run, given: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """The rows ordered so that a parent the file adds comes before its children; a cycle is refused by row."""
    by_code = {values["code"]: (number, values) for number, values in given}
    ordered, placed = [], set()

    def place(code: str, trail: tuple[str, ...]) -> None:
        if code in placed:
            return
        number, values = by_code[code]
        parent = values.get("parent") or ""
        if parent in trail or parent == code:
            run.fail(number, "parent", Msg("people_import.parent_cycle", code=code, parent=parent))
            placed.add(code)
            return
        if parent in by_code:
            place(parent, (*trail, code))
        placed.add(code)
        ordered.append((number, values))

    for code in by_code:
        place(code, ())
    return ordered


class _Run(RowErrors):
    """One import being read and checked: where each column is, the file's headers, errors by row and column."""

    def __init__(self, kind: str, texts: Iterable[Callable[[Msg], str]]):
        self.kind, self.texts = kind, tuple(texts)
        self.places: dict[str, int] = {}
        # a column's header as the file has it; until read, as the template has it (in the first of `texts`)
        super().__init__({name: self.texts[0](header(kind, name)) for name in columns(kind)})

    def refused(self, row: int, refused: DataValidationError) -> None:
        """Note each field a refused change names, under its column (a role's error under the roles column)."""
        for error in refused.errors:
            self.fail(row, error.field.split(".")[0], error.msg)

    def read(self, rows: Iterator[tuple[int, tuple]]) -> list[tuple[int, dict]]:
        """The rows below the header as {column: text}, each checked for what needs no database."""
        first = next(rows, None)
        if first is None or not self._header(first[1]):
            if first is None:
                self.fail(1, "", Msg("ledger.empty"))
            raise self.refusal(kind=self.kind)
        given, seen = [], {}
        key = REQUIRED[self.kind][0]
        for number, cells in rows:
            if all(cell is None or not str(cell).strip() for cell in cells):
                continue
            if len(given) >= MAX_ROWS:
                self.fail(number, "", Msg("ledger.too_many_rows", limit=MAX_ROWS))
                break
            values = {name: _text(cells[i] if i < len(cells) else None) for name, i in self.places.items()}
            for name in REQUIRED[self.kind]:
                if not values[name]:
                    self.fail(number, name, Msg("admin.required"))
            if values.get("kind") and not KIND.fullmatch(values["kind"]):
                self.fail(number, "kind", Msg("people_import.kind_invalid", kind=values["kind"]))
            folded = values[key].lower()
            if folded and folded in seen:
                self.fail(number, key, Msg("people_import.duplicate", value=values[key], row=seen[folded]))
                continue
            seen[folded] = number
            given.append((number, values))
        if not given and not self.total:
            self.fail(2, "", Msg("ledger.empty"))
        if self.total:
            raise self.refusal(kind=self.kind)
        return given

    def _header(self, cells: tuple) -> bool:
        known = {}
        for name in columns(self.kind):
            msg = header(self.kind, name)
            known.update({name: name, str(msg): name, **{text(msg): name for text in self.texts}})
        for index, cell in enumerate(cells):
            name = known.get(_text(cell))
            if name is None:
                continue
            if name in self.places:
                self.fail(1, name, Msg("ledger.duplicate_header"))
            self.places[name], self.headers[name] = index, _text(cell)
        for name in REQUIRED[self.kind]:
            if name not in self.places:
                self.fail(1, name, Msg("ledger.missing_column"))
        return not self.total

    def finish(self, filename: str, done: Imported, session: Session, admin: User, now: datetime) -> None:
        """Refuse the whole file if any row was wrong; else audit the import as one event."""
        if self.total:
            raise self.refusal(kind=self.kind)
        administration.audit(session, admin, now, f"{self.kind}_imported", filename=filename[:300],
                             added=done.added, updated=done.updated, unchanged=done.unchanged)


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()
