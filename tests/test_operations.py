"""What operators read: /readyz and each of its checks, the Prometheus metrics after traffic, and the request id
echoed in the response and carried by the log line (issue 23)."""
from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import text

from web import create_app
from web.scheduler import Heartbeat

from .conftest import DEMO_MOMENT
from .web_helpers import login, token_for

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


def _ready(client):
    answer = client.get("/readyz")
    return answer.status_code, answer.get_json()


def test_ready_once_a_scheduler_has_beaten_and_not_when_its_heartbeat_is_old(app, client):
    status, body = _ready(client)
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["schema"]["ok"]
    assert not body["checks"]["scheduler"]["ok"] and "no scheduler" in body["checks"]["scheduler"]["reason"]

    with time_machine.travel(DEMO_MOMENT, tick=False) as clock:
        Heartbeat()(app)
        status, body = _ready(client)
        assert status == 200 and body == {"status": "ready", "checks": {
            "database": {"ok": True}, "schema": {"ok": True, "current": body["checks"]["schema"]["head"],
                                                 "head": body["checks"]["schema"]["head"]},
            "scheduler": {"ok": True, "age_seconds": 0.0}}}
        clock.shift(timedelta(seconds=61))        # READY_HEARTBEAT_SECONDS is 60
        status, body = _ready(client)
    assert status == 503 and body["checks"]["scheduler"] == {
        "ok": False, "reason": "last scheduler heartbeat 61.0 s ago (allowed 60 s)", "age_seconds": 61.0}


def test_not_ready_while_the_schema_is_behind_the_code(app, client):
    Heartbeat()(app)
    with app.extensions["lawflow.sql"].begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0013'"))
    status, body = _ready(client)
    assert status == 503 and body["checks"]["database"] == {"ok": True}
    schema = body["checks"]["schema"]
    assert not schema["ok"] and schema["current"] == ["0013"] and "0013" in schema["reason"]
    assert "lawflow init-db" in schema["reason"]
    assert body["checks"]["scheduler"] == {"ok": False, "reason": "schema not at head"}


def test_not_ready_when_the_database_is_unreachable(sqlite_template, tmp_path):
    path = tmp_path / "lawflow.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "test-secret", "TESTING": True})
    app.extensions["lawflow.sql"].dispose()
    path.unlink()
    path.mkdir()             # the file is gone and nothing can open one there
    status, body = _ready(app.test_client())
    assert status == 503
    assert body["checks"]["database"]["ok"] is False and "database unreachable" in body["checks"]["database"]["reason"]
    assert body["checks"]["schema"]["ok"] is False and body["checks"]["scheduler"]["ok"] is False
    app.extensions["lawflow.sql"].dispose()


def _metrics(client, **kwargs) -> str:
    answer = client.get("/metrics", **kwargs)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_metrics_after_traffic_name_routes_steps_timers_errors_and_documents(app, client):
    headers = token_for(app, "zhang")
    started = client.post("/api/v1/cases", headers=headers, json={"process": "sample_review", "org": "county-a"})
    task = started.get_json()["tasks"][0]["id"]
    assert client.post(f"/api/v1/tasks/{task}/complete", headers=headers, json={"data": APPLY}).status_code == 200
    client.get(f"/api/v1/cases/{started.get_json()['id']}", headers=headers)

    with time_machine.travel(DEMO_MOMENT + timedelta(days=400), tick=False):    # the demo's timers are all due
        page = _metrics(client)
    assert 'lawflow_http_request_duration_seconds_bucket{endpoint="api_tasks.complete",le="+Inf",method="POST"} 1.0' \
        in page
    assert 'lawflow_http_request_duration_seconds_count{endpoint="api_cases.Cases",method="POST"} 1.0' in page
    assert 'lawflow_http_requests_total{endpoint="api_tasks.complete",method="POST",status="200"} 1.0' in page
    assert 'lawflow_step_duration_seconds_count{process="sample_review"} 1.0' in page
    figures = {line.split()[0]: float(line.split()[1]) for line in page.splitlines()
               if line.startswith(("lawflow_timers_", "lawflow_cases_in_error", "lawflow_documents_"))}
    assert set(figures) == {"lawflow_timers_due", "lawflow_timers_oldest_lateness_seconds", "lawflow_cases_in_error",
                            "lawflow_documents_pending", "lawflow_documents_oldest_pending_seconds"}
    assert figures["lawflow_timers_due"] > 0 and figures["lawflow_timers_oldest_lateness_seconds"] > 0
    assert "lawflow_scheduler_heartbeat_age_seconds -1.0" in page


def test_metrics_are_for_loopback_or_the_bearer_token(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test-secret", "TESTING": True,
                      "METRICS_TOKEN": "scrape-" + "x" * 20})
    client = app.test_client()
    remote = {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}
    assert client.get("/metrics", **remote).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **remote).status_code == 403
    assert "lawflow_cases_in_error" in _metrics(client, headers={"Authorization": "Bearer scrape-" + "x" * 20},
                                                **remote)
    assert "lawflow_cases_in_error" in _metrics(client)          # the test client comes from 127.0.0.1
    app.extensions["lawflow.sql"].dispose()


@pytest.fixture
def json_app(demo_url):
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test-secret", "TESTING": True, "LOG_FORMAT": "json"})
    with time_machine.travel(DEMO_MOMENT, tick=False):
        yield app
    app.extensions["lawflow.sql"].dispose()


def _request_lines(captured: str) -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "lawflow.request"]


def test_the_request_id_is_echoed_and_logged_with_the_user_and_the_case(json_app, capsys):
    client = json_app.test_client()
    answer = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.42"})
    assert answer.headers["X-Request-Id"] == "lb-7f3a.42"
    made = client.get("/healthz", headers={"X-Request-Id": "not plain <script>"}).headers["X-Request-Id"]
    assert len(made) == 32 and made != "not plain <script>"          # replaced by one of ours

    login(client, "zhang")
    with json_app.extensions["lawflow.sql"].connect() as connection:
        case_id = connection.execute(text(
            "SELECT min(c.id) FROM case_instance c JOIN organization o ON o.id = c.org_id "
            "WHERE c.process_key = 'sample_review' AND o.code = 'county-a'")).scalar()
    page = client.get(f"/cases/{case_id}", headers={"X-Request-Id": "case-page-1"})
    lines = _request_lines(capsys.readouterr().err)
    first = next(line for line in lines if line["request_id"] == "lb-7f3a.42")
    assert first["path"] == "/healthz" and first["status"] == 200 and first["endpoint"] == "pages.healthz"
    assert first["user"] is None and first["level"] == "INFO" and "duration_ms" in first
    assert any(line["request_id"] == made for line in lines)
    case_line = next(line for line in lines if line["request_id"] == "case-page-1")
    assert page.status_code == 200
    assert case_line["user"] == "zhang" and case_line["case"] == case_id and case_line["status"] == 200


def test_a_holiday_schedule_entered_on_one_server_is_used_by_the_next_step_on_another(app, demo_url):
    """Each server keeps the entered schedules in its engine's calendar; one entered elsewhere is loaded again before
    the next request that may change a case (reading pages costs no extra query)."""
    from datetime import date

    from engine.runtime import deadlines
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    other = create_app({"DATABASE_URL": demo_url, "SECRET_KEY": "test-secret", "TESTING": True})
    calendar = other.extensions["lawflow.engine"].calendar
    assert 2031 not in calendar.overrides
    with app.app_context():
        deadlines.enter_year(web_engine(), db_session(), 2031, [date(2031, 1, 1)], [date(2031, 1, 4)], actor="admin")
    client = other.test_client()
    client.get("/login")
    assert 2031 not in calendar.overrides                       # a page read: nothing asked
    client.post("/login", data={"username": "nobody", "password": "x"})       # refused, but a write could have run
    assert calendar.overrides[2031].holidays == {date(2031, 1, 1)} and calendar.is_working_day(date(2031, 1, 4))
    other.extensions["lawflow.sql"].dispose()


def test_plain_logs_carry_the_same_request_fields_as_text(app, capsys):
    from web import request_log

    request_log.configure("plain")
    answer = app.test_client().get("/readyz", headers={"X-Request-Id": "plain-1"})
    line = next(line for line in capsys.readouterr().err.splitlines() if "request_id=plain-1" in line)
    assert answer.headers["X-Request-Id"] == "plain-1"
    assert " INFO lawflow.request: GET /readyz 503 [request_id=plain-1]" in line
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or plain, not 'xml'"):
        request_log.configure("xml")
