"""The lean executor writes exactly what SQLAlchemy writes, on both databases, and hands over what it cannot run."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select

from engine import history, lean, statements as sql
from engine.models import AuditEvent

from .test_cases import start

MOMENT = datetime(2025, 10, 13, 1, 2, 3, 456789, tzinfo=timezone.utc)


def _event(session, action):
    return session.execute(select(AuditEvent.at, AuditEvent.detail, AuditEvent.steps, AuditEvent.task_uuid)
                           .where(AuditEvent.action == action)).one()


def test_rows_written_lean_read_back_as_written_through_sqlalchemy(engine, session, deployed):
    case = start(engine, session)
    row = {"case_id": case.id, "task_uuid": None, "actor": "甲", "at": MOMENT,
           "detail": {"意见": "同意", "n": [1, 2]}, "steps": None}
    connection = session.connection()
    connection.execute(sql.INSERT_AUDIT, {**row, "action": "through_sqlalchemy"})
    assert lean.execute(connection, sql.INSERT_AUDIT, [{**row, "action": "lean_1"}, {**row, "action": "lean_2"}]) == 2
    session.commit()
    expected = _event(session, "through_sqlalchemy")
    assert expected.at == MOMENT and expected.steps is None
    assert _event(session, "lean_1") == expected == _event(session, "lean_2")


def test_the_version_guard_counts_the_rows_it_touched(engine, session, deployed):
    case = start(engine, session)
    update = sql.update_case(("title",))
    connection = session.connection()
    assert lean.execute(connection, update, {"title": "甲", "b_id": case.id, "b_loaded": case.version + 7}) == 0
    assert lean.execute(connection, update, {"title": "乙", "b_id": case.id, "b_loaded": case.version}) == 1
    session.commit()
    session.refresh(case)
    assert case.title == "乙"


def test_a_statement_that_needs_defaults_goes_through_sqlalchemy(engine, session, deployed):
    case = start(engine, session)
    statement = insert(AuditEvent.__table__)
    # `detail` is left out: its Python-side default (an empty dict) is SQLAlchemy's to fill in.
    lean.execute(session.connection(), statement, {"case_id": case.id, "actor": "甲", "at": MOMENT,
                                                  "action": "defaulted"})
    session.commit()
    assert _event(session, "defaulted").detail == {}
    assert history.case_history(session, case.id)[-1].action == "defaulted"
