"""Small helpers shared by tests."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from engine.core.models import Case
from engine.runtime import cases


def roundtrip(engine, session, case_id: int) -> None:
    """Drop the in-memory workflow, reload it from the database and check the reload is faithful."""
    session.commit()      # end any read snapshot, then forget what this session had loaded
    session.expire_all()
    stored = cases.stored_state(session, case_id)
    engine.forget_all()
    workflow = engine.load_workflow(session, session.get(Case, case_id))
    assert engine.codec.dump_state(workflow) == stored
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
