"""Statistics computed from the task index: on-time completion against due times."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..core.models import Case, HumanTask, Organization
from ..core.scope import path_within


@dataclass
class OnTime:
    """Completed tasks that had a due time, and how many were completed at or before it."""

    completed: int
    on_time: int

    @property
    def rate(self) -> float | None:
        """Share completed on time, or None when nothing with a due time was completed."""
        return self.on_time / self.completed if self.completed else None


def on_time(session: Session, *, org_path: str = "/", process_key: str | None = None,
            since: datetime | None = None, until: datetime | None = None) -> OnTime:
    """On-time completion of tasks with a due time, within an organisation subtree and period."""
    query = (select(func.count(), func.sum(case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0)))
             .join(Case, HumanTask.case_id == Case.id).join(Organization, HumanTask.org_id == Organization.id)
             .where(HumanTask.status == "completed", HumanTask.due_at.is_not(None),
                    path_within(Organization.path, org_path)))
    if process_key:
        query = query.where(Case.process_key == process_key)
    if since:
        query = query.where(HumanTask.completed_at >= since)
    if until:
        query = query.where(HumanTask.completed_at < until)
    completed, punctual = session.execute(query).one()
    return OnTime(completed or 0, int(punctual or 0))
