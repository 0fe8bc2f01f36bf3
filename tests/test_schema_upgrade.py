"""Schema migrations that move data: a case's path survives 0004 (case_step rows into audit events) both ways; the
sign-in tables of 0006 come and go."""
from __future__ import annotations

import json
from datetime import datetime

from alembic import command
from sqlalchemy import select, text

from engine.core.db import alembic_config
from engine.records import history

from .test_cases import APPLY, complete, start


def _path(session, case_id):
    return [(s.element_id, s.name, s.kind, s.finished_at) for s in history.case_path(session, case_id)]


def test_path_moves_to_audit_events_and_back(engine, session, deployed, db_url):
    case = start(engine, session)
    complete(engine, session, case.id, APPLY, "alice")
    before = _path(session, case.id)
    session.commit()
    session.close()

    command.downgrade(alembic_config(db_url), "0003")
    steps = session.execute(text("SELECT element_id, finished_at FROM case_step WHERE case_id = :id ORDER BY id"),
                            {"id": case.id}).all()
    assert [s.element_id for s in steps] == [element for element, *_ in before]
    session.close()

    command.upgrade(alembic_config(db_url), "head")
    assert _path(session, case.id) == before
    assert session.execute(text("SELECT count(*) FROM audit_event WHERE steps IS NOT NULL AND case_id = :id"),
                           {"id": case.id}).scalar() == 1     # the whole old path rides on the case's first event


def test_a_path_without_audit_events_gets_one(engine, session, deployed, db_url):
    case = start(engine, session)
    before = _path(session, case.id)
    session.commit()
    session.close()

    command.downgrade(alembic_config(db_url), "0003")
    session.execute(text("DELETE FROM audit_event WHERE case_id = :id"), {"id": case.id})
    session.commit()
    session.close()

    command.upgrade(alembic_config(db_url), "head")
    assert _path(session, case.id) == before
    assert [e.action for e in history.case_history(session, case.id)] == ["path_recorded"]


def test_declared_fields_written_with_escapes_are_found_by_keyword_after_0005(engine, session, deployed, db_url):
    from engine.core import people
    from engine.work import worklists

    case = start(engine, session)
    other = start(engine, session)          # made at head: the models know later columns than 0004's table
    case_id, other_id = case.id, other.id
    session.commit()
    session.close()
    command.downgrade(alembic_config(db_url), "0004")
    escaped = json.dumps({"respondent_name": "王某某律师", "count": 2})          # as the json module wrote it
    odd = json.dumps({"note": "\ud800"})                                         # a lone surrogate: left escaped
    assign = "CAST(:meta AS JSON)" if db_url.startswith("postgresql") else ":meta"
    session.execute(text(f"UPDATE case_instance SET meta = {assign} WHERE id = :id"), {"meta": escaped, "id": case_id})
    session.execute(text(f"UPDATE case_instance SET meta = {assign} WHERE id = :id"), {"meta": odd, "id": other_id})
    session.commit()
    # the keyword search's test, in SQL: the ORM's Case has columns 0004 does not
    assert session.execute(text("SELECT count(*) FROM case_instance WHERE CAST(meta AS TEXT) LIKE :q"),
                           {"q": "%王某某%"}).scalar() == 0
    session.close()

    command.upgrade(alembic_config(db_url), "head")
    alice = people.user_by_name(session, "alice")
    assert [c.id for c in worklists.search_cases(session, alice, q="王某某")] == [case_id]
    stored = session.execute(text("SELECT CAST(meta AS TEXT) FROM case_instance WHERE id = :id"), {"id": case_id}).scalar()
    assert json.loads(stored) == {"respondent_name": "王某某律师", "count": 2} and "王某某律师" in stored
    kept = session.execute(text("SELECT CAST(meta AS TEXT) FROM case_instance WHERE id = :id"), {"id": other_id}).scalar()
    assert json.loads(kept) == {"note": "\ud800"}


def test_sign_in_state_comes_with_0006_and_goes_with_its_downgrade(session, org_tree, db_url):
    from sqlalchemy import inspect

    from engine.core.models import SignInFailure, SignInSession
    from engine.core.people import user_by_name
    from engine.time.workdays import CHINA_TZ

    now = datetime(2025, 10, 13, 9, 0, tzinfo=CHINA_TZ)
    session.add(SignInSession(id="0" * 64, user_id=user_by_name(session, "alice").id, created_at=now))
    session.add(SignInFailure(scope="address", subject="192.0.2.1", failed_at=now))
    session.commit()
    session.close()

    command.downgrade(alembic_config(db_url), "0005")
    tables = set(inspect(session.get_bind()).get_table_names())
    assert not {"sign_in_session", "sign_in_failure"} & tables and "user_account" in tables
    session.close()

    command.upgrade(alembic_config(db_url), "head")
    assert {"sign_in_session", "sign_in_failure"} <= set(inspect(session.get_bind()).get_table_names())
    assert session.scalars(select(SignInSession)).all() == []     # everyone signs in again after such a round trip
