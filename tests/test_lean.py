"""The lean executor writes exactly what SQLAlchemy writes, on both databases, and hands over what it cannot run."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select

from engine.core import people
from engine.core.models import AuditEvent, HumanTask
from engine.records import history
from engine.runtime import cases, lean, statements as sql

from .test_cases import APPLY, start

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


def test_rows_read_lean_equal_rows_read_through_sqlalchemy(engine, session, deployed):
    case = start(engine, session)
    task = cases.case_tasks(session, case.id, "ready")[0]
    session.commit()
    connection = session.connection()
    # Every kind of column the completion reads: moments, JSON, booleans, text, integers and NULLs.
    through_sqlalchemy = connection.execute(sql.TASK_FOR_COMPLETION, {"task_id": task.id}).one()
    (lean_row,) = lean.fetch(connection, sql.TASK_FOR_COMPLETION, {"task_id": task.id})
    assert lean_row._asdict() == through_sqlalchemy._asdict()
    assert lean_row.case_created_at.tzinfo is not None and isinstance(lean_row.case_meta, dict)
    moments = select(HumanTask.id, HumanTask.created_at, HumanTask.due_at, HumanTask.due_provisional,
                     HumanTask.candidate_users).where(HumanTask.case_id == case.id)
    assert [r._asdict() for r in lean.fetch(connection, moments, {})] == \
        [r._asdict() for r in connection.execute(moments)]
    assert lean.fetch(connection, sql.TASK_FOR_COMPLETION, {"task_id": task.id + 1000}) == []


def test_an_insert_read_back_lean_answers_the_new_id(engine, session, deployed):
    case = start(engine, session)
    row = {"case_id": case.id, "task_uuid": "lean-insert", "element_id": "E", "name": "甲", "lane": "经办人",
           "form": None, "org_id": case.org_id, "candidate_users": ["zhang"], "assignee_id": None, "status": "ready",
           "created_at": MOMENT, "due_at": None, "due_provisional": False, "completed_at": None,
           "completed_by": None, "urge_count": 0}
    (inserted,) = lean.fetch(session.connection(), sql.INSERT_TASKS_RETURNING_IDS, row)
    session.commit()
    stored = session.get(HumanTask, inserted.id)
    assert (stored.task_uuid, stored.candidate_users, stored.created_at) == ("lean-insert", ["zhang"], MOMENT)


def test_a_completion_runs_every_statement_on_the_driver(engine, session, deployed):
    case = start(engine, session)
    task = cases.case_tasks(session, case.id, "ready")[0]
    cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    # A statement handed over to SQLAlchemy costs several times its lean run: none of a completion's may be.
    step = {sql.TASK_FOR_COMPLETION, sql.TASK_FOR_COMPLETION_WITHIN, sql.INSERT_TASKS_RETURNING_IDS, sql.INSERT_AUDIT,
            sql.COMPLETE_TASK, sql.CANCEL_TASK, sql.READY_TASK_REFS}
    assert not step & set(lean.handed_over())


def _comparable(parameters):
    """Driver parameters with psycopg's JSON wrappers (which do not compare equal) unwrapped."""
    unwrap = lambda v: getattr(v, "obj", v)  # noqa: E731
    if isinstance(parameters, dict):
        return {k: unwrap(v) for k, v in parameters.items()}
    return tuple(unwrap(v) for v in parameters)


def test_parameters_are_what_sqlalchemy_would_send():
    from sqlalchemy.dialects import postgresql, sqlite

    rows = [
        (sql.COMPLETE_TASK, {"b_case": 3, "b_uuid": "u", "at": MOMENT, "by": "甲"}),
        (sql.CANCEL_TASK, {"b_case": 3, "b_uuid": "u", "at": MOMENT}),     # a fixed value in the WHERE clause
        (sql.update_case(("meta", "state", "version")), {"meta": {"甲": [1]}, "state": "{}", "version": 4,
                                                         "b_id": 3, "b_loaded": 3}),
        (sql.INSERT_AUDIT, {"case_id": 3, "task_uuid": None, "actor": "甲", "at": MOMENT, "action": "a",
                            "detail": {"k": 1}, "steps": None}),
    ]
    for dialect in (postgresql.psycopg.dialect(), sqlite.dialect()):
        for statement, row in rows:
            plan = lean._compile(statement, dialect, tuple(row), False)
            assert plan.sources is not None
            generic = lean._compile(statement, dialect, tuple(row), False)
            generic.sources = None                  # construct_params, as SQLAlchemy builds them
            assert _comparable(plan.parameters(row)) == _comparable(generic.parameters(row))
