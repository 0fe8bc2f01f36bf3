"""Issue 23, the step's hot path: what a step reads once per published version is not read again per step."""
from __future__ import annotations

import time_machine
from sqlalchemy import event

from engine.core.models import Case
from engine.runtime.limit_context import case_limits

from .complaint_steps import at, register


def test_a_case_fresh_in_a_session_reads_its_limits_without_querying_its_definition(engine, session,
                                                                                     complaint_setup):
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        case_id = register(engine, session).id
    session.commit()
    expected = case_limits(engine, session, session.get(Case, case_id))
    session.expunge_all()                       # as in the next request: the case row, its definition not loaded
    case = session.get(Case, case_id)
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statement
    sql_engine = session.get_bind()
    event.listen(sql_engine, "before_cursor_execute", listener)
    try:
        path, rows = case_limits(engine, session, case)
    finally:
        event.remove(sql_engine, "before_cursor_execute", listener)
    assert (path, rows) == expected and rows
    assert not [s for s in seen if "process_definition" in s]
