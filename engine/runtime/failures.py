"""How a failed step is told: what failed and where, as a message each reader sees in their own language."""
from __future__ import annotations

from ..core.errors import SandboxError
from ..core.messages import Msg, as_msg


def describe_failure(exc: BaseException) -> Msg:
    """What failed, where: the sandbox's own message when the failure came from diagram code (stored as a message
    so each reader sees it in their language)."""
    inner, seen = exc, set()
    while id(inner) not in seen and not isinstance(inner, SandboxError):
        seen.add(id(inner))
        following = getattr(inner, "exception", None) or inner.__cause__ or inner.__context__
        if following is None:
            break
        inner = following
    text = inner.msg if isinstance(getattr(inner, "msg", None), Msg) else as_msg(str(inner))
    where = getattr(exc, "task_spec", None)
    if where is not None and getattr(where, "bpmn_id", None):
        return Msg("case.failed_at", name=where.bpmn_name or where.bpmn_id, element=where.bpmn_id, detail=text)
    return text
