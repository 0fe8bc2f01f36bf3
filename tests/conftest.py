"""Fixtures: both databases (SQLite file, real PostgreSQL), the engine, people and the deployed bundle."""
from __future__ import annotations

import itertools
import shutil
import weakref
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import event, text
from sqlalchemy.pool import Pool

from engine.core import people
from engine.core.db import connect, session_factory, upgrade
from engine.definitions import bundles
from engine.records import directory
from engine.runtime import live_workflow
from engine.runtime.engine import Engine
from engine.time.workdays import CHINA_TZ

from .pg_harness import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.browser"]          # the browser fixtures: one Chromium for the whole run
DATA = Path(__file__).resolve().parent / "data"
_counter = itertools.count()
# Every walk of the engine's lean tree walks, in every test, is checked against SpiffWorkflow's own iterator.
live_workflow.CHECK_WALKS = True


@pytest.fixture(scope="session")
def pg_url():
    """A running PostgreSQL server's superuser URL, with a migrated template database."""
    server = PostgresServer()
    url = server.start()
    admin = connect(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE lawflow_template"))
    upgrade(url.rsplit("/", 1)[0] + "/lawflow_template")
    yield url
    admin.dispose()
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that tests copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


# The PostgreSQL half of every test on both databases carries the `postgres` marker (`-m "not postgres"` leaves it
# out); a test that needs PostgreSQL alone asks for it with
# `@pytest.mark.postgres @pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)`.
BOTH_DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BOTH_DATABASES)
def db_url(request, tmp_path):
    """A fresh, migrated database of each kind. A test that asks for `deployed` gets one that already holds what
    `org_tree` and `deployed` make, copied from a template built once per test process (a deploy validates every
    shipped diagram and form: seconds, where a copy takes a fraction of one)."""
    prepared = _comes_deployed(request)
    if request.param == "sqlite":
        path = tmp_path / "lawflow.sqlite"
        shutil.copy(request.getfixturevalue("deployed_sqlite" if prepared else "sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("deployed_postgres") if prepared else "lawflow_template"
    yield from _pg_copy(request.getfixturevalue("pg_url"), template)


def _comes_deployed(request) -> bool:
    """Whether the test's database is copied from the deployed template (`db_url`), holding what `org_tree` and
    `deployed` would otherwise make."""
    return "deployed" in request.fixturenames


def _deploy_org_tree(url: str) -> None:
    """Make in a migrated database what the `org_tree` and `deployed` fixtures make."""
    sql = connect(url)
    with session_factory(sql)() as s:
        _add_org_tree(s)
        bundles.deploy(s, bundles.collect(ROOT), engine=Engine())
    sql.dispose()


def _sqlite_made(sqlite_template, tmp_path_factory, name: str, make) -> Path:
    """A copy of the migrated SQLite file, `make(url)` run on it."""
    path = tmp_path_factory.mktemp(f"{name}-template") / f"{name}.sqlite"
    shutil.copy(sqlite_template, path)
    make(f"sqlite:///{path}")
    return path


def _postgres_made(pg_url: str, name: str, make) -> str:
    """A PostgreSQL template database copied from the migrated one, `make(url)` run on it; its name."""
    admin = connect(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE lawflow_template"))
    admin.dispose()
    make(pg_url.rsplit("/", 1)[0] + "/" + name)
    return name


@pytest.fixture(scope="session")
def deployed_sqlite(sqlite_template, tmp_path_factory):
    """A SQLite file holding the org tree and the project deployed as bundle v1, built once."""
    return _sqlite_made(sqlite_template, tmp_path_factory, "deployed", _deploy_org_tree)


@pytest.fixture(scope="session")
def deployed_postgres(pg_url):
    """A PostgreSQL template database holding the org tree and the project deployed as bundle v1, built once."""
    return _postgres_made(pg_url, "lawflow_deployed", _deploy_org_tree)


DEMO_MOMENT = datetime(2025, 10, 13, 9, 0, tzinfo=CHINA_TZ)     # a Monday


def _load_demo(url: str) -> None:
    """Deploy the project's bundle and load the demo data into a migrated database, at DEMO_MOMENT."""
    from web import create_app
    from web.database import session as db_session
    from web.demo import load_demo
    from web.workflow import engine as web_engine

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True})
    with time_machine.travel(DEMO_MOMENT, tick=False), app.app_context():
        bundles.deploy(db_session(), bundles.collect(ROOT), engine=web_engine())
        load_demo(web_engine(), db_session())
    app.extensions["lawflow.sql"].dispose()


@pytest.fixture(scope="session")
def demo_sqlite(sqlite_template, tmp_path_factory):
    """A SQLite file holding the demo data, built once."""
    return _sqlite_made(sqlite_template, tmp_path_factory, "demo", _load_demo)


@pytest.fixture(scope="session")
def demo_postgres(pg_url):
    """A PostgreSQL template database holding the demo data, built once."""
    return _postgres_made(pg_url, "lawflow_demo", _load_demo)


@pytest.fixture(params=BOTH_DATABASES)
def demo_url(request, tmp_path):
    """A fresh database of each kind with the project deployed and the demo data loaded (as of DEMO_MOMENT)."""
    if request.param == "sqlite":
        path = tmp_path / "demo.sqlite"
        shutil.copy(request.getfixturevalue("demo_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("demo_postgres")
    yield from _pg_copy(request.getfixturevalue("pg_url"), template)


# Every PostgreSQL connection a pool opens in this process. A test's database is dropped at its end; a connection
# still open to it (a request a live server was still answering, a session nobody closed) is closed then, rather
# than when the garbage collector finds it during some later test and psycopg warns there.
_pg_connections: weakref.WeakSet = weakref.WeakSet()


@event.listens_for(Pool, "connect")
def _remember_pg_connection(dbapi_connection, _record):
    if hasattr(dbapi_connection, "pgconn"):
        _pg_connections.add(dbapi_connection)


def _close_connections_to(name: str) -> None:
    for conn in list(_pg_connections):
        if not conn.closed and conn.info.dbname == name:
            conn.close()


def _pg_copy(base: str, template: str):
    name = f"test_{next(_counter)}"
    admin = connect(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    yield base.rsplit("/", 1)[0] + "/" + name
    _close_connections_to(name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def app(demo_url):
    """The web app on a demo database, with the clock stopped at DEMO_MOMENT."""
    from web import create_app

    # The demo's administrator holds the roles that must use a second factor: tests of other things sign him in
    # with the password alone (tests/test_password_totp.py turns the requirement on).
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "TOTP_REQUIRED_ROLES": ""})
    with time_machine.travel(DEMO_MOMENT, tick=False):
        yield app
    app.extensions["lawflow.sql"].dispose()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def sql_engine(db_url):
    """The SQLAlchemy engine of the test database."""
    engine = connect(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def Session(sql_engine):
    """A session factory for the test database."""
    return session_factory(sql_engine)


@pytest.fixture
def engine():
    """A workflow engine with default parts."""
    return Engine()


@pytest.fixture
def session(Session):
    """One session, closed after the test."""
    with Session() as s:
        yield s


@pytest.fixture
def org_tree(request, session):
    """Two counties under a city bureau, with handlers and leaders (already there in a test's database that
    comes with the project deployed)."""
    if not _comes_deployed(request):
        _add_org_tree(session)


def _add_org_tree(session) -> None:
    people.add_organization(session, "city", "市司法局")
    people.add_organization(session, "county-a", "A区司法局", "city")
    people.add_organization(session, "county-b", "B县司法局", "city")
    people.add_role(session, "handler", "经办人")
    people.add_role(session, "leader", "负责人")
    people.add_role(session, "director", "分管领导")
    people.add_user(session, "alice", "张三", "county-a", ["handler"], email="alice@county-a.example")
    people.add_user(session, "amy", "王五", "county-a", ["handler"])
    people.add_user(session, "bob", "李四", "county-a", ["leader"])
    people.add_user(session, "dora", "孙八", "county-a", ["director"])
    people.add_user(session, "carl", "赵六", "county-b", ["handler"])
    people.add_user(session, "cora", "钱七", "county-b", ["leader"])
    session.commit()


@pytest.fixture
def deployed(session, org_tree):
    """The project's processes/ and forms/ deployed as bundle v1 (the test's database comes with it: db_url)."""
    bundle = bundles.active_bundle(session)
    assert bundle is not None and bundle.version == 1
    return bundle


def bundle_with(extra: dict[str, bytes] | None = None, **replace: bytes) -> dict[str, bytes]:
    """The project's files plus test diagrams; keyword args replace files by path with '/' as '__'."""
    files = bundles.collect(ROOT)
    files.update(extra or {})
    for key, content in replace.items():
        files[key.replace("__", "/")] = content
    return files


@pytest.fixture
def complaint_setup(session, deployed):
    """People of the complaint procedure in county A, county B and the association, and a respondent registry."""
    for code, name in (("intake", "接待登记员"), ("caseworker", "承办人"), ("section_chief", "科室负责人")):
        people.add_role(session, code, name)
    people.add_user(session, "xu", "许登记", "county-a", ["intake"])
    people.add_user(session, "chen", "陈承办", "county-a", ["caseworker"])
    people.add_user(session, "zhou", "周科长", "county-a", ["section_chief"])
    people.add_organization(session, "city-bar", "市律师协会", "city")
    for org, prefix in (("county-b", "b"), ("city-bar", "bar")):
        people.add_user(session, f"{prefix}_intake", f"{prefix}登记", org, ["intake"])
        people.add_user(session, f"{prefix}_worker", f"{prefix}承办", org, ["caseworker"])
        people.add_user(session, f"{prefix}_chief", f"{prefix}科长", org, ["section_chief"])
    people.add_user(session, "b_director", "B县分管领导", "county-b", ["director"])
    directory.add_entry(session, "respondent", "L-0001", "王某某律师", org_code="county-a",
                        data={"type": "lawyer", "firm": "示范律师事务所"})
    directory.add_entry(session, "respondent", "F-0001", "示范律师事务所", org_code="county-a", data={"type": "firm"})
    session.commit()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (browser tests screenshot their pages when the call failed)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
