"""Checks of a task's `keepWith`: every id it names is a user or manual task of the same case's diagrams."""
from __future__ import annotations

from ..core.messages import Msg
from ..core.vocabulary import KEEP_WITH_PROPERTY


def human_task_ids(spec, subs: dict) -> frozenset[str]:
    """The ids of the human tasks a case of this process may hold: its own, its subprocesses' and those of the
    processes it calls (they run in the same case)."""
    return frozenset(ts.bpmn_id for process in (spec, *subs.values()) if process is not None
                     for ts in process.task_specs.values() if getattr(ts, "manual", False))


def keep_with_problems(task_spec, human_ids: frozenset[str]) -> list[Msg]:
    """What is wrong with a task's `keepWith`: an id that is no human task of the case, or no id at all."""
    value = ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}).get(KEEP_WITH_PROPERTY)
    if value is None:
        return []
    named = [part.strip() for part in value.split(",") if part.strip()]
    if not named:
        return [Msg("validation.keep_with_empty", property=KEEP_WITH_PROPERTY)]
    return [Msg("validation.keep_with_unknown", property=KEEP_WITH_PROPERTY, task=name)
            for name in dict.fromkeys(named) if name not in human_ids]
