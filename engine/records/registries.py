"""Registries: directories whose fields are data (`forms/**/*.registry.json` of the active bundle), listed,
searched a page at a time (keyset on the key), read, created, edited and deactivated entry by entry; every change
is an audit row with who, when and the entry before and after. A deactivated entry stays readable (old cases show
its name) and is offered in no new choice. The import of a workbook is `registry_import.py`."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import String, cast, false, func, or_, select
from sqlalchemy.orm import Session

from ..core.errors import NotAllowed, NotFound
from ..core.messages import Msg
from ..core.models import AuditEvent, BundleFile, DirectoryEntry, Organization, User
from ..definitions.bundles import active_bundle
from .registry_checks import Checker

PAGE_SIZE = 50
ACTIONS = ("registry_entry_created", "registry_entry_updated", "registry_entry_deactivated",
           "registry_entry_reactivated")


def definitions(session: Session, bundle_id: int | None = None) -> dict[str, dict]:
    """The registries of a bundle version (by default the active one) by key, in path order."""
    if bundle_id is None:
        bundle = active_bundle(session)
        if bundle is None:
            return {}
        bundle_id = bundle.id
    files = session.scalars(select(BundleFile).where(BundleFile.bundle_id == bundle_id,
                                                     BundleFile.kind == "registry").order_by(BundleFile.path))
    found = {}
    for file in files:
        registry = json.loads(file.content)
        found[registry["key"]] = registry
    return found


def definition(session: Session, kind: str) -> dict:
    """The active bundle's registry of this kind; NotFound when it declares none."""
    registry = definitions(session).get(kind)
    if registry is None:
        raise NotFound(Msg("registry.not_found", registry=kind), registry=kind)
    return registry


def may_edit(user: User, registry: dict) -> bool:
    """Whether the user holds one of the roles the registry lets edit its entries."""
    roles = registry.get("editRoles") or []
    return any(role.code in roles or role.name in roles for role in user.roles)


def require_editor(user: User, registry: dict) -> None:
    """NotAllowed unless the user may edit the registry."""
    if not may_edit(user, registry):
        raise NotAllowed(Msg("registry.edit_role", registry=registry["title"], roles=", ".join(registry["editRoles"])),
                         registry=registry["key"])


def counts(session: Session) -> dict[str, tuple[int, int]]:
    """(active, all) entries per directory kind."""
    query = select(DirectoryEntry.kind, func.count(), func.count().filter(DirectoryEntry.active)) \
        .group_by(DirectoryEntry.kind)
    return {kind: (active, total) for kind, total, active in session.execute(query)}


def entries(session: Session, kind: str, *, q: str | None = None, status: str | None = None,
            after: str | None = None, limit: int = PAGE_SIZE) -> list[dict]:
    """A page of a directory's entries by key after `after` (keyset), those whose key, name or data contain `q`,
    only the active (`status="active"`) or deactivated ones (`"inactive"`) if asked; each `entry_dict`."""
    query = select(DirectoryEntry, Organization.code, Organization.name) \
        .outerjoin(Organization, Organization.id == DirectoryEntry.org_id).where(DirectoryEntry.kind == kind)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(DirectoryEntry.key.ilike(like, escape="\\"), DirectoryEntry.name.ilike(like, escape="\\"),
                                cast(DirectoryEntry.data, String).ilike(like, escape="\\")))
    if status in ("active", "inactive"):
        query = query.where(DirectoryEntry.active == (status == "active"))
    elif status:
        query = query.where(false())
    if after is not None:
        query = query.where(DirectoryEntry.key > after)
    found = session.execute(query.order_by(DirectoryEntry.key).limit(limit)).all()
    return [entry_dict(e, code, name) for e, code, name in found]


def entry_dict(entry: DirectoryEntry, org_code: str | None = None, org_name: str | None = None) -> dict:
    """An entry as plain data: id, kind, key, name, org (code), org_name, active and its data."""
    return {"id": entry.id, "kind": entry.kind, "key": entry.key, "name": entry.name, "org": org_code or "",
            "org_name": org_name or "", "active": entry.active, "data": dict(entry.data or {})}


def _row(session: Session, kind: str, key: str, *, lock: bool = False) -> DirectoryEntry:
    query = select(DirectoryEntry).where(DirectoryEntry.kind == kind, DirectoryEntry.key == str(key))
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound(Msg("registry.entry_not_found", registry=kind, key=key), registry=kind, key=key)
    return found


def entry(session: Session, kind: str, key: str) -> dict:
    """One entry of a directory, active or not; NotFound when there is none."""
    found = _row(session, kind, key)
    org = session.get(Organization, found.org_id) if found.org_id else None
    return entry_dict(found, org.code if org else None, org.name if org else None)


def create(session: Session, engine, user: User, kind: str, values: dict) -> dict:
    """Add an entry (`values`: key, name, org, data) to the registry as `user`, audited; DataValidationError
    naming each wrong field, nothing stored."""
    registry = definition(session, kind)
    require_editor(user, registry)
    row = store(session, engine, user, registry, None, Checker(session, registry).entry(values, new=True))
    return entry(session, kind, row.key)


def update(session: Session, engine, user: User, kind: str, key: str, values: dict) -> dict:
    """Change an entry's name, organisation and fields as `user` (data the registry does not declare is kept),
    audited with the entry before and after; unchanged values write nothing."""
    registry = definition(session, kind)
    require_editor(user, registry)
    row = _row(session, kind, key, lock=True)
    store(session, engine, user, registry, row, Checker(session, registry).entry(values, new=False))
    return entry(session, kind, key)


def store(session: Session, engine, user: User, registry: dict, row: DirectoryEntry | None, checked: dict,
          via: str = "") -> DirectoryEntry:
    """Write checked values (`Checker.entry`) as a new entry (row None) or over an existing one, audited when
    anything changed."""
    if row is None:
        row = DirectoryEntry(kind=registry["key"], key=checked["key"], name=checked["name"],
                             org_id=checked["org_id"], data=checked["data"], active=True)
        session.add(row)
        session.flush()
        _audit(session, engine, user, "registry_entry_created", row, None, via)
        return row
    before = snapshot(session, row)
    declared = {f["name"] for f in registry["fields"]}
    data = {k: v for k, v in (row.data or {}).items() if k not in declared}
    data.update(checked["data"])
    row.name, row.org_id, row.data = checked["name"], checked["org_id"], data
    session.flush()
    _audit(session, engine, user, "registry_entry_updated", row, before, via)
    return row


def set_active(session: Session, engine, user: User, kind: str, key: str, active: bool) -> dict:
    """Deactivate an entry (kept, readable on old cases, offered in no new choice) or make it active again."""
    registry = definition(session, kind)
    require_editor(user, registry)
    row = _row(session, kind, key, lock=True)
    if row.active != active:
        before = snapshot(session, row)
        row.active = active
        session.flush()
        _audit(session, engine, user, "registry_entry_reactivated" if active else "registry_entry_deactivated", row,
               before, "")
    return entry(session, kind, key)


def snapshot(session: Session, row: DirectoryEntry) -> dict:
    """What an audit row keeps of an entry: name, organisation code, whether active, data."""
    org = session.scalar(select(Organization.code).where(Organization.id == row.org_id)) if row.org_id else ""
    return {"name": row.name, "org": org or "", "active": row.active, "data": dict(row.data or {})}


def _audit(session: Session, engine, user: User, action: str, row: DirectoryEntry, before: dict | None,
           via: str) -> None:
    after = snapshot(session, row)
    if before == after:
        return
    detail: dict[str, Any] = {"registry": row.kind, "key": row.key, "before": before, "after": after}
    if via:
        detail["via"] = via
    session.add(AuditEvent(case_id=None, actor=user.username, at=engine.now(), action=action, detail=detail))


def history(session: Session, kind: str, key: str, limit: int = 200) -> list[AuditEvent]:
    """The audit rows of an entry's changes, newest first."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.case_id.is_(None), AuditEvent.action.in_(ACTIONS),
        AuditEvent.detail["registry"].as_string() == kind, AuditEvent.detail["key"].as_string() == str(key))
        .order_by(AuditEvent.id.desc()).limit(limit)))
