"""What a person may submit to a task, checked before the case is loaded: the task is still theirs to do, and the
data fits its form (its directory keys exist, its score sheets are known)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.errors import ConflictError, DataValidationError, InvalidState, NotAllowed, NotFound
from ..core.messages import Msg
from ..core.models import ProcessDefinition, User
from ..core.people import is_candidate
from ..definitions.bundles import bundle_file
from ..definitions.forms import case_sources, visible
from ..records.directory import directory_errors
from . import lean
from . import statements as sql
from .limit_context import form_limits
from .score_sheets import load_sheets


def check_workable(session: Session, task, user: User | None, *, completing: bool,
                   case_status: str | None = None) -> None:
    """Refuse what completing a task (or, not completing, saving a draft) would be refused for: a task no longer
    ready, a user who is not its handler, and for completion a task out on delegation (and, given its case's
    status, a case that is not running). `task` is a task row or a HumanTask. Pages store uploaded files ahead of
    the form; they ask this first, and `complete_task` asks it again in its own transaction."""
    if task.status == "completed":
        raise ConflictError(Msg("task.completed_by", holder=task.completed_by), task=task.id)
    if task.status != "ready":
        raise InvalidState(Msg("task.cancelled"), task=task.id)
    if user is not None and not is_candidate(session, user, task):
        raise NotAllowed(Msg("task.not_assignee"), task=task.id)
    if completing and case_status is not None and case_status != "running":
        raise InvalidState(Msg("task.case_not_running"), task=task.id, status=case_status)
    if completing and task.delegation == "pending":
        raise InvalidState(Msg("task.delegated_wait"), task=task.id)


def check_completion(engine, session: Session, task_id: int, data: dict, user: User | None):
    """The task row with its case (see TASK_FOR_COMPLETION) and its form's score sheets (field -> (path,
    standard)), if this user may see it and complete it with this data; typed errors otherwise. A form whose
    fields take values from the case (`x-fromCase`) is checked later, once those values are in: then the third
    value is (those fields, bundle id, form path, loader), else None. The fourth is the form's schema (None
    without a form): what its `x-shownWhen` conditions hide is not stored (`forms.visible`)."""
    if user is None:
        row = lean.fetch_first(session.connection(), sql.TASK_FOR_COMPLETION, {"task_id": task_id})
    else:
        row = lean.fetch_first(session.connection(), sql.TASK_FOR_COMPLETION_WITHIN,
                               {"task_id": task_id, "scope": user.org.path, "user": user.id})
    if row is None:
        raise NotFound(Msg("task.not_found"), task=task_id)
    check_workable(session, row, user, completing=True)
    sheets: dict = {}
    from_case = schema = None
    if row.form:
        path = f"forms/{row.form}"
        definition = lambda: session.get(ProcessDefinition, row.case_definition_id)  # noqa: E731
        bundle_id = engine.properties(row.case_definition_id, definition)["bundle_id"]
        load = lambda: bundle_file(session, bundle_id, path)  # noqa: E731
        limits = form_limits(engine, session, bundle_id, path)
        schema = engine.forms.validator(bundle_id, path, load, limits).schema
        sources = case_sources(schema)
        if sources:         # checked once the case's values are in, where the workflow is at hand (`change`)
            from_case = (sources, bundle_id, path, load, limits)
        else:
            engine.forms.check(bundle_id, path, load, data, limits, task=task_id)
        unknown = directory_errors(session, schema, visible(schema, data))
        if unknown:
            raise DataValidationError(Msg("form.fix_count", count=len(unknown)), unknown, task=task_id)
        sheets = load_sheets(engine, session, bundle_id, schema)
    return row, sheets, from_case, schema
