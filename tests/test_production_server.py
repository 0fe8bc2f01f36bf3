"""`lawflow serve --workers 2` (gunicorn, what docker/ runs) serves the pages and the API on the demo data."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg_harness import _free_port

from . import server_log
from .web_helpers import token_for

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


@pytest.fixture
def production_server(demo_url, tmp_path):
    yield from _serve(demo_url, {}, tmp_path)


def _call(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)    # queued until a worker has booted
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type", ""), data


def test_gunicorn_serves_health_pages_and_a_case_through_the_api(app, production_server):
    port, headers = production_server, token_for(app, "zhang")
    assert _call(port, "GET", "/healthz")[0] == 200
    status, kind, page = _call(port, "GET", "/login")
    assert status == 200 and "text/html" in kind and "登录" in page.decode()

    status, _, body = _call(port, "POST", "/api/v1/cases", {"process": "sample_review", "org": "county-a"}, headers)
    assert status == 201, body
    task = json.loads(body)["tasks"][0]
    status, _, body = _call(port, "POST", f"/api/v1/tasks/{task['id']}/complete", {"data": APPLY}, headers)
    assert status == 200, body
    done = json.loads(body)
    assert done["status"] == "completed" and [t["name"] for t in done["next_tasks"]] == ["审核"]
    status, kind, body = _call(port, "POST", f"/api/v1/tasks/{task['id']}/complete", {"data": APPLY}, headers)
    assert status == 409 and kind == "application/problem+json"


def _deploy_spinners(app, scripts: dict[str, str]) -> None:
    """Publish the project with processes whose step after the first task runs `script` (as policy staff would)."""
    from xml.sax.saxutils import escape

    from engine.definitions import bundles
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    from . import diagrams
    from .conftest import ROOT

    files = bundles.collect(ROOT)
    for pid, script in scripts.items():
        files[f"processes/test/{pid}.bpmn"] = diagrams.process(pid, [
            '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_go", name="申请"),
            diagrams.script_task("Script_spin", escape(script)), '<bpmn:endEvent id="EndEvent"/>',
        ], [diagrams.flow("F1", "StartEvent", "Task_go"), diagrams.flow("F2", "Task_go", "Script_spin"),
            diagrams.flow("F3", "Script_spin", "EndEvent")], lanes={"经办人": ["StartEvent", "Task_go"]})
    with app.app_context():
        bundles.deploy(db_session(), files, engine=web_engine())


def _first_task(port, headers, process: str) -> tuple[int, int]:
    status, _, body = _call(port, "POST", "/api/v1/cases", {"process": process, "org": "county-a"}, headers)
    assert status == 201, body
    started = json.loads(body)
    return started["id"], started["tasks"][0]["id"]


def _case_status(port, headers, case_id: int) -> str:
    status, _, body = _call(port, "GET", f"/api/v1/cases/{case_id}", headers=headers)
    assert status == 200, body
    return json.loads(body)["status"]


@pytest.fixture
def spinning_server(app, demo_url, request, tmp_path):
    """`lawflow serve --workers 2` on a demo database with runaway diagrams published; settings from the test."""
    _deploy_spinners(app, {"spin": "while True:\n    pass", "hoard": "rows = []\nwhile True:\n    rows.append('x' * 90000)",
                           "deep": "t = ()\nfor i in range(300000):\n    t = (t,)\nkeys = len({t})"})
    env = {f"LAWFLOW_{k}": str(v) for k, v in getattr(request, "param", {}).items()}
    env["LAWFLOW_CRASH_JOURNAL_DIR"] = str(tmp_path / "journal")
    yield from _serve(demo_url, env, tmp_path)


def _serve(demo_url: str, extra_env: dict[str, str], tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "LAWFLOW_DATABASE_URL": demo_url, "LAWFLOW_SECRET_KEY": "test-" + os.urandom(8).hex(),
           "LAWFLOW_SCHEDULER_IN_PROCESS": "false", **extra_env}
    lawflow = Path(sys.executable).with_name("lawflow")
    log = tmp_path / "gunicorn.log"
    process = server_log.start([str(lawflow), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
                                "--threads", "2"], env, log)
    try:
        # gunicorn says where it listens once the socket is bound
        server_log.wait_for_line(process, log, "Listening at", "gunicorn did not start")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        print(server_log.read(log))         # shown for a failing test


def test_runaway_steps_fail_their_cases_while_the_server_goes_on(app, spinning_server):
    from concurrent.futures import ThreadPoolExecutor

    port, headers = spinning_server, token_for(app, "zhang")
    spins = [_first_task(port, headers, "spin") for _ in range(2)]
    normal_case, normal_task = _first_task(port, headers, "sample_review")
    with ThreadPoolExecutor(4) as pool:
        runaway = [pool.submit(_call, port, "POST", f"/api/v1/tasks/{t}/complete", {"data": APPLY}, headers)
                   for _, t in spins]
        health = pool.submit(_call, port, "GET", "/healthz")
        done = pool.submit(_call, port, "POST", f"/api/v1/tasks/{normal_task}/complete", {"data": APPLY}, headers)
        assert health.result()[0] == 200
        assert done.result()[0] == 200, done.result()[2]
        for future in runaway:
            status, kind, body = future.result()
            assert status in (400, 422) and kind == "application/problem+json"
            assert "CPU 时间限制" in body.decode() and "Script_spin" in body.decode()
    assert [_case_status(port, headers, c) for c, _ in spins] == ["error", "error"]
    assert _case_status(port, headers, normal_case) == "running"


@pytest.mark.parametrize("spinning_server", [{"SANDBOX_CPU_SECONDS": 100000, "SANDBOX_RUN_CPU_SECONDS": 100000,
                                              "WORKER_REQUEST_SECONDS": 2}], indirect=True)
def test_a_request_stuck_past_the_in_process_limits_ends_its_worker_only(app, spinning_server):
    """With the sandbox's CPU budget set out of reach, the worker's watchdog still ends the stuck request's
    worker: the server answers on with a fresh worker, and the case is put in error at its last good state (by
    the process that finds the ended one's journal), so the next try does not end another worker."""
    port, headers = spinning_server, token_for(app, "zhang")
    case_id, task_id = _first_task(port, headers, "spin")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        _call(port, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": APPLY}, headers)
    assert _call(port, "GET", "/healthz")[0] == 200
    assert _status_becomes(port, headers, case_id, "error")
    normal_case, normal_task = _first_task(port, headers, "sample_review")
    assert _call(port, "POST", f"/api/v1/tasks/{normal_task}/complete", {"data": APPLY}, headers)[0] == 200


@pytest.mark.parametrize("spinning_server", [{"SANDBOX_MEMORY_MB": 100000, "SANDBOX_CPU_SECONDS": 100000,
                                              "SANDBOX_RUN_CPU_SECONDS": 100000, "WORKER_MEMORY_MB": 300}],
                         indirect=True)
def test_a_worker_cannot_allocate_past_its_memory_ceiling(app, spinning_server):
    """With the sandbox's memory budget set out of reach, the worker's own ceiling stops the hoarding script:
    the allocation fails, the case goes to error, and the server answers on."""
    port, headers = spinning_server, token_for(app, "zhang")
    case_id, task_id = _first_task(port, headers, "hoard")
    status, _, body = _call(port, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": APPLY}, headers)
    assert status in (400, 422) and "MemoryError" in body.decode()
    assert _case_status(port, headers, case_id) == "error"
    assert _call(port, "GET", "/healthz")[0] == 200


def test_the_scheduler_ends_itself_when_a_sweep_never_ends(app, demo_url, tmp_path):
    """A timer that runs a step the sandbox cannot stop (its budget set out of reach): the scheduler's watchdog
    ends the process (its supervisor starts it again), and the case keeps its last good state."""
    from engine.definitions import bundles
    from engine.runtime import cases
    from web.database import session as db_session
    from web.guard import EXIT_STUCK
    from web.workflow import engine as web_engine

    from . import diagrams
    from .conftest import ROOT

    files = bundles.collect(ROOT)
    files["processes/test/late_spin.bpmn"] = diagrams.process("late_spin", [
        '<bpmn:startEvent id="StartEvent"/>', diagrams.user_task("Task_wait", name="办理"),
        diagrams.boundary_timer("Timer_late", "Task_wait", '"P2D"', kind="timeDuration"),
        diagrams.script_task("Script_spin", "while True:\n    pass"),
        '<bpmn:endEvent id="EndEvent"/>', '<bpmn:endEvent id="EndEvent_late"/>',
    ], [diagrams.flow("F1", "StartEvent", "Task_wait"), diagrams.flow("F2", "Task_wait", "EndEvent"),
        diagrams.flow("F3", "Timer_late", "Script_spin"), diagrams.flow("F4", "Script_spin", "EndEvent_late")],
        lanes={"经办人": ["StartEvent", "Task_wait", "EndEvent"]})
    with app.app_context():
        bundles.deploy(db_session(), files, engine=web_engine())
        case_id = cases.start_case(web_engine(), db_session(), "late_spin", {}, org_code="county-a").id
    env = {**os.environ, "LAWFLOW_DATABASE_URL": demo_url, "LAWFLOW_SECRET_KEY": "test-" + os.urandom(8).hex(),
           "LAWFLOW_TIMER_SWEEP_SECONDS": "1", "LAWFLOW_SANDBOX_CPU_SECONDS": "100000",
           "LAWFLOW_SANDBOX_RUN_CPU_SECONDS": "100000", "LAWFLOW_SCHEDULER_JOB_SECONDS": "2",
           "LAWFLOW_CRASH_JOURNAL_DIR": str(tmp_path / "journal")}
    lawflow = Path(sys.executable).with_name("lawflow")
    scheduler = subprocess.run([str(lawflow), "scheduler"], env=env, capture_output=True, text=True, timeout=120)
    assert scheduler.returncode == EXIT_STUCK, scheduler.stderr
    assert "sweep" in scheduler.stderr
    with app.app_context():
        case = cases.get_case(db_session(), case_id)
        assert case.status == "running" and case.next_timer_at is not None
    # The scheduler started again finds the journal the ended one left and puts the case in error, instead of
    # running the same step into the same wall.
    log = tmp_path / "scheduler-again.log"
    again = server_log.start([str(lawflow), "scheduler"], env, log)
    try:
        server_log.wait_for_line(again, log, "已置为出错", "the scheduler started again put no case in error")
    finally:
        os.killpg(again.pid, signal.SIGTERM)
        again.wait(timeout=30)
    with app.app_context():
        db_session().expire_all()
        case = cases.get_case(db_session(), case_id)
        assert case.status == "error" and "异常退出" in case.error


def _status_becomes(port, headers, case_id: int, wanted: str, within: float = 20.0) -> bool:
    """Ask for the case's status until it is `wanted` (a surviving worker looks for crashed ones twice a second)."""
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if _case_status(port, headers, case_id) == wanted:
            return True
    return False


@pytest.mark.parametrize("spinning_server", [{"SANDBOX_CPU_SECONDS": 100000, "SANDBOX_RUN_CPU_SECONDS": 100000}],
                         indirect=True)
def test_a_step_that_crashes_its_worker_puts_only_its_case_in_error(app, spinning_server):
    """Hashing a tuple nested 300,000 deep overflows the C stack and kills the worker outright: the request is
    lost, the case is put in error by a surviving worker, and the server answers on."""
    port, headers = spinning_server, token_for(app, "zhang")
    case_id, task_id = _first_task(port, headers, "deep")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        _call(port, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": APPLY}, headers)
    assert _status_becomes(port, headers, case_id, "error")
    status, _, body = _call(port, "GET", f"/api/v1/cases/{case_id}", headers=headers)
    assert "异常退出" in json.loads(body)["error"]
    normal_case, normal_task = _first_task(port, headers, "sample_review")
    assert _call(port, "POST", f"/api/v1/tasks/{normal_task}/complete", {"data": APPLY}, headers)[0] == 200
