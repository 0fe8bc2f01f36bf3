"""Directories: reference lists (kind, key → name, data) that forms and diagrams look values up in.

A form field declares `"x-directory": "<kind>"`; a submitted value must then be the key of an active entry
of that kind (`"x-organization": true`: the code of an organisation). Diagrams read entries with the
`directory_entry(kind, key)` helper.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import FieldError
from ..core.messages import Msg
from ..core.models import DirectoryEntry, Organization
from ..core.vocabulary import DIRECTORY_KEYWORD, ORGANIZATION_KEYWORD



def add_entry(session: Session, kind: str, key: str, name: str, *, org_code: str | None = None,
              data: dict | None = None) -> DirectoryEntry:
    """Add an entry to a directory."""
    org_id = session.scalar(select(Organization.id).where(Organization.code == org_code)) if org_code else None
    entry = DirectoryEntry(kind=kind, key=key, name=name, org_id=org_id, data=data or {})
    session.add(entry)
    session.flush()
    return entry


def find(session: Session, kind: str, key: str) -> DirectoryEntry | None:
    """The active entry of a directory with this key, if any."""
    return session.scalar(select(DirectoryEntry).where(
        DirectoryEntry.kind == kind, DirectoryEntry.key == str(key), DirectoryEntry.active))


def entry_dict(entry: DirectoryEntry | None) -> dict | None:
    """An entry as plain data for diagrams and templates."""
    if entry is None:
        return None
    return {"kind": entry.kind, "key": entry.key, "name": entry.name, **(entry.data or {})}


def directory_errors(session: Session, schema: dict, data, path: str = "") -> list[FieldError]:
    """Field errors for values of `x-directory` fields that name no active entry (nested objects and lists too)."""
    errors: list[FieldError] = []
    kind = schema.get(DIRECTORY_KEYWORD)
    if kind and isinstance(data, (str, int)) and find(session, kind, str(data)) is None:
        title = schema.get("title") or Msg("directory.default_title")
        errors.append(FieldError(path, Msg("directory.not_listed", value=data, title=title), "directory"))
    if schema.get(ORGANIZATION_KEYWORD) and isinstance(data, str):
        active = session.scalar(select(Organization.active).where(Organization.code == data))
        if active is None:
            errors.append(FieldError(path, Msg("directory.org_not_found", value=data), "organization"))
        elif not active:
            errors.append(FieldError(path, Msg("org.inactive", code=data), "organization"))
    if isinstance(data, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in data:
                errors += directory_errors(session, sub, data[name], f"{path}.{name}" if path else name)
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(data):
            errors += directory_errors(session, schema["items"], item, f"{path}.{i}")
    return errors


def choices(session: Session, schema: dict) -> dict[str, list[tuple[str, str]]]:
    """For each directory or organisation field of a form (nested ones too, by property name): (key, label), the
    label being the entry's or organisation's name (people choose by name; the key is what the form stores)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, sub in (schema.get("properties") or {}).items():
        kind = sub.get(DIRECTORY_KEYWORD)
        if kind:
            found[name] = [(e.key, e.name) for e in session.scalars(
                select(DirectoryEntry).where(DirectoryEntry.kind == kind, DirectoryEntry.active)
                .order_by(DirectoryEntry.key))]
        elif sub.get(ORGANIZATION_KEYWORD):
            found[name] = [(o.code, o.name) for o in session.scalars(
                select(Organization).where(Organization.active).order_by(Organization.path))]
        for nested in (sub, sub.get("items") or {}):
            if nested.get("type") == "object":
                found.update(choices(session, nested))
    return found
