"""The data generator (issue 23, part "generator"): template cases run through the engine, copied in bulk on
PostgreSQL; the copies load and step like the engine's own cases."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select, text

from engine.core import Case, HumanTask, people
from engine.core.case_records import CaseDocument
from engine.core.db import connect
from engine.definitions import bundles
from engine.records import documents
from engine.runtime import Engine, cases
from engine.time.workdays import CHINA_TZ
from engine.work import generator, operations

from .complaint_steps import review
from .conftest import DEMO_MOMENT, ROOT, _pg_copy
from .test_documents import text_of

ON_POSTGRES = pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
GENERATED = pytest.mark.postgres          # the tests on the module's generated copy (PostgreSQL only: COPY)


@pytest.fixture(scope="module")
def generated_template(pg_url):
    """A PostgreSQL template database holding 300 cases generated from the templates (demo and
    web/scale_templates.json) at DEMO_MOMENT, built once for the module: (its name, the new ids, the cases before)."""
    from web import create_app
    from web.database import session as db_session
    from web.generate import TEMPLATES_FILE, load_templates
    from web.workflow import engine as web_engine

    name, base = "lawflow_generated", pg_url.rsplit("/", 1)[0]
    admin = connect(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE lawflow_template"))
    app = create_app({"DATABASE_URL": f"{base}/{name}", "SECRET_KEY": "test-secret", "TESTING": True})
    with time_machine.travel(DEMO_MOMENT, tick=False), app.app_context():
        session = db_session()
        bundles.deploy(session, bundles.collect(ROOT), engine=web_engine())
        spec = load_templates(web_engine(), session)
        templates = generator.templates(session, spec["mix"], spec["open_share"])
        before = session.scalar(select(func.count()).select_from(Case))
        ids = generator.generate(session, templates, 300, seed=7, batch=100)
        session.close()
    app.extensions["lawflow.sql"].dispose()       # a template database takes copies only with no one connected
    assert json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))["mix"]
    yield name, ids, before
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def generated(generated_template, pg_url):
    """A fresh copy of the generated database, with its app, session and engine at DEMO_MOMENT."""
    from web import create_app
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    name, ids, before = generated_template
    copies = _pg_copy(pg_url, name)
    url = next(copies)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True})
    with time_machine.travel(DEMO_MOMENT, tick=False), app.app_context():
        yield app, db_session(), web_engine(), ids, before
    app.extensions["lawflow.sql"].dispose()
    next(copies, None)                            # drops the copy


@GENERATED
def test_the_generator_writes_the_cases_asked_for_mostly_finished_over_the_years(generated):
    _app, session, _engine, ids, before = generated
    assert len(ids) == 300 and session.scalar(select(func.count()).select_from(Case)) == before + 300
    statuses = dict(session.execute(
        select(Case.status, func.count()).where(Case.id.in_(ids)).group_by(Case.status)).all())
    assert statuses["completed"] > 250 and 0 < statuses.get("running", 0) < 50
    years = {y for (y,) in session.execute(select(func.extract("year", Case.created_at)).where(Case.id.in_(ids)))}
    assert len(years) >= 5
    processes = set(session.scalars(select(Case.process_key).where(Case.id.in_(ids))))
    assert {"lawyer_complaint", "law_firm_application", "legal_aid_assessment"} <= processes
    numbers = list(session.scalars(select(Case.business_number).where(Case.id.in_(ids))))
    assert len(set(numbers)) == 300
    copied_tasks = session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.case_id.in_(ids)))
    assert copied_tasks > 300


@GENERATED
def test_generated_open_cases_load_and_fire_their_timers_through_the_engine(generated):
    _app, session, _engine, ids, _before = generated
    result = generator.check_sample(lambda clock: Engine(clock=clock), session, ids, size=10)
    assert result["sampled"] >= 5
    assert result["loaded"] == result["tasks_match"] == result["documents_filled"] == result["sampled"]
    assert result["timers_fired"] >= 1


@GENERATED
def test_the_check_reads_the_generated_ids_in_chunks_and_samples_among_every_open_copy(generated, monkeypatch):
    # `lawflow generate --cases 100000` failed here: one IN list of every id passed the driver's 65,535 parameters
    _app, session, _engine, ids, _before = generated
    drawn_from = []

    class Recorded(generator.random.Random):
        def sample(self, population, k, **kwargs):
            drawn_from.append(list(population))
            return super().sample(population, k, **kwargs)

    open_copies = sorted(session.scalars(select(Case.id).where(Case.id.in_(ids),
                                                                Case.status.in_(generator.OPEN_STATES))))
    assert len(open_copies) >= 3            # so that they span several chunks of 2 ids
    monkeypatch.setattr(generator, "ID_CHUNK", 2)           # 300 ids: 150 statements
    monkeypatch.setattr(generator.random, "Random", Recorded)
    result = generator.check_sample(lambda clock: Engine(clock=clock), session, ids, size=5)
    assert drawn_from == [open_copies]
    assert result["sampled"] == result["loaded"] == result["tasks_match"] == 5


@GENERATED
def test_a_generated_complaint_takes_its_next_step_and_new_cases_number_after_the_copies(generated):
    _app, session, engine, ids, _before = generated
    waiting = session.scalars(select(HumanTask).join(Case, HumanTask.case_id == Case.id).where(
        Case.id.in_(ids), HumanTask.status == "ready", HumanTask.name == "初审")).first()
    assert waiting is not None, "a copy of the demo complaint waiting at 初审"
    doer = people.candidates(session, waiting)[0]
    cases.complete_task(engine, session, waiting.id, review("accept"), user=doer)
    after = [t.name for t in cases.case_tasks(session, waiting.case_id, "ready")]
    assert "初审" not in after and after
    new = cases.start_case(engine, session, "lawyer_complaint", {}, org_code="county-a", actor="xu")
    assert new.business_number not in set(session.scalars(select(Case.business_number).where(Case.id.in_(ids))))


@GENERATED
def test_generated_cases_hold_their_documents_filled_with_their_own_numbers_and_dates(generated):
    _app, session, _engine, ids, before = generated
    statuses = dict(session.execute(select(CaseDocument.status, func.count()).group_by(CaseDocument.status)).all())
    assert "pending" not in statuses and statuses["ready"] > len(ids)
    assert operations.figures(session, datetime.now(timezone.utc)).documents_pending == 0     # the backlog gauge
    # bytes per case of the documents' rows: the copies' no more than the engine's own (the templates')
    size = func.sum(func.pg_column_size(CaseDocument.content) + func.pg_column_size(CaseDocument.context))
    per_case = select(size / func.count(func.distinct(CaseDocument.case_id)))
    sizes = {copies: float(session.scalar(per_case.where((CaseDocument.case_id > before) == copies)))
             for copies in (True, False)}
    assert sizes[True] <= sizes[False] * 1.2 and sizes[True] < 12_000, sizes
    notices = session.execute(select(Case.business_number, Case.created_at, CaseDocument).join(
        CaseDocument, CaseDocument.case_id == Case.id).where(
        Case.id.in_(ids), CaseDocument.name == "受理通知书")).all()
    assert len(notices) >= 5
    for number, created, doc in notices:
        text = text_of(documents.whole(session, doc))
        assert number in text and hashlib.sha256(documents.whole(session, doc)).hexdigest() == doc.sha256
        day = created.astimezone(CHINA_TZ).date()
        shown = [date(*map(int, found)) for found in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)]
        assert shown and all(day - timedelta(days=90) <= d <= day + timedelta(days=365) for d in shown)
    assert len({doc.sha256 for _n, _c, doc in notices}) == len(notices)
    assert len({created.year for _n, created, _d in notices}) >= 2       # copies years apart, their dates moved
    print("document bytes per case", sizes)


def test_the_same_seed_plans_the_same_cases():
    class Stub:
        def __init__(self, created, is_open, weight):
            from datetime import datetime, timezone
            self.case = {"created_at": datetime(2026, 1, created, tzinfo=timezone.utc), "next_timer_at": None}
            self.open, self.weight = is_open, weight

        oldest_weeks = 12

    stubs = [Stub(1, False, 0.9), Stub(2, True, 0.1)]
    assert generator.plan(stubs, 500, 5, 3).picks == generator.plan(stubs, 500, 5, 3).picks
    assert generator.plan(stubs, 500, 5, 3).picks != generator.plan(stubs, 500, 5, 4).picks


@ON_POSTGRES
def test_lawflow_generate_fills_an_empty_database_once_and_reports_its_check(db_url):
    from web import create_app
    from web.cli import main

    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test-secret", "TESTING": True})
    runner = app.test_cli_runner()
    done = runner.invoke(main, ["generate", "--cases", "120", "--check", "5"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output.strip().splitlines()[-1])
    assert report["generated"] == 120 and report["sampled"] >= 1
    assert report["loaded"] == report["tasks_match"] == report["documents_filled"] == report["sampled"]
    again = runner.invoke(main, ["generate", "--cases", "10"])
    assert again.exit_code == 2 and "空数据库" in again.output
    app.extensions["lawflow.sql"].dispose()


def test_lawflow_generate_wants_postgresql(tmp_path):
    from web import create_app
    from web.cli import main

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/g.sqlite", "SECRET_KEY": "test-secret", "TESTING": True})
    refused = app.test_cli_runner().invoke(main, ["generate", "--cases", "10"])
    assert refused.exit_code == 2 and "PostgreSQL" in refused.output
    app.extensions["lawflow.sql"].dispose()
