"""Issue 23, the step's hot path: what a step reads once per published version is not read again per step."""
from __future__ import annotations

import time_machine
from sqlalchemy import event

from engine.core.models import Case, User
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


def test_a_document_step_on_a_case_fresh_in_a_session_does_not_query_its_definition(engine, session, deployed):
    """handle_document reads the case's limits table by the path read once per version, not by the case's
    definition row (one query per document step in a new session)."""
    from engine.core import people
    from engine.records import documents
    from engine.runtime import cases

    from .helpers import only_ready

    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a")
    cases.complete_task(engine, session, only_ready(session, case.id).id,
                        {"title": "购置办公设备", "reason": "现有设备老化"}, user=people.user_by_name(session, "alice"))
    case_id, task_id, bob = case.id, only_ready(session, case.id).id, people.user_by_name(session, "bob").id
    session.expunge_all()                       # as in the next request: the case row, its definition not loaded
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statement
    sql_engine = session.get_bind()
    event.listen(sql_engine, "before_cursor_execute", listener)
    try:
        cases.complete_task(engine, session, task_id, {"decision": "approve", "opinion": "同意"},
                            user=session.get(User, bob))
    finally:
        event.remove(sql_engine, "before_cursor_execute", listener)
    [doc] = documents.case_documents(session, case_id)
    assert doc.name == "审批通知书" and doc.status == "pending"
    assert not [s for s in seen if "FROM process_definition" in s]
