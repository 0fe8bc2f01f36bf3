"""A case's recorded history: every audit event, and the elements its path has finished (carried by those events)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import AuditEvent


@dataclass(frozen=True)
class PathStep:
    """A finished element of a case's path."""

    element_id: str
    name: str
    kind: str
    finished_at: datetime


def case_path(session: Session, case_id: int) -> list[PathStep]:
    """The finished elements of a case, in order (each audit event carries those its change finished)."""
    rows = session.execute(select(AuditEvent.at, AuditEvent.steps)
                           .where(AuditEvent.case_id == case_id, AuditEvent.steps.is_not(None))
                           .order_by(AuditEvent.id))
    return [PathStep(s["element_id"], s["name"], s["kind"], _finished_at(s, at)) for at, steps in rows for s in steps]


def _finished_at(step: dict, event_at: datetime) -> datetime:
    # Steps recorded before the path moved into audit events keep their own moment.
    return datetime.fromisoformat(step["finished_at"]) if "finished_at" in step else event_at


def case_history(session: Session, case_id: int) -> list[AuditEvent]:
    """Every audit event of a case, in order."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)))
