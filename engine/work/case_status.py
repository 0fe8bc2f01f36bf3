"""A case's status as staff change it: suspend, resume, run again after an error, terminate. Each is one
transaction through `cases.mutate_case`, audited."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.models import Case
from ..runtime.cases import case_for_write, mutate_case
from ..runtime.instance import Instance


def suspend_case(engine, session: Session, case_id: int, *, actor: str = "system", reason: str = "") -> Case:
    """Suspend a running case: nothing advances it until it is resumed."""
    case = case_for_write(session, case_id)

    def change(instance: Instance) -> None:
        case.status = "suspended"
        instance.audit("case_suspended", reason=reason)

    return mutate_case(engine, session, case, actor, change)


def resume_case(engine, session: Session, case_id: int, *, actor: str = "system", reason: str = "") -> Case:
    """Resume a suspended case and run it on."""
    case = case_for_write(session, case_id)

    def change(instance: Instance) -> None:
        case.status = "running"
        instance.audit("case_resumed", reason=reason)
        instance.run()

    return mutate_case(engine, session, case, actor, change, statuses=("suspended",))


def retry_case(engine, session: Session, case_id: int, *, actor: str = "system", reason: str = "") -> Case:
    """Run a case in error again from its last good state (after the diagram, its data or the case's version
    was put right): the step that failed was never saved, so its task is open again; a step that fails
    again puts the case back in error."""
    case = case_for_write(session, case_id)
    failed_with = case.error

    def change(instance: Instance) -> None:
        case.status, case.error = "running", None
        instance.audit("case_retried", reason=reason, error=failed_with)
        instance.run()

    return mutate_case(engine, session, case, actor, change, statuses=("error",))


def terminate_case(engine, session: Session, case_id: int, *, actor: str = "system", reason: str = "") -> Case:
    """End a case early: its open tasks are cancelled."""
    case = case_for_write(session, case_id)

    def change(instance: Instance) -> None:
        instance.workflow.cancel()
        case.status, case.ended_at = "terminated", engine.now()
        instance.audit("case_terminated", reason=reason)

    return mutate_case(engine, session, case, actor, change, statuses=("running", "suspended", "error"))
