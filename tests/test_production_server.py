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

from .web_helpers import token_for

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


@pytest.fixture
def production_server(demo_url):
    port = _free_port()
    env = {**os.environ, "LAWFLOW_DATABASE_URL": demo_url, "LAWFLOW_SECRET_KEY": "test-" + os.urandom(8).hex(),
           "LAWFLOW_SCHEDULER_IN_PROCESS": "false"}
    lawflow = Path(sys.executable).with_name("lawflow")
    process = subprocess.Popen([str(lawflow), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
                                "--threads", "2"], env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    for line in process.stderr:         # gunicorn says where it listens once the socket is bound
        log.append(line)
        if "Listening at" in line:
            break
    else:
        pytest.fail("gunicorn did not start:\n" + "".join(log))
    yield port
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    process.stderr.close()


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
