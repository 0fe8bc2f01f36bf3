"""Helpers that answer questions about the running case's surroundings (related cases, directories).

They read the instance being run from a context variable the runner sets, so diagrams call them like the
other helpers, and they only ever read.
"""
from __future__ import annotations

import contextvars
import copy
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..core.messages import Msg
from ..core.meta_fields import fields_equal
from ..core.vocabulary import DIRECTORY_ENTRIES_HELPER, FIND_CASES_HELPER
from ..core.models import Case, DirectoryEntry, Organization
from ..core.scope import path_within
from ..records import directory

_current = contextvars.ContextVar("lawflow_running_instance", default=None)


@contextmanager
def running(instance):
    """Make `instance` the case the helpers answer about while the block runs."""
    token = _current.set(instance)
    try:
        yield
    finally:
        _current.reset(token)


def _instance():
    instance = _current.get()
    if instance is None:
        raise RuntimeError(Msg("context.not_running"))
    return instance


def related_cases(**criteria) -> list[dict]:
    """Other cases of this process whose reportable fields equal all the given values, oldest first."""
    instance = _instance()
    if not criteria:
        raise ValueError(Msg("context.related_needs_criteria"))
    query = select(Case).where(Case.process_key == instance.case.process_key, Case.id != instance.case.id)
    query = query.where(fields_equal(Case.meta, criteria))
    return [{"id": c.id, "number": c.business_number, "title": c.title, "status": c.status,
             "created_at": c.created_at.isoformat(), "meta": copy.deepcopy(c.meta or {})}
            for c in instance.session.scalars(query.order_by(Case.id))]


def directory_entry(kind: str, key) -> dict | None:
    """A directory entry as plain data, or None."""
    return copy.deepcopy(directory.entry_dict(directory.find(_instance().session, kind, str(key))))


def directory_entries(kind: str, **where) -> list[dict]:
    """A directory's active entries as plain data in key order, kept to those whose fields (key, name or data)
    equal the given values (a list value: any of them), so a diagram can take a whole register as its pool."""
    query = select(DirectoryEntry).where(DirectoryEntry.kind == str(kind), DirectoryEntry.active)
    entries = [directory.entry_dict(e) for e in _instance().session.scalars(query.order_by(DirectoryEntry.key))]
    return [copy.deepcopy(e) for e in entries if all(_matches(e.get(f), v) for f, v in where.items())]


def _matches(value, wanted) -> bool:
    """Whether an entry's value is the wanted one (or one of a wanted list), compared as text."""
    if isinstance(wanted, (list, tuple)):
        return str(value) in {str(w) for w in wanted} and value is not None
    return value is not None and str(value) == str(wanted)


def organization_name(code: str) -> str:
    """The name of an organisation by code ("" when there is none)."""
    return _instance().session.scalar(select(Organization.name).where(Organization.code == code)) or ""


def where_fields(query, where: dict):
    """The query kept to cases whose reportable fields equal the values (a list value: any of them)."""
    single = {field: value for field, value in where.items() if not isinstance(value, (list, tuple))}
    if single:
        query = query.where(fields_equal(Case.meta, single))
    for field, value in where.items():
        if isinstance(value, (list, tuple)):
            query = query.where(Case.meta[field].as_string().in_([str(v) for v in value]))
    return query


def organizations(kind: str | None = None, under: str | None = None) -> list[dict]:
    """Organisations as plain data, in tree order: of one kind, and/or in the subtree below one code."""
    parent = aliased(Organization)
    query = (select(Organization.code, Organization.name, Organization.kind, parent.code.label("parent"))
             .outerjoin(parent, Organization.parent_id == parent.id).where(Organization.active)
             .order_by(Organization.path))
    if kind is not None:
        query = query.where(Organization.kind == str(kind))
    if under is not None:
        root = _instance().session.scalar(select(Organization.path).where(Organization.code == str(under)))
        if root is None:
            return []
        query = query.where(path_within(Organization.path, root), Organization.path != root)
    return [dict(row._mapping) for row in _instance().session.execute(query)]


def child_cases(**where) -> list[dict]:
    """The cases this case started (its participants), oldest first, kept to those whose reportable fields
    equal the given values (a list value: any of them)."""
    instance = _instance()
    query = (select(Case.id, Case.business_number, Case.status, Case.meta, Organization.code)
             .outerjoin(Organization, Case.org_id == Organization.id).where(Case.parent_id == instance.case.id))
    return [{"id": row.id, "number": row.business_number, "status": row.status, "org": row.code,
             "meta": copy.deepcopy(row.meta or {})}
            for row in instance.session.execute(where_fields(query, where).order_by(Case.id))]


def find_cases(process: str, **where) -> list[dict]:
    """The running cases of a process whose reportable fields equal the given values (a list value: any of them),
    oldest first, so a diagram can take another procedure's cases as its pool."""
    query = (select(Case.id, Case.business_number, Case.meta, Organization.code)
             .outerjoin(Organization, Case.org_id == Organization.id)
             .where(Case.process_key == str(process), Case.status == "running"))
    return [{"id": row.id, "number": row.business_number, "org": row.code, "meta": copy.deepcopy(row.meta or {})}
            for row in _instance().session.execute(where_fields(query, where).order_by(Case.id))]


HELPERS = {"related_cases": related_cases, "directory_entry": directory_entry, "organization_name": organization_name,
           "organizations": organizations, "child_cases": child_cases, DIRECTORY_ENTRIES_HELPER: directory_entries,
           FIND_CASES_HELPER: find_cases}
