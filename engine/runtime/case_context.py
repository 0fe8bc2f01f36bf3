"""Helpers that answer questions about the running case's surroundings (related cases, directories).

They read the instance being run from a context variable the runner sets, so diagrams call them like the
other helpers, and they only ever read.
"""
from __future__ import annotations

import contextvars
import copy
from contextlib import contextmanager

from sqlalchemy import select

from ..core.messages import Msg
from ..core.models import Case, Organization
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
    for field, value in criteria.items():
        query = query.where(Case.meta[field].as_string() == str(value))
    return [{"id": c.id, "number": c.business_number, "title": c.title, "status": c.status,
             "created_at": c.created_at.isoformat(), "meta": copy.deepcopy(c.meta or {})}
            for c in instance.session.scalars(query.order_by(Case.id))]


def directory_entry(kind: str, key) -> dict | None:
    """A directory entry as plain data, or None."""
    return copy.deepcopy(directory.entry_dict(directory.find(_instance().session, kind, str(key))))


def organization_name(code: str) -> str:
    """The name of an organisation by code ("" when there is none)."""
    return _instance().session.scalar(select(Organization.name).where(Organization.code == code)) or ""


HELPERS = {"related_cases": related_cases, "directory_entry": directory_entry, "organization_name": organization_name}
