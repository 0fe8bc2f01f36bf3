"""Moving a county's SQLite file onto PostgreSQL: every row of every table moves in one transaction, the running case
goes on on the new server (a step, a timer, new ids), and a second move into the same target is refused."""
from __future__ import annotations

import itertools
import re
import shutil

import pytest
import time_machine
from sqlalchemy import select, text, update

from engine.core import people
from engine.core.database_move import move_database
from engine.core.database_state import model_tables, row_counts
from engine.core.db import connect, session_factory, upgrade
from engine.core.errors import InvalidState
from engine.core.models import AuditEvent, HumanTask, Organization
from engine.definitions import bundles
from engine.runtime.engine import Engine

from .conftest import ROOT
from .running_case import assert_case_goes_on, assert_files_kept, make_running_case

_names = itertools.count()


@pytest.fixture
def county(sqlite_template, tmp_path):
    """A county's SQLite file: two counties, the project deployed, a running case with its file and document, an
    organisation whose parent was added after it, and both kinds of empty JSON (SQL NULL and JSON null)."""
    path = tmp_path / "county.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    sql = connect(url)
    with session_factory(sql)() as session:
        for code, name, parent in (("city", "市司法局", None), ("county-a", "A区司法局", "city")):
            people.add_organization(session, code, name, parent)
        people.add_role(session, "handler", "经办人")
        people.add_role(session, "leader", "负责人")
        people.add_role(session, "director", "分管领导")
        people.add_user(session, "alice", "张三", "county-a", ["handler"])
        people.add_user(session, "bob", "李四", "county-a", ["leader"])
        session.commit()
        engine = Engine()
        bundles.deploy(session, bundles.collect(ROOT), engine=engine)
        case_id = make_running_case(engine, session)
        later = people.add_organization(session, "region", "片区", "city")
        session.execute(update(Organization).where(Organization.code == "county-a").values(parent_id=later.id))
        session.execute(update(HumanTask).where(HumanTask.case_id == case_id).values(candidate_users=None))
        session.execute(text("UPDATE audit_event SET steps = 'null' WHERE id = (SELECT MIN(id) FROM audit_event)"))
        session.commit()
    sql.dispose()
    return url, case_id


def _database(pg_url: str, *, migrated: bool) -> str:
    name = f"city_{next(_names)}"
    admin = connect(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    if migrated:
        upgrade(url)
    return url


def _counts(url: str) -> dict[str, int]:
    sql = connect(url)
    try:
        with sql.connect() as conn:
            return row_counts(conn)
    finally:
        sql.dispose()


@pytest.mark.postgres
def test_every_row_moves_and_the_case_goes_on_on_postgresql(county, pg_url):
    source, case_id = county
    target = _database(pg_url, migrated=False)           # a database just created: the move migrates it first
    before = _counts(source)

    moved = move_database(source, target)

    assert [m.table for m in moved] == [t.name for t in model_tables()]
    assert {m.table: (m.source, m.target) for m in moved} == {name: (n, n) for name, n in before.items()}
    assert before["case_instance"] == 1 and before["bundle_file"] > 10 and before["audit_event"] > 0
    sql = connect(target)
    try:
        with session_factory(sql)() as session:
            assert session.scalar(select(Organization.parent_id).where(Organization.code == "county-a")) == \
                session.scalar(select(Organization.id).where(Organization.code == "region"))
            assert session.execute(text("SELECT count(*) FROM human_task WHERE candidate_users IS NULL")).scalar() \
                == before["human_task"]
            first = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1))
            assert session.execute(text("SELECT steps IS NULL, CAST(steps AS TEXT) FROM audit_event WHERE id = :id"),
                                   {"id": first}).one() == (False, "null")
            assert_files_kept(session, case_id)
            assert_case_goes_on(session, case_id)
    finally:
        sql.dispose()
    assert _counts(source) == before                      # the county's file is only read


@pytest.mark.postgres
def test_a_second_move_into_the_same_target_is_refused_and_changes_nothing(county, pg_url):
    source, _ = county
    target = _database(pg_url, migrated=True)
    move_database(source, target)
    after_first = _counts(target)
    with pytest.raises(InvalidState) as refused:
        move_database(source, target)
    assert refused.value.message_code == "move.target_not_empty"
    assert "case_instance (1)" in refused.value.params["tables"]
    assert _counts(target) == after_first


@pytest.mark.postgres
def test_a_move_stops_before_a_source_behind_the_schema(county, pg_url):
    from alembic import command

    from engine.core.db import alembic_config

    source, _ = county
    command.downgrade(alembic_config(source), "-1")
    target = _database(pg_url, migrated=True)
    with pytest.raises(InvalidState) as refused:
        move_database(source, target)
    assert refused.value.message_code == "move.source_revision"
    assert set(_counts(target).values()) == {0}


@pytest.mark.postgres
def test_the_move_command_prints_each_table_and_refuses_a_second_run(county, pg_url, tmp_path):
    from web import create_app
    from web.cli import main

    source, _ = county
    target = _database(pg_url, migrated=True)
    app = create_app({"DATABASE_URL": source, "SECRET_KEY": "test-secret", "TESTING": True})
    runner = app.test_cli_runner()
    done = runner.invoke(main, ["move-database", "--to", target])
    assert done.exit_code == 0, done.output
    assert "case_instance" in done.output and "各表行数一致" in done.output
    again = runner.invoke(main, ["move-database", "--from", source, "--to", target])
    assert again.exit_code == 1 and "目标数据库中已有数据" in again.output
    app.extensions["lawflow.sql"].dispose()


def _inbox_numbers(url: str, username: str) -> list[str]:
    """The business numbers a user's inbox shows, signed in through the login form with the demo password."""
    from web import create_app

    from .conftest import DEMO_MOMENT
    from .web_helpers import login

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True})
    try:
        with time_machine.travel(DEMO_MOMENT, tick=False):
            client = app.test_client()
            assert login(client, username).status_code == 302
            page = client.get("/inbox")
            assert page.status_code == 200
            return re.findall(r"〔\d{4}〕[^<\"]*?第\d+号", page.get_data(as_text=True))
    finally:
        app.extensions["lawflow.sql"].dispose()


@pytest.mark.postgres
def test_the_whole_demo_moves_and_its_people_sign_in_on_postgresql(demo_sqlite, pg_url, tmp_path):
    source = tmp_path / "demo.sqlite"
    shutil.copy(demo_sqlite, source)
    target = _database(pg_url, migrated=True)
    moved = move_database(f"sqlite:///{source}", target)
    holding = {m.table for m in moved if m.source}
    assert all(m.source == m.target for m in moved)
    assert {"case_instance", "human_task", "audit_event", "case_message", "random_draw", "ledger_row",
            "directory_entry", "case_access", "notification", "case_document"} <= holding
    numbers = _inbox_numbers(f"sqlite:///{source}", "chen")
    assert numbers and _inbox_numbers(target, "chen") == numbers


def test_a_move_into_itself_or_from_a_source_with_unknown_rows_is_refused(county, tmp_path):
    source, _ = county
    with pytest.raises(InvalidState) as itself:
        move_database(source, source)
    assert itself.value.message_code == "move.same_database"
    sql = connect(source)
    with sql.begin() as conn:
        conn.execute(text("CREATE TABLE kept_aside (id INTEGER PRIMARY KEY, note TEXT)"))
        conn.execute(text("INSERT INTO kept_aside (note) VALUES ('a row no model knows')"))
    sql.dispose()
    target = f"sqlite:///{tmp_path}/target.sqlite"
    with pytest.raises(InvalidState) as unknown:
        move_database(source, target)
    assert (unknown.value.message_code, unknown.value.params) == ("move.unknown_tables", {"tables": "kept_aside"})
