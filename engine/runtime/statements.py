"""Hot-path SQL, built once with bind parameters: building a statement per call costs more than running it."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, insert, select, update

from ..core.models import AuditEvent, Case, HumanTask, Organization
from ..core.scope import visible

_case = Case.__table__
_task = HumanTask.__table__
_org = Organization.__table__

CASE_FIELDS = ("state", "meta", "title", "status", "ended_at", "updated_at", "next_timer_at", "org_id",
               "version", "error", "search_text")


@lru_cache(maxsize=256)
def update_case(columns: tuple[str, ...]):
    """Version-guarded write of these columns of a case row: matches no row when someone else committed first."""
    return (update(_case).where(_case.c.id == bindparam("b_id"), _case.c.version == bindparam("b_loaded"))
            .values({name: bindparam(name) for name in columns}))


CASE_STATE = select(Case.state).where(Case.id == bindparam("case_id"))

# One task per parameter set (executemany for several): an expanding IN list is re-rendered on every call.
COMPLETE_TASK = (update(_task).where(_task.c.case_id == bindparam("b_case"), _task.c.task_uuid == bindparam("b_uuid"))
                 .values(status="completed", completed_at=bindparam("at"), completed_by=bindparam("by")))

CANCEL_TASK = (update(_task).where(_task.c.case_id == bindparam("b_case"), _task.c.task_uuid == bindparam("b_uuid"),
                                   _task.c.status == "ready")
               .values(status="cancelled", completed_at=bindparam("at")))

SET_TASK_DUE = (update(_task).where(_task.c.case_id == bindparam("b_case"), _task.c.task_uuid == bindparam("b_uuid"))
                .values(due_at=bindparam("due_at"), due_provisional=bindparam("due_provisional")))

# New task rows, answering their ids (in the order of the parameter sets).
INSERT_TASKS_RETURNING_IDS = insert(_task).returning(_task.c.id, sort_by_parameter_order=True)
INSERT_AUDIT = insert(AuditEvent.__table__)
# The same rows when nobody needs their ids (a batch of timers, timers.py): one executemany.
INSERT_TASKS = insert(_task)

# A case's columns but its state, as TASK_FOR_COMPLETION names them (case_<column>).
CASE_COLUMNS = tuple(c.key for c in _case.c if c.key != "state")

# What completing a task reads, in one round trip and as plain columns: the task's columns the checks need, its
# case's row and stored state, and the case organisation's path. The state is read even when a live workflow
# has the case: a second query would cost more than the text.
TASK_FOR_COMPLETION = (select(_task.c.id, _task.c.task_uuid, _task.c.element_id, _task.c.name,
                              _task.c.lane, _task.c.form, _task.c.org_id, _task.c.candidate_users,
                              _task.c.assignee_id, _task.c.status, _task.c.completed_by, _task.c.delegation,
                              *(_case.c[key].label(f"case_{key}") for key in CASE_COLUMNS),
                              _case.c.state.label("case_state"), _org.c.path.label("org_path"))
                       .select_from(_task).join(_case, _case.c.id == _task.c.case_id)
                       .outerjoin(_org, _case.c.org_id == _org.c.id)
                       .where(_task.c.id == bindparam("task_id")))

# The same for a member of staff: a task of a case they may not see (scope.py's rule for the organisation subtree
# at `scope` and the user `user`) is not found.
TASK_FOR_COMPLETION_WITHIN = TASK_FOR_COMPLETION.where(
    visible(_org.c.path, bindparam("scope"), _case.c.id, bindparam("user")))

READY_TASK_REFS = (select(_task.c.id, _task.c.name, _task.c.lane)
                   .where(_task.c.case_id == bindparam("case_id"), _task.c.status == "ready").order_by(_task.c.id))
