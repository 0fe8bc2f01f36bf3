"""Several servers, one database (issue 23): two `lawflow serve` processes on separate ports and two `lawflow
scheduler` processes on one PostgreSQL, each started as docker/compose.yaml starts them. A user signs in on one server
and goes on on the other; a sign-in lockout and the portal's rate limit count across both; a case changed on one is
current on the other; timers fire once with two schedulers; each server is ready once a scheduler beats, reports
its workers' metrics together, and logs JSON lines with the request id it echoes."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.core import connect
from tests.pg_harness import _free_port

from . import diagrams, server_log
from .sweepers import clone_case
from .web_helpers import token_for

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("demo_url", ["postgresql"], indirect=True)]
LAWFLOW = Path(sys.executable).with_name("lawflow")
APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}
TIMED_COPIES = 60


class Server:
    """One `lawflow` process whose stderr goes to a file (read for the line that says it is up, and its JSON lines)."""

    def __init__(self, args: list[str], env: dict[str, str], ready_when: str, log: Path):
        self.log = log
        self.process = server_log.start([str(LAWFLOW), *args], env, log)
        server_log.wait_for_line(self.process, log, ready_when, f"lawflow {args[0]} did not start")

    def lines(self, what: str, within: float = 180.0) -> list[dict]:
        """The JSON lines it has logged that hold `what`, waiting until there is one."""
        return _logged(lambda: self.found(what), within, f"{self.process.args[1]} logging {what}")

    def found(self, what: str) -> list[dict]:
        """The JSON lines it has logged so far that hold `what` (a line still being written is left for later)."""
        return [json.loads(line) for line in server_log.read(self.log).splitlines(keepends=True)
                if what in line and line.startswith("{") and line.endswith("\n")]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def _logged(check, within: float, what: str):
    """Ask `check()` again (it reads the servers' logs) until it answers something true."""
    return server_log.wait_until(check, within, what)


class Browser:
    """A client that keeps the cookies servers set (cookies do not tell ports apart, as a browser's do not)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def call(self, port: int, method: str, path: str, form: dict | None = None, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = {**(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if form is not None:
            payload, sent["Content-Type"] = urllib.parse.urlencode(form), "application/x-www-form-urlencoded"
        elif body is not None:
            payload, sent["Content-Type"] = json.dumps(body), "application/json"
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        data = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.getheaders()), data

    def csrf(self, port: int, path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.call(port, "GET", path)[2]).group(1)

    def sign_in(self, port: int, username: str, password: str = "demo1234"):
        return self.call(port, "POST", "/login", {"username": username, "password": password,
                                                  "csrf_token": self.csrf(port, "/login")})


@pytest.fixture
def timed_cases(app, demo_url):
    """TIMED_COPIES cases of a diagram whose 2-day timer is long due (started on the demo's day)."""
    from engine.definitions import bundles
    from engine.runtime import cases
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    from .conftest import ROOT

    files = bundles.collect(ROOT)
    files["processes/test/timed.bpmn"] = diagrams.timed()
    with app.app_context():
        bundles.deploy(db_session(), files, engine=web_engine())
        first = cases.start_case(web_engine(), db_session(), "timed", {}, org_code="county-a").id
        clone_case(db_session(), first, TIMED_COPIES - 1)
        # The demo's documents waiting to be filled take seconds each (a child process per document): not this
        # test's subject, so they are set aside, and a sweep is the timers' work.
        db_session().execute(text("UPDATE case_document SET status = 'failed' WHERE status = 'pending'"))
        db_session().commit()
    return first


@pytest.fixture
def cluster(demo_url, timed_cases, tmp_path):
    """Two servers (2 workers each) and two schedulers on the demo database, as docker/compose.yaml runs them."""
    base = {**os.environ, "LAWFLOW_DATABASE_URL": demo_url, "LAWFLOW_SECRET_KEY": "test-" + os.urandom(12).hex(),
            "LAWFLOW_SCHEDULER_IN_PROCESS": "false", "LAWFLOW_LOG_FORMAT": "json",
            "LAWFLOW_PORTAL_CHECKS_PER_10_MINUTES": "3", "LAWFLOW_TIMER_SWEEP_SECONDS": "1",
            "LAWFLOW_CRASH_JOURNAL_DIR": str(tmp_path / "journal")}
    base.pop("PROMETHEUS_MULTIPROC_DIR", None)
    ports = [_free_port(), _free_port()]
    metric_ports = [_free_port(), _free_port()]
    started = []
    try:
        for n, port in enumerate(ports):
            started.append(Server(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                  base, "Listening at", tmp_path / f"serve-{n}.log"))
        for n, port in enumerate(metric_ports):
            started.append(Server(["scheduler", "--metrics-port", str(port)], base, "/metrics",
                                  tmp_path / f"scheduler-{n}.log"))
        yield ports, metric_ports, started
    finally:
        for server in started:
            server.stop()
        print("".join(server_log.read(server.log) for server in started))      # shown for a failing test


def _until(check, within: float = 120.0):
    """Ask `check()` until it answers something true (each ask is a round trip to a server or the database)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
    pytest.fail(f"not within {within} s: {check.__doc__}")


def test_two_servers_and_two_schedulers_share_one_database(app, demo_url, timed_cases, cluster):
    (a, b), metric_ports, started = cluster

    # Ready on both once a scheduler has beaten.
    def ready():
        """both servers ready"""
        return all(Browser().call(port, "GET", "/readyz")[0] == 200 for port in (a, b))
    _until(ready)

    # Signed in on one, the session goes on on the other (a signed cookie naming a session row both read).
    user = Browser()
    assert user.sign_in(a, "zhang")[0] == 302
    status, _, page = user.call(b, "GET", "/inbox")
    assert status == 200 and "张明" in page
    user.call(b, "POST", "/logout", {"csrf_token": user.csrf(b, "/inbox")})
    assert user.call(a, "GET", "/inbox")[0] == 302          # signed out on b: gone on a too

    # Five wrong passwords, spread over both servers, lock the account on both.
    guesser = Browser()
    for port in (a, b, a, b, a):
        assert guesser.sign_in(port, "li", "wrong-password")[0] == 401
    for port in (a, b):
        status, _, page = guesser.sign_in(port, "li")
        assert status == 401 and "登录失败次数过多" in page

    # The portal's status checks (3 wrong ones per address here) count across both servers.
    public = Browser()
    wrong = {"number": "〔2025〕投诉第9999号", "code": "AAAAAAAA"}
    for port in (a, b, a):
        assert public.call(port, "POST", "/portal/status", {**wrong, "csrf_token": public.csrf(port, "/portal/status")}
                           )[0] == 404
    assert public.call(b, "POST", "/portal/status", {**wrong, "csrf_token": public.csrf(b, "/portal/status")})[0] == 429

    # A case started on a, its first task completed on b, its next on a (whose cached workflow is a step behind).
    zhang, li = token_for(app, "zhang"), token_for(app, "li")
    api = Browser()
    status, _, body = api.call(a, "POST", "/api/v1/cases", body={"process": "sample_review", "org": "county-a"},
                               headers=zhang)
    assert status == 201, body
    case_id, first = json.loads(body)["id"], json.loads(body)["tasks"][0]["id"]
    status, _, body = api.call(b, "POST", f"/api/v1/tasks/{first}/complete", body={"data": APPLY}, headers=zhang)
    assert status == 200, body
    status, _, body = api.call(a, "GET", f"/api/v1/cases/{case_id}", headers=li)
    assert [t["name"] for t in json.loads(body)["tasks"]] == ["审核"]
    review = json.loads(body)["tasks"][0]["id"]
    status, _, body = api.call(a, "POST", f"/api/v1/tasks/{review}/complete",
                               body={"data": {"decision": "approve", "opinion": "同意购置"}}, headers=li)
    assert status == 200, body
    status, _, body = api.call(b, "GET", f"/api/v1/cases/{case_id}", headers=li)
    assert json.loads(body)["version"] == json.loads(api.call(a, "GET", f"/api/v1/cases/{case_id}",
                                                                headers=li)[2])["version"]

    # Every long-due timer fired once, by one scheduler or the other (asked again as the schedulers log sweeps).
    schedulers = started[2:]
    sql = connect(demo_url)

    def all_fired():
        handled = sum(line["handled"] for scheduler in schedulers for line in scheduler.found('"job": "sweep"'))
        if handled < TIMED_COPIES:
            return False
        with sql.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM case_instance WHERE process_key = 'timed' AND next_timer_at IS NULL")
            ).scalar() == TIMED_COPIES
    _logged(all_fired, 180, "every timed case's timer fired")
    try:
        with sql.connect() as connection:
            supervised = dict(connection.execute(text(
                "SELECT c.id, count(t.id) FROM case_instance c LEFT JOIN human_task t ON t.case_id = c.id "
                "AND t.element_id = 'Task_supervise' WHERE c.process_key = 'timed' GROUP BY c.id")).all())
            checked = connection.execute(text(
                "SELECT count(*), count(DISTINCT e.case_id) FROM audit_event e JOIN case_instance c "
                "ON c.id = e.case_id WHERE c.process_key = 'timed' AND e.action = 'timers_checked'")).one()
            beating = connection.execute(text("SELECT count(*) FROM scheduler_heartbeat")).scalar()
    finally:
        sql.dispose()
    assert len(supervised) == TIMED_COPIES and set(supervised.values()) == {1}
    assert tuple(checked) == (TIMED_COPIES, TIMED_COPIES)
    assert beating == 2                                   # each scheduler keeps its own heartbeat

    # Each server's metrics add up its two workers: ten requests, whichever worker answered each.
    for _ in range(10):
        Browser().call(a, "GET", "/healthz", headers={"X-Request-Id": "count-me"})
    page = Browser().call(a, "GET", "/metrics")[2]
    assert 'lawflow_http_request_duration_seconds_count{endpoint="pages.healthz",method="GET"} 10.0' in page
    assert 'lawflow_step_duration_seconds_count{process="sample_review"}' in page
    assert "lawflow_timers_due" in page and "lawflow_cases_in_error" in page
    for port in metric_ports:
        scheduler_page = Browser().call(port, "GET", "/metrics")[2]
        assert 'lawflow_scheduler_job_duration_seconds_count{job="heartbeat"}' in scheduler_page
        assert "lawflow_scheduler_last_heartbeat_timestamp_seconds" in scheduler_page
        assert "lawflow_documents_pending" in scheduler_page and "lawflow_timers_due" in scheduler_page

    logged = sum(line["handled"] for scheduler in schedulers for line in scheduler.found('"job": "sweep"'))
    fired = sum(float(m) for port in metric_ports for m in re.findall(
        r'lawflow_scheduler_handled_total\{job="sweep"\} ([0-9.]+)', Browser().call(port, "GET", "/metrics")[2]))
    assert fired >= logged >= TIMED_COPIES

    # The servers log one JSON object a line, the request's id in it.
    status, headers, _ = Browser().call(b, "GET", "/healthz", headers={"X-Request-Id": "trace-b-1"})
    assert headers["X-Request-Id"] == "trace-b-1"

    line = started[1].lines('"trace-b-1"', 30)[0]
    assert line["logger"] == "lawflow.request" and line["path"] == "/healthz" and line["status"] == 200
