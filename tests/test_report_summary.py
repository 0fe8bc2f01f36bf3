"""The stored summary of the reports' figures (issue 20, engine/work/report_summary.py), on both databases: the
figures read from it equal the live computation exactly, over randomised cases across many days, months and
organisations, after steps driven through the real diagram, after a case changes (or moves to another organisation)
once its month was summarised, and for a report definition published after the summary was built; two schedulers
refreshing at once count each month once."""
from __future__ import annotations

import random
import re
import threading
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine.core.models import Case, HumanTask, Organization
from engine.core.summary_records import SummaryRow, SummaryStale, SummaryUnit
from engine.work import bottlenecks, report_summary, report_tree, reports, step_summary

from .complaint_steps import at, do, register, review, user

NOW = at("2025-12-20T10:00")
PERIODS = [{}, {"since": date(2025, 9, 1), "until": date(2025, 11, 30)},
           {"since": date(2025, 9, 17), "until": date(2025, 11, 3)}, {"since": date(2025, 10, 1)},
           {"until": date(2025, 10, 31)}, {"since": date(2025, 10, 5), "until": date(2025, 10, 20)}]
VALUES = {
    "channel": ["hotline_12345", "letter", "visit", ""], "decision": ["accepted", "not_accepted", "guided",
                                                                      "transferred"],
    "outcome": ["no_violation", "criticism", "warning_talk", "discipline_referral", "mediated"],
    "repeat_count": [0, 1, 2], "transfer_count": [0, 1, 3], "extension_count": [0, 1], "is_major": [True, False],
    "respondent_type": ["lawyer", "firm"], "matter_type": ["practice_dispute", "violation"],
    "suspended": [True, False], "lead_leader": ["", "刘局"], "contest_route": ["litigation", "petition_review"],
    "bar_violation_category": ["fees", "conflict", ""], "report_kind": ["anonymous_report", "named"],
    "outcome_measures": [["criticism", "order_correct"], ["mediation_referral"], ["penalty_recommended",
                                                                                   "discipline_referral"], []],
    "penalty_decision": ["penalise", "no_penalty_minor"], "penalty_sanctions": [["warning", "fine"], ["fine"], []],
    "discipline_sanction": ["none", "public_censure"],
}
STEPS = ["Task_preliminary", "Task_investigate", "Task_notify", "Task_reply_service", "Task_resume"]


def _random_cases(session, template: Case, count: int, seed: int) -> None:
    """`count` complaints copied from a real one with random declared fields, status, organisation, day (China
    days from August to December 2025, month edges included) and steps."""
    rng = random.Random(seed)
    orgs = list(session.scalars(select(Organization.id).where(Organization.code.in_(
        ["city", "county-a", "county-b", "city-bar"]))))
    for n in range(count):
        meta = {k: rng.choice(v) for k, v in VALUES.items() if rng.random() < 0.8}
        day = date(2025, 8, 1) + timedelta(days=rng.randrange(0, 140))
        created = at(f"{day}T00:00") + timedelta(minutes=rng.choice([0, 1, 600, 1439]))
        case = Case(definition_id=template.definition_id, process_key=template.process_key, title=f"随机{n}",
                    status=rng.choice(["running", "completed", "terminated", "suspended"]), org_id=rng.choice(orgs),
                    meta=meta, created_at=created, updated_at=created, version=1, state="")
        session.add(case)
        session.flush()
        for m in range(rng.randrange(0, 4)):
            started = created + timedelta(hours=rng.randrange(1, 400))
            done = rng.random() < 0.7
            session.add(HumanTask(
                case_id=case.id, task_uuid=f"r{n}-{m}", element_id=rng.choice(STEPS), name="随机", org_id=case.org_id,
                status="completed" if done else "ready", created_at=started,
                due_at=started + timedelta(hours=rng.randrange(1, 300)) if rng.random() < 0.8 else None,
                completed_at=started + timedelta(hours=rng.randrange(0, 500)) if done else None))
    session.commit()


@pytest.fixture
def many(engine, session, complaint_setup):
    """Two complaints driven through the diagram and 150 random ones, with readers in the city and county A."""
    from engine.core import people
    people.add_user(session, "boss", "市局领导", "city", ["director"])
    session.commit()
    with time_machine.travel(at("2025-10-13T09:00"), tick=False):
        first = register(engine, session)
        do(engine, session, first.id, "初审", "chen", review("accept"))
        second = register(engine, session, channel="letter")
    _random_cases(session, session.get(Case, first.id), 150, seed=20)
    return {"first": first.id, "second": second.id}


def _definitions(session):
    return [d for d in reports.reports(session)]


def _assert_same(session, definitions=None, readers=("boss", "zhou")):
    """Every report, read from the summary and counted live, for a city and a county reader and every period."""
    definitions = definitions or _definitions(session)
    for name in readers:
        reader = user(session, name)
        for period in PERIODS:
            fast = reports.compute_all(session, reader, definitions, now=NOW, **period)
            slow = reports.compute_all(session, reader, definitions, now=NOW, summary=False, **period)
            for a, b in zip(fast, slow):
                assert (a.groups, a.total) == (b.groups, b.total), (name, period, a.report["key"])
            for definition in definitions[:3]:
                one = reports.compute(session, reader, definition, now=NOW, **period)
                live = reports.compute(session, reader, definition, now=NOW, summary=False, **period)
                assert (one.groups, one.total) == (live.groups, live.total), (name, period, definition["key"])
            for definition in (d for d in definitions if d.get("orgTree")):
                trees = [report_tree.org_tree(session, reader.org, definition, now=NOW, summary=summary, **period)
                         for summary in (True, False)]
                assert trees[0] == trees[1], (name, period, definition["key"])
            maps = [bottlenecks.step_figures(session, reader, "lawyer_complaint", now=NOW, summary=summary,
                                             **period).steps for summary in (True, False)]
            assert maps[0] == maps[1], (name, period)


def _handling(session):
    return next(d for d in _definitions(session) if d["key"] == "complaint_handling")


def _read_from_summary(session, name="boss"):
    """Whether the handling report and the bottleneck map read the summary for the reader over every period."""
    root = user(session, name).org
    return (report_summary.measured(session, _handling(session), root, None, None) is not None and
            report_summary.coverage(session, "lawyer_complaint", step_summary.steps_digest("lawyer_complaint"),
                                    root, None, None) is not None)


def test_the_summary_gives_the_live_figures_over_random_cases(session, many):
    assert not _read_from_summary(session)                      # nothing summarised yet: counted live
    report_summary.refresh(session, _definitions(session), NOW, limit=1000)
    assert not _read_from_summary(session)                      # the months refreshed, but not rebuilt: live
    built = report_summary.rebuild(session, _definitions(session), NOW)
    assert built["lawyer_complaint"]["rows"] > 0
    assert session.scalar(select(func.count()).select_from(SummaryStale)) == 0
    assert _read_from_summary(session) and _read_from_summary(session, "zhou")
    _assert_same(session)


def test_a_step_and_a_changed_case_are_counted_live_until_refreshed(engine, session, many):
    report_summary.rebuild(session, _definitions(session), NOW)
    with time_machine.travel(at("2025-10-20T09:00"), tick=False):
        do(engine, session, many["second"], "初审", "chen", review("accept"))
        do(engine, session, many["first"], "受理审查决定", "zhou", {"decision": "accepted",
                                                                 "decision_reason": "属于受理范围"})
    moved = session.scalars(select(Case).where(Case.title.like("随机%")).order_by(Case.id)).first()
    other = session.scalar(select(Organization.id).where(Organization.id != moved.org_id,
                                                         Organization.code.in_(["county-a", "county-b"])))
    moved.org_id, moved.meta = other, {**moved.meta, "channel": "visit", "decision": "accepted"}
    task = session.scalars(select(HumanTask).where(HumanTask.case_id != many["first"],
                                                   HumanTask.status == "ready")).first()
    task.status, task.completed_at = "completed", task.created_at + timedelta(hours=5)
    session.commit()
    stale = session.scalar(select(func.count()).select_from(SummaryStale))
    assert stale >= 4                                            # both months of the moved case among them
    assert _read_from_summary(session)
    _assert_same(session)
    definitions = _definitions(session)
    assert report_summary.refresh(session, definitions, NOW) >= 1
    assert session.scalar(select(func.count()).select_from(SummaryStale)) == 0
    assert report_summary.pending(session, definitions) == []
    _assert_same(session)


def test_a_report_published_after_the_summary_is_counted_live_until_summarised(session, many):
    report_summary.rebuild(session, _definitions(session), NOW)
    added = {"key": "complaint_by_route", "process": "lawyer_complaint", "groupBy": "contest_route",
             "measures": [{"name": "received", "kind": "count"},
                          {"name": "major_rate", "kind": "rate", "where": {"is_major": True},
                           "base": {"respondent_type": "lawyer"}},
                          {"name": "transfers", "kind": "sum", "field": "transfer_count"},
                          {"name": "reply", "kind": "on_time", "tasks": ["Task_reply_service"]}]}
    definitions = [*_definitions(session), added]
    boss = user(session, "boss")
    assert report_summary.measured(session, added, boss.org, None, None) is None
    _assert_same(session, definitions)
    pending = report_summary.pending(session, definitions)
    assert pending and {p for p, _, _ in pending} == {"lawyer_complaint"}
    report_summary.refresh(session, definitions, NOW, limit=len(pending))
    assert report_summary.measured(session, added, boss.org, None, None) is not None
    _assert_same(session, definitions)


def test_the_lawflow_command_builds_the_summary_and_the_stats_page_reads_it(app):
    from tests.web_helpers import login
    from web.cli import main

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["summarise", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert '"lawyer_complaint": {"units": ' in result.output
    assert runner.invoke(main, ["summarise"]).output.strip() == '{"refreshed": 0}'
    from web.scheduler import summarise
    assert summarise(app) == 0                                   # the scheduler's job: nothing changed since
    pages = {}
    for summary in (True, False):
        app.config["REPORT_SUMMARY"] = summary
        client = app.test_client()
        login(client, "han")
        pages[summary] = [re.sub(r'name="csrf_token" value="[^"]*"', "", client.get(f"/stats?process={p}")
                                 .get_data(as_text=True)) for p in ("lawyer_complaint", "law_firm_application")]
    assert pages[True] == pages[False]
    with app.app_context():
        from web.database import session as db_session
        db = db_session()
        handling = next(d for d in reports.reports(db) if d["key"] == "complaint_handling")
        assert report_summary.measured(db, handling, user(db, "han").org, None, None) is not None


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_schedulers_refreshing_at_once_count_each_month_once(Session, session, many):
    """PostgreSQL only: SQLite has one writer at a time, so there is no lock to skip."""
    definitions = _definitions(session)
    report_summary.rebuild(session, definitions, NOW)
    for case in session.scalars(select(Case).where(Case.title.like("随机%"))):
        case.meta = {**case.meta, "channel": "letter"}
    session.commit()
    units = report_summary.pending(session, definitions)
    assert len(units) > 4
    with Session() as holder:                                    # a scheduler in the middle of counting one unit
        process, org, month = units[0]
        holder.execute(select(SummaryUnit).filter_by(process_key=process, org_id=org, month=month)
                       .with_for_update())
        assert report_summary.refresh(session, definitions, NOW, limit=len(units)) == len(units) - 1
        holder.rollback()
    assert report_summary.pending(session, definitions) == [units[0]]
    for case in session.scalars(select(Case).where(Case.title.like("随机%"))):
        case.meta = {**case.meta, "channel": "visit"}
    session.commit()
    units = report_summary.pending(session, definitions)
    counted, failures = [], []

    def scheduler():
        with Session() as own:
            try:
                counted.append(report_summary.refresh(own, definitions, NOW, limit=len(units)))
            except Exception as exc:                                 # noqa: BLE001 - reported below
                failures.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sum(counted) == len(units)                          # each unit by one of them
    assert report_summary.pending(session, definitions) == []
    rows = session.execute(select(SummaryRow.definition_hash, SummaryRow.org_id, SummaryRow.month,
                                  SummaryRow.measure, SummaryRow.group_key, func.count())
                           .group_by(SummaryRow.definition_hash, SummaryRow.org_id, SummaryRow.month,
                                     SummaryRow.measure, SummaryRow.group_key)).all()
    assert all(n == 1 for *_, n in rows)
    _assert_same(session, readers=("boss",))
