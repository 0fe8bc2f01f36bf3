"""Small helpers shared by tests."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from engine.core.models import Case
from engine.runtime import cases

from .workflow_compare import assert_same_workflow


def roundtrip(engine, session, case_id: int) -> None:
    """Reload the case from the database and check the reload is faithful to the live workflow it was saved from.

    The live workflow (the engine keeps it after a step, keyed by the case version) is compared task by task
    with the one restored from the stored state, so a field the codec loses on the way out and back fails here.
    """
    session.commit()      # end any read snapshot, then forget what this session had loaded
    session.expire_all()
    stored = cases.stored_state(session, case_id)
    case = session.get(Case, case_id)
    cached = engine._live.get(case_id)
    live = cached[1] if cached is not None and cached[0] == case.version else None
    engine.forget_all()
    workflow = engine.load_workflow(session, case)
    assert engine.codec.dump_state(workflow) == stored
    if live is not None:
        assert engine.codec.dump_state(live) == stored
        assert_same_workflow(live, workflow)
    engine.forget_all()


def ready(session, case_id: int):
    """The case's ready human tasks."""
    session.commit()
    session.expire_all()
    return cases.case_tasks(session, case_id, "ready")


def only_ready(session, case_id: int):
    """The case's single ready human task."""
    tasks = ready(session, case_id)
    assert len(tasks) == 1, [t.name for t in tasks]
    return tasks[0]


def zh(obj) -> str:
    """An engine error, field error, problem or message as the Chinese interface shows it (the web's source text)."""
    from web.engine_text import render

    return render(obj, str)


@contextmanager
def raises_zh(kind, match: str):
    """`pytest.raises(kind, match=…)` against the Chinese text of the engine message."""
    with pytest.raises(kind) as info:
        yield info
    assert re.search(match, zh(info.value)), zh(info.value)
