"""The `lawflow` command: schema, deploy (with problems reported), demo data, the timer sweep, the calendar.

Each test builds the app from the factory with a test config and drives the command through Flask's test runner;
the installed console script itself is run end to end by tests/test_web_sessions.py."""
from __future__ import annotations

import shutil
from datetime import datetime

import pytest
import time_machine

from engine.core import people
from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from web import create_app
from web.cli import main

from .conftest import ROOT
from .helpers import ready


@pytest.fixture
def app(tmp_path):
    """The app on a SQLite file that does not exist yet: `init-db` creates its schema."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/db/lawflow.sqlite", "SECRET_KEY": "test-secret",
                      "TESTING": True})
    yield app
    app.extensions["lawflow.sql"].dispose()


@pytest.fixture
def runner(app):
    """Flask's CLI runner: `runner.invoke(main, [...])` runs a `lawflow` command against the test app."""
    return app.test_cli_runner()


def test_init_deploy_demo_from_scratch(runner):
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    first = runner.invoke(main, ["deploy"])
    assert first.exit_code == 0 and "新版本 v1" in first.output
    again = runner.invoke(main, ["deploy"])
    assert again.exit_code == 0 and "沿用版本 v1" in again.output
    assert "演示数据已载入" in runner.invoke(main, ["demo"]).output
    assert "演示数据已存在" in runner.invoke(main, ["demo"]).output


def test_deploy_reports_problems_and_stores_nothing(runner, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "processes", project / "processes")
    shutil.copytree(ROOT / "forms", project / "forms")
    (project / "forms/sample/review.schema.json").unlink()
    runner.invoke(main, ["init-db"])
    result = runner.invoke(main, ["deploy", "--root", str(project)])
    assert result.exit_code == 1
    assert "processes/sample/sample_review.bpmn" in result.output and "[Task_review]" in result.output
    assert "新版本" in runner.invoke(main, ["deploy"]).output.replace("v1", "")


def at(text: str) -> datetime:
    """A moment in China's time zone."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def test_sweep_command_fires_a_due_timer(app, runner):
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    assert runner.invoke(main, ["deploy"]).exit_code == 0
    engine, Session = app.extensions["lawflow.engine"], app.extensions["lawflow.sessions"]
    with Session() as session, time_machine.travel(at("2025-10-13T09:00"), tick=False) as clock:
        people.add_organization(session, "county-a", "A区司法局")
        people.add_role(session, "handler", "经办人")
        people.add_role(session, "leader", "负责人")
        people.add_user(session, "alice", "张三", "county-a", ["handler"])
        people.add_user(session, "bob", "李四", "county-a", ["leader"])
        case = cases.start_case(engine, session, "sample_review", {}, org_code="county-a", actor="alice")
        session.commit()
        assert runner.invoke(main, ["sweep"]).output.strip() == "已处理 0 个到期案件"     # nothing due yet
        clock.move_to(at("2025-10-21T00:00:01"))            # past the 5-working-day deadline of 填写申请
        result = runner.invoke(main, ["sweep"])
        assert result.exit_code == 0 and "已处理 1 个到期案件" in result.output
        assert sorted(t.name for t in ready(session, case.id)) == ["填写申请", "督办"]
        assert cases.get_case(session, case.id).next_timer_at > at("2025-10-21T00:00:01")
        assert "已处理 0 个到期案件" in runner.invoke(main, ["sweep"]).output          # fired once


def test_calendar_commands(runner):
    runner.invoke(main, ["init-db"])
    assert "管理员录入年份：无" in runner.invoke(main, ["calendar", "status"]).output
    ok = runner.invoke(main, ["calendar", "set-year", "2027", "--holidays", "2027-01-01,2027-02-05",
                              "--workdays", "2027-02-20", "--note", "国务院办公厅通知"])
    assert ok.exit_code == 0 and "已录入 2027 年安排" in ok.output
    assert "管理员录入年份：2027" in runner.invoke(main, ["calendar", "status"]).output
    bad = runner.invoke(main, ["calendar", "set-year", "2028", "--workdays", "2028-01-05"])
    assert bad.exit_code == 1 and "无需列为调休" in bad.output
    worse = runner.invoke(main, ["calendar", "set-year", "2028", "--holidays", "2028-13-01"])
    assert worse.exit_code == 1 and "日历数据有误" in worse.output
