"""Hot-path SQL, built once with bind parameters: building a statement per call costs more than running it."""
from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from .models import AuditEvent, Case, CaseStep, HumanTask

_case = Case.__table__
_task = HumanTask.__table__

CASE_FIELDS = ("state", "meta", "title", "status", "ended_at", "updated_at", "next_timer_at", "org_id",
               "version", "error")

# Version-guarded write of a case row: matches no row when someone else committed first.
UPDATE_CASE = (update(_case).where(_case.c.id == bindparam("b_id"), _case.c.version == bindparam("b_loaded"))
               .values({name: bindparam(name) for name in CASE_FIELDS}))

CASE_STATE = select(Case.state).where(Case.id == bindparam("case_id"))

COMPLETE_TASKS = (update(_task).where(_task.c.case_id == bindparam("b_case"),
                                      _task.c.task_uuid.in_(bindparam("b_uuids", expanding=True)))
                  .values(status="completed", completed_at=bindparam("at"), completed_by=bindparam("by")))

CANCEL_TASKS = (update(_task).where(_task.c.case_id == bindparam("b_case"),
                                    _task.c.task_uuid.in_(bindparam("b_uuids", expanding=True)),
                                    _task.c.status == "ready")
                .values(status="cancelled", completed_at=bindparam("at")))

SET_TASK_DUE = (update(_task).where(_task.c.case_id == bindparam("b_case"), _task.c.task_uuid == bindparam("b_uuid"))
                .values(due_at=bindparam("due_at"), due_provisional=bindparam("due_provisional")))

INSERT_TASKS = insert(_task)
INSERT_AUDIT = insert(AuditEvent.__table__)
INSERT_STEPS = insert(CaseStep.__table__)

TASK_WITH_CASE = (select(HumanTask, Case).join(Case, HumanTask.case_id == Case.id)
                  .where(HumanTask.id == bindparam("task_id")).execution_options(populate_existing=True))
