"""The `lawflow` command: schema, deploy (with problems reported), demo data."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from web.cli import main

from .conftest import ROOT


@pytest.fixture(autouse=True)
def instance_secret(tmp_path, monkeypatch):
    """The embedded app these commands build keeps its generated session key here, not in the checkout."""
    monkeypatch.setenv("LAWFLOW_SECRET_KEY_FILE", str(tmp_path / "instance" / "secret_key"))


def test_init_deploy_demo_from_scratch(tmp_path, monkeypatch):
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/db/lawflow.sqlite")
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    first = runner.invoke(main, ["deploy"])
    assert first.exit_code == 0 and "新版本 v1" in first.output
    again = runner.invoke(main, ["deploy"])
    assert again.exit_code == 0 and "沿用版本 v1" in again.output
    assert "演示数据已载入" in runner.invoke(main, ["demo"]).output
    assert "演示数据已存在" in runner.invoke(main, ["demo"]).output


def test_deploy_reports_problems_and_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/lawflow.sqlite")
    project = tmp_path / "project"
    shutil.copytree(ROOT / "processes", project / "processes")
    shutil.copytree(ROOT / "forms", project / "forms")
    (project / "forms/sample/review.schema.json").unlink()
    runner = CliRunner()
    runner.invoke(main, ["init-db"])
    result = runner.invoke(main, ["deploy", "--root", str(project)])
    assert result.exit_code == 1
    assert "processes/sample/sample_review.bpmn" in result.output and "[Task_review]" in result.output
    assert "新版本" in runner.invoke(main, ["deploy"]).output.replace("v1", "")


def test_sweep_command_runs_the_timer_sweep(tmp_path, monkeypatch):
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/lawflow.sqlite")
    runner = CliRunner()
    runner.invoke(main, ["init-db"])
    runner.invoke(main, ["deploy"])
    result = runner.invoke(main, ["sweep"])
    assert result.exit_code == 0 and "已处理 0 个到期案件" in result.output


def test_calendar_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("LAWFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/lawflow.sqlite")
    runner = CliRunner()
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
