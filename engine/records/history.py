"""A case's recorded history: every audit event, the elements its path has finished (carried by those events), and
what each completion of a task signed."""
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


def signed_answer(values: dict) -> dict:
    """What a completion records as signed: the form's answers that are plain values or lists of them (a decision,
    an opinion, a date, choices), not uploaded files or score sheets, which the case keeps elsewhere."""
    return {k: v for k, v in values.items() if is_signed_value(v)}


def is_signed_value(value) -> bool:
    """Whether a completion records this answer: a plain value, or a non-empty list of plain values."""
    return _plain(value) or (isinstance(value, list) and bool(value) and all(map(_plain, value)))


def _plain(value) -> bool:
    return isinstance(value, (bool, int, float, str))


def signed_answers(session: Session, case_ids: set[int], task_uuids: set[str]) -> dict[str, dict | None]:
    """What each of these task completions signed, by task uuid (None for a completion recorded before answers
    were kept)."""
    if not task_uuids:
        return {}
    rows = session.execute(select(AuditEvent.task_uuid, AuditEvent.detail).where(
        AuditEvent.case_id.in_(case_ids), AuditEvent.action == "task_completed",
        AuditEvent.task_uuid.in_(task_uuids)))
    return {uuid: (detail or {}).get("answer") for uuid, detail in rows}
