"""A newly entered holiday schedule changes deadlines already computed: the cases it affects are re-evaluated."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from ..core.db import begin_write
from ..core.errors import CaseFailed, ConflictError
from ..core.models import Case, HumanTask
from ..time.calendar_store import store_year
from .cases import mutate_case
from .instance import Instance


def enter_year(engine, session: Session, year: int, holidays: list[date], workdays: list[date], *,
               actor: str, note: str = "", before_write: Callable[[Session], None] | None = None) -> int:
    """Store a year's official schedule, then recompute the provisional deadlines; return cases updated.
    `before_write` runs in the storing transaction (see store_year)."""
    store_year(engine, session, year, holidays, workdays, actor=actor, note=note, before_write=before_write)
    return recompute_deadlines(engine, session, year)


def cases_with_provisional_deadlines(session: Session, year: int) -> list[int]:
    """Running cases with a provisional task due time, or a timer due in or after `year`."""
    by_task = select(HumanTask.case_id).where(HumanTask.status == "ready", HumanTask.due_provisional)
    by_timer = select(Case.id).where(Case.status.in_(("running", "suspended")),
                                     extract("year", Case.next_timer_at) >= year)
    return sorted(set(session.scalars(by_task)) | set(session.scalars(by_timer)))


def recompute_deadlines(engine, session: Session, year: int) -> int:
    """Re-evaluate date timers and task due times of the cases a newly entered year affects."""
    updated = 0
    for case_id in cases_with_provisional_deadlines(session, year):
        begin_write(session)
        case = session.get(Case, case_id, populate_existing=True)
        if case is None or case.status not in ("running", "suspended"):
            continue
        try:
            mutate_case(engine, session, case, "calendar", _recompute, statuses=("running", "suspended"))
            updated += 1
        except (ConflictError, CaseFailed):
            continue
    return updated


def _recompute(instance: Instance) -> None:
    for task in instance.workflow.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition):
            task.internal_data.pop("event_value", None)
    instance.recompute_due = True
    instance.audit("deadlines_recomputed")
    if instance.case.status == "running":     # a suspended case re-evaluates its timers when resumed
        instance.run()

