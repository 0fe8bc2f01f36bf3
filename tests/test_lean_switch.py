"""With the SQL fast path off every statement runs through SQLAlchemy's own execution, and a flow leaves the same
rows either way; with it on, cursor-event listeners and echo see every statement a step runs, as they do off."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime

import time_machine
from sqlalchemy import event, select

from engine.core import people
from engine.core.models import AuditEvent, Case, HumanTask
from engine.core.case_records import Notification
from engine.runtime import cases, lean
from engine.runtime.timers import fire_due_timers
from engine.time.workdays import CHINA_TZ

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def _complete(engine, session, case_id, name, data, username):
    """Complete the case's ready task of that name; the ready tasks the completion answers (name, lane)."""
    session.commit()
    task = next(t for t in cases.case_tasks(session, case_id, "ready") if t.name == name)
    _, ready = cases.complete_task(engine, session, task.id, data, user=people.user_by_name(session, username))
    return sorted((r["name"], r["lane"]) for r in ready)


def _flow(engine, session) -> dict:
    """A case started, its reminder and deadline timers fired, its tasks completed through a return: what the
    engine answered and the rows it left, with the case's own ids and number taken out."""
    answers = []
    with time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:      # a Monday
        case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
        for moment in ("2025-10-17T00:00:01", "2025-10-21T00:00:01"):          # the reminder, the deadline
            clock.move_to(at(moment))
            answers.append(fire_due_timers(engine, session))
        answers.append(_complete(engine, session, case.id, "填写申请", APPLY, "alice"))
        answers.append(_complete(engine, session, case.id, "审核", {"decision": "return", "opinion": "补充"}, "bob"))
        answers.append(_complete(engine, session, case.id, "填写申请", {**APPLY, "amount": 5000}, "amy"))
    session.commit()
    return _rows(session, case.id, answers)


def _rows(session, case_id: int, answers: list) -> dict:
    session.expire_all()
    case = session.get(Case, case_id)
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id))
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
    notes = session.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))
    rows = {
        "answers": answers,
        "case": [case.status, case.title, case.meta, case.version, case.next_timer_at, case.updated_at],
        "tasks": [[t.name, t.lane, t.status, t.form, t.candidate_users, t.created_at, t.due_at, t.due_provisional,
                   t.completed_at, t.completed_by, t.urge_count] for t in tasks],
        "events": [[e.actor, e.at, e.action, e.detail, e.steps, e.task_uuid is None] for e in events],
        "notifications": [[n.user_id, n.kind, n.title, n.body] for n in notes],
    }
    return json.loads(json.dumps(rows, default=str, ensure_ascii=False).replace(case.business_number, "<number>"))


def test_a_flow_leaves_the_same_rows_with_the_fast_path_off_and_on(engine, session, deployed, sql_engine):
    lean.configure(sql_engine, enabled=False)
    plain = _flow(engine, session)
    lean.configure(sql_engine, enabled=True)
    engine.forget_all()
    fast = _flow(engine, session)
    assert fast == plain
    assert plain["answers"][:2] == [1, 1]                   # the reminder and the deadline fired, once each
    assert plain["case"][0] == "running" and [t[2] for t in plain["tasks"]].count("completed") == 3
    assert len(plain["notifications"]) == 2 and len(plain["events"]) >= 6


def _watch(sql_engine) -> list:
    """Every statement the engine's cursor-event listeners see, with the kind of context they get."""
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(("before", statement, type(context).__name__, executemany))

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append(("after", statement, type(context).__name__, executemany))

    event.listen(sql_engine, "before_cursor_execute", before)
    event.listen(sql_engine, "after_cursor_execute", after)
    return seen


def _same_sql(statement: str) -> str:
    """A statement as both ways write it: SQLAlchemy's own execution adds RETURNING for the new key of a
    single-row INSERT and writes an executemany INSERT as one multi-row VALUES on some drivers."""
    statement = re.sub(r" RETURNING \w+\.id$", "", statement)
    return re.sub(r"(VALUES \([^)]*\))(, \([^)]*\))+", r"\1", re.sub(r"__\[POSTCOMPILE_\w+\]", "?", statement))


def _step(engine, session):
    """A new case and its first task, committed."""
    case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
    session.commit()
    task = cases.case_tasks(session, case.id, "ready")[0]
    session.commit()
    return case, task


def test_cursor_event_listeners_see_every_statement_of_a_step_with_the_fast_path_on_and_off(
        engine, session, deployed, sql_engine):
    alice = people.user_by_name(session, "alice")
    case, task = _step(engine, session)       # a first completion fills the engine's caches (forms, specs)
    cases.complete_task(engine, session, task.id, APPLY, user=alice)
    seen = _watch(sql_engine)
    statements = {}
    for enabled in (False, True):
        lean.configure(sql_engine, enabled=enabled)
        case, task = _step(engine, session)
        engine.forget_all()         # the step reads the stored state both times
        seen.clear()
        cases.complete_task(engine, session, task.id, APPLY, user=alice)
        befores = [s for s in seen if s[0] == "before"]
        assert [s[1:] for s in seen if s[0] == "after"] == [s[1:] for s in befores]
        statements[enabled] = befores
    plain = {_same_sql(s[1]) for s in statements[False]}
    fast = {_same_sql(s[1]) for s in statements[True]}
    assert fast == plain and len(plain) >= 5
    # On, the step's hot statements took the fast path (its own context); off, none did.
    assert sum(s[2] == "FastPathContext" for s in statements[True]) >= 5
    assert "FastPathContext" not in {s[2] for s in statements[False]}


def test_echo_logs_a_fast_path_statement_on_the_engine_logger(engine, session, deployed, sql_engine, caplog):
    case, task = _step(engine, session)
    sql_engine.echo = True
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
            cases.complete_task(engine, session, task.id, APPLY, user=people.user_by_name(session, "alice"))
    finally:
        sql_engine.echo = False
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert any(m.startswith("UPDATE case_instance SET") for m in logged)
    assert any(m.startswith("[fast path] (") or m.startswith("[fast path] {") for m in logged)
