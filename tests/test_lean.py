"""The lean executor writes exactly what SQLAlchemy writes, on both databases, and hands over what it cannot run."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from engine.core import people
from engine.core.errors import ConflictError
from engine.core.models import AuditEvent, Case, HumanTask
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


def test_the_version_guard_counts_the_rows_it_touched_as_sqlalchemy_does(engine, session, deployed):
    case = start(engine, session)
    update = sql.update_case(("title",))
    connection = session.connection()
    for title, loaded in (("甲", case.version + 7), ("乙", case.version)):
        params = {"title": title, "b_id": case.id, "b_loaded": loaded}
        assert lean.execute(connection, update, params) == connection.execute(update, params).rowcount
    assert lean.execute(connection, update, {"title": "丙", "b_id": case.id, "b_loaded": case.version}) == 1
    session.commit()
    session.refresh(case)
    assert case.title == "丙"


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


def test_an_insert_read_back_lean_answers_what_sqlalchemy_answers(engine, session, deployed):
    case = start(engine, session)
    row = {"case_id": case.id, "task_uuid": "lean-insert", "element_id": "E", "name": "甲", "lane": "经办人",
           "form": None, "org_id": case.org_id, "candidate_users": ["zhang"], "assignee_id": None, "status": "ready",
           "created_at": MOMENT, "due_at": None, "due_provisional": False, "completed_at": None,
           "completed_by": None, "urge_count": 0}
    connection = session.connection()
    through_sqlalchemy = connection.execute(sql.INSERT_TASKS_RETURNING_IDS, {**row, "task_uuid": "plain"}).one()
    (inserted,) = lean.fetch(connection, sql.INSERT_TASKS_RETURNING_IDS, row)
    assert inserted._fields == through_sqlalchemy._fields and inserted.id == through_sqlalchemy.id + 1
    session.commit()
    stored = session.get(HumanTask, inserted.id)
    assert (stored.task_uuid, stored.candidate_users, stored.created_at) == ("lean-insert", ["zhang"], MOMENT)
    assert session.get(HumanTask, through_sqlalchemy.id).task_uuid == "plain"


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


def _error_through_sqlalchemy(session, statement, params):
    """The exception SQLAlchemy's own execution raises for the statement, the transaction rolled back after."""
    with pytest.raises(DBAPIError) as raised:
        session.connection().execute(statement, params)
    session.rollback()
    return raised.value


def _error_through_lean(session, run, statement, params):
    with pytest.raises(DBAPIError) as raised:
        run(session.connection(), statement, params)
    session.rollback()
    return raised.value


def _task_row(case, uuid):
    return {"case_id": case.id, "task_uuid": uuid, "element_id": "E", "name": "甲", "lane": None, "form": None,
            "org_id": case.org_id, "candidate_users": None, "assignee_id": None, "status": "ready",
            "created_at": MOMENT, "due_at": None, "due_provisional": False, "completed_at": None,
            "completed_by": None, "urge_count": 0}


def test_a_foreign_key_or_unique_violation_is_sqlalchemys_integrity_error(engine, session, deployed):
    case = start(engine, session)
    orphan = {"case_id": case.id + 1000, "task_uuid": None, "actor": "甲", "at": MOMENT, "action": "a",
              "detail": {}, "steps": None}
    taken = _task_row(case, cases.case_tasks(session, case.id)[0].task_uuid)
    session.commit()
    attempts = [(lean.execute, sql.INSERT_AUDIT, orphan),                       # foreign key, one row
                (lean.execute, sql.INSERT_AUDIT, [orphan, {**orphan, "action": "b"}]),    # executemany
                (lean.execute, insert(HumanTask.__table__), taken),             # unique (case, task uuid)
                (lean.fetch, sql.INSERT_TASKS_RETURNING_IDS, taken)]            # the same, read back
    for run, statement, params in attempts:
        expected = _error_through_sqlalchemy(session, statement, params)
        assert isinstance(expected, IntegrityError)
        found = _error_through_lean(session, run, statement, params)
        assert type(found) is type(expected) and type(found.orig) is type(expected.orig)
        assert found.connection_invalidated is expected.connection_invalidated is False
        assert found.statement == lean._plan(session.connection(), statement, _keys(params), run is lean.fetch).text
        session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "b")) == 0


def _keys(params):
    return tuple(params if isinstance(params, dict) else params[0])


def _cut_off(connection) -> None:
    """Lose the connection under the session's feet: the server ends it (PostgreSQL), or it is closed (SQLite)."""
    driver = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite":
        driver.close()
        return
    pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with connection.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_lost_connection_is_invalidated_as_sqlalchemy_does(engine, session, deployed, sql_engine):
    case = start(engine, session)
    task = cases.case_tasks(session, case.id, "ready")[0]
    session.commit()
    raised = {}
    for way, run in (("sqlalchemy", lambda c: c.execute(sql.TASK_FOR_COMPLETION, {"task_id": task.id}).all()),
                     ("lean", lambda c: lean.fetch(c, sql.TASK_FOR_COMPLETION, {"task_id": task.id}))):
        connection = session.connection()
        run(connection)                                             # the connection works, and is then lost
        lost = connection.connection.dbapi_connection
        _cut_off(connection)
        with pytest.raises(DBAPIError) as error:
            run(connection)
        raised[way] = error.value
        assert connection.invalidated
        session.rollback()
        # The pool does not hand the lost connection out again: the next statement gets a new one and works.
        assert session.connection().connection.dbapi_connection is not lost
        assert lean.fetch_first(session.connection(), sql.TASK_FOR_COMPLETION, {"task_id": task.id}).id == task.id
        session.rollback()
    assert type(raised["lean"]) is type(raised["sqlalchemy"])
    assert raised["lean"].connection_invalidated and raised["sqlalchemy"].connection_invalidated


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_lost_write_lock_in_the_fast_path_is_a_conflict(engine, session, deployed, Session):
    case = start(engine, session)
    session.commit()
    stale = session.get(Case, case.id, populate_existing=True)     # read: the session holds a snapshot now
    with Session() as other:                            # meanwhile another request changes the database
        cases.mutate_case(engine, other, cases.case_for_write(other, case.id), "bob",
                          lambda instance: instance.audit("noted"))
    # The step's version-guarded UPDATE is its first write: SQLite cannot take the write lock from a stale
    # snapshot ("database is locked"), which the conflict handling of mutate_case turns into a ConflictError.
    with pytest.raises(ConflictError) as raised:
        cases.mutate_case(engine, session, stale, "alice", lambda instance: instance.audit("lost"))
    assert isinstance(raised.value.__context__, OperationalError)      # the lock, not the version guard
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "lost")) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_lock_timeout_in_the_fast_path_reaches_the_conflict_handling(engine, session, deployed, Session):
    case = start(engine, session)
    session.commit()
    with Session() as other:
        other.execute(select(Case.id).where(Case.id == case.id).with_for_update())    # holds the case row
        target = cases.case_for_write(session, case.id)
        session.execute(text("SET LOCAL lock_timeout = '50ms'"))
        # The version-guarded UPDATE waits for the row, times out, and the conflict handling rolls back and
        # forgets the case before it passes SQLAlchemy's OperationalError on (only SQLite's lock is a conflict).
        with pytest.raises(OperationalError, match="lock timeout"):
            cases.mutate_case(engine, session, target, "alice", lambda instance: instance.audit("lost"))
        assert not session.in_transaction() and engine._live.get(case.id) is None
        other.rollback()
