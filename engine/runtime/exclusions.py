"""Users a task excludes: a user task's `excludedUsers` expression names who may not complete it (e.g. a
reviewer with a conflict of interest), whoever handed them the task; their completion is refused, nothing saved."""
from __future__ import annotations

from ..core.errors import NotAllowed, SandboxError
from ..core.messages import Msg
from ..core.vocabulary import EXCLUDED_REASON_PROPERTY, EXCLUDED_USERS_PROPERTY
from .case_context import running


def refuse_excluded(instance, task, username: str, task_id: int) -> None:
    """Raise NotAllowed when the task's `excludedUsers` names the user completing it."""
    spec = task.task_spec
    properties = (getattr(spec, "extensions", None) or {}).get("properties") or {}
    expression = properties.get(EXCLUDED_USERS_PROPERTY)
    if not expression:
        return
    with running(instance):
        value = instance.engine.script_engine.evaluate(task, expression,
                                                      external_context=task.workflow.data_objects)
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise SandboxError(Msg("instance.wrong_type", name=spec.bpmn_name or spec.bpmn_id, element=spec.bpmn_id,
                               prop=EXCLUDED_USERS_PROPERTY, expression=expression, value=repr(str(value)[:80]),
                               wanted=Msg("wanted.usernames")), source=expression)
    if username in {str(v) for v in value}:
        raise NotAllowed(Msg("task.excluded_user", user=username, name=spec.bpmn_name or spec.bpmn_id,
                             reason=str(properties.get(EXCLUDED_REASON_PROPERTY) or "")), task=task_id)
