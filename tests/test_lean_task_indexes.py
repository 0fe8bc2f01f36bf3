"""Migration 0023: the indexes of my tasks and of what I did hold only the rows they are read for, and the views
still read them: on both databases the index has its condition, the views' own statements are planned on it, the
views answer as before, and the downgrade puts the whole indexes back."""
from __future__ import annotations

from alembic import command
from sqlalchemy import event, text

from engine.core import people
from engine.core.db import alembic_config
from engine.runtime import cases
from engine.work import tasks, worklists

from .helpers import ready
from .running_case import APPLY

PARTIAL = {"ix_human_task_assignee": "assignee_id", "ix_human_task_done": "completed_by",
           "ix_human_task_done_created": "completed_by"}


def _definitions(session) -> dict[str, str]:
    """Each of the three indexes' definition as the database holds it."""
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    else:
        rows = session.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'human_task'"))
    return {name: sql for name, sql in rows if name in PARTIAL}


def _statements(session, run) -> list[tuple[str, object]]:
    """The SELECTs of the task table `run()` sends, with their parameters."""
    sent = []
    bind = session.get_bind()

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and "human_task" in statement:
            sent.append((statement, parameters))
    event.listen(bind, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(bind, "before_cursor_execute", record)
    return sent


def _plan(session, statement: str, parameters) -> str:
    """The plan of one statement, as text; on PostgreSQL with sequential scans off, so that a table of a test's
    few rows is still read by the index the plan would use on a large one."""
    raw = session.connection().connection.driver_connection
    cursor = raw.cursor()
    try:
        if session.get_bind().dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        cursor.close()


def test_the_task_indexes_hold_only_assigned_and_completed_rows_and_the_views_read_them(engine, session, deployed):
    for name, column in PARTIAL.items():
        assert f"{column} IS NOT NULL" in _definitions(session)[name], name
    alice, bob = people.user_by_name(session, "alice"), people.user_by_name(session, "bob")
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
    fill = next(t for t in ready(session, case.id) if t.name == "填写申请")
    cases.complete_task(engine, session, fill.id, APPLY, user=alice)
    review = next(t for t in ready(session, case.id) if t.name == "审核")
    tasks.claim(engine, session, review.id, bob)

    for user, view, index, expected in ((bob, "mine", "ix_human_task_assignee", [review.id]),
                                        (alice, "done", "ix_human_task_done", [fill.id])):
        found = []
        sent = _statements(session, lambda: found.extend(worklists.inbox(session, user, view, sort="due")))
        assert [t.id for t in found] == expected, view
        plans = [_plan(session, statement, parameters) for statement, parameters in sent]
        assert any(index in plan for plan in plans), (view, plans)
        session.rollback()
    sent = _statements(session, lambda: worklists.inbox(session, alice, "done", sort="newest"))
    assert any("ix_human_task_done_created" in _plan(session, s, p) for s, p in sent)


def test_the_downgrade_puts_the_whole_indexes_back_and_the_upgrade_makes_them_partial_again(session, db_url):
    session.close()
    command.downgrade(alembic_config(db_url), "0022_scale_timer_due")
    assert all("IS NOT NULL" not in sql for sql in _definitions(session).values())
    assert set(_definitions(session)) == set(PARTIAL)
    session.close()
    command.upgrade(alembic_config(db_url), "head")
    assert all(f"{column} IS NOT NULL" in _definitions(session)[name] for name, column in PARTIAL.items())

