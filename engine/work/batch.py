"""Batch operations on a selection (签收, 转办, 催办 of many tasks at once, from the inbox or the case list): each
item is the ordinary task operation in its own transaction, so a refused item changes nothing and the others go on;
the answer says, item by item, which succeeded and why the others did not."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import DataValidationError, EngineError, FieldError, NotFound
from ..core.messages import Msg
from ..core.models import Case, HumanTask, User
from ..core.people import is_candidate
from ..core.scope import scoped
from . import tasks

OPERATIONS = ("claim", "transfer", "urge")
MAX_ITEMS = 200


@dataclass
class Outcome:
    """One item of a batch: the task (or, when a chosen case had no task for it, the case) and its refusal."""

    task_id: int | None
    case_id: int | None
    number: str | None = None          # the case's business number, where the user may see the case
    name: str | None = None            # the task's name
    error: EngineError | None = None

    @property
    def ok(self) -> bool:
        """Whether the item's operation was done."""
        return self.error is None


def check_request(operation: str | None, ids: list[int], field: str) -> None:
    """Refuse an unknown operation (None: no operation asked), an empty selection or one past MAX_ITEMS, each
    problem naming its field."""
    problems = []
    if operation is not None and operation not in OPERATIONS:
        problems.append(FieldError("operation", Msg("batch.operation_one_of", choices=", ".join(OPERATIONS)), "enum"))
    if not ids:
        problems.append(FieldError(field, Msg("batch.choose_some"), "required"))
    elif len(ids) > MAX_ITEMS:
        problems.append(FieldError(field, Msg("batch.too_many_items", count=len(ids), limit=MAX_ITEMS), "maxItems"))
    if problems:
        code = "batch.bad_operation" if problems[0].field == "operation" else (
            "batch.nothing_chosen" if not ids else "batch.too_many")
        raise DataValidationError(Msg(code, limit=MAX_ITEMS), problems)


def run(engine, session: Session, user: User, operation: str, task_ids: list[int], *, to: str = "",
        reason: str = "", note: str = "") -> list[Outcome]:
    """Do the operation on each task, each in its own transaction; an outcome per task, in the order given."""
    check_request(operation, task_ids, "tasks")
    calls = {
        "claim": lambda tid: tasks.claim(engine, session, tid, user),
        "transfer": lambda tid: tasks.transfer(engine, session, tid, user, to, reason),
        "urge": lambda tid: tasks.urge(engine, session, tid, user, note),
    }
    return [_one(session, user, calls[operation], task_id) for task_id in dict.fromkeys(task_ids)]


def run_on_cases(engine, session: Session, user: User, operation: str, case_ids: list[int], **params) -> list[Outcome]:
    """The operation on the chosen cases' open tasks it applies to (claim: those the user may claim; transfer:
    those the user holds; urge: every open task); a case with none is an outcome of its own, refused."""
    check_request(operation, case_ids, "cases")
    chosen = list(dict.fromkeys(case_ids))
    seen = {c.id: c for c in session.scalars(scoped(select(Case), user, Case.org_id).where(Case.id.in_(chosen)))}
    open_tasks = session.scalars(scoped(select(HumanTask).join(Case, HumanTask.case_id == Case.id), user, Case.org_id)
                                 .where(HumanTask.case_id.in_(chosen), HumanTask.status == "ready")
                                 .order_by(HumanTask.case_id, HumanTask.id))
    by_case: dict[int, list[int]] = {}
    for task in open_tasks:
        if _applies(session, user, operation, task):
            by_case.setdefault(task.case_id, []).append(task.id)
    session.rollback()      # end the reading transaction: each item writes in its own
    outcomes = []
    for case_id in chosen:
        if case_id not in seen:
            outcomes.append(Outcome(None, case_id, error=NotFound(Msg("case.not_found"), case=case_id)))
        elif case_id not in by_case:
            outcomes.append(Outcome(None, case_id, seen[case_id].business_number, error=_nothing_to_do(operation)))
        else:
            outcomes += run(engine, session, user, operation, by_case[case_id], **params)
    return outcomes


def _applies(session: Session, user: User, operation: str, task: HumanTask) -> bool:
    if operation == "claim":
        return task.assignee_id is None and is_candidate(session, user, task)
    if operation == "transfer":
        return task.assignee_id == user.id or (task.assignee_id is None and is_candidate(session, user, task))
    return True


def _nothing_to_do(operation: str) -> EngineError:
    code = {"claim": "batch.no_task_to_claim", "transfer": "batch.no_task_to_transfer"}.get(operation,
                                                                                          "batch.no_open_task")
    return DataValidationError(Msg(code), [FieldError("cases", Msg(code), "applies")])


def _one(session: Session, user: User, call, task_id: int) -> Outcome:
    """One task's operation; refused, its transaction is undone and the reason kept."""
    try:
        task = call(task_id)
    except EngineError as exc:
        session.rollback()
        return _described(session, user, task_id, exc)
    return Outcome(task.id, task.case_id, task.case.business_number, task.name)


def _described(session: Session, user: User, task_id: int, error: EngineError) -> Outcome:
    """A refused item with the case number and task name, if the user may see them (else only its id)."""
    row = session.execute(scoped(select(HumanTask.case_id, Case.business_number, HumanTask.name)
                                 .select_from(HumanTask).join(Case, HumanTask.case_id == Case.id), user, Case.org_id)
                          .where(HumanTask.id == task_id)).first()
    session.rollback()
    return Outcome(task_id, *(row or (None, None, None)), error=error)


def receivers_of(engine, session: Session, user: User, found: list[HumanTask]) -> list[User]:
    """Everyone who may receive at least one of the listed tasks the user could transfer (the toolbar's choice;
    each transfer still checks its own task's receivers)."""
    people: dict[int, User] = {}
    asked = set()
    for task in found:
        key = (task.case.definition_id, task.element_id, task.org_id, task.lane)
        if task.status != "ready" or key in asked or not _applies(session, user, "transfer", task):
            continue
        asked.add(key)
        people.update((u.id, u) for u in tasks.receivers(engine, session, task) if u.id != user.id)
    return sorted(people.values(), key=lambda u: u.username)


def visible_tasks(session: Session, user: User, task_ids: list[int]) -> list[HumanTask]:
    """The chosen tasks the user may see, in the order chosen (for an export)."""
    check_request(None, task_ids, "tasks")
    found = {t.id: t for t in session.scalars(scoped(select(HumanTask).join(Case, HumanTask.case_id == Case.id),
                                                     user, Case.org_id).where(HumanTask.id.in_(task_ids)))}
    return [found[i] for i in dict.fromkeys(task_ids) if i in found]


def visible_cases(session: Session, user: User, case_ids: list[int]) -> list[Case]:
    """The chosen cases the user may see, in the order chosen (for an export)."""
    check_request(None, case_ids, "cases")
    found = {c.id: c for c in session.scalars(scoped(select(Case), user, Case.org_id).where(Case.id.in_(case_ids)))}
    return [found[i] for i in dict.fromkeys(case_ids) if i in found]
