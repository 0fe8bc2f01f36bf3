"""The web's edge (issue 14): the session key, body limits, redirects, refusals that change nothing, input checks
on every path, and sign-in (lockouts in the database, equal cost for unknown names, logout that ends the session)."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
import time_machine
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, select

from engine import case_status, cases, people
from engine.models import Attachment, AuditEvent, Case, HumanTask, Notification
from web import create_app
from web.database import session as db_session
from web.secret_key import PUBLIC_KEYS, MissingSecretKey
from web.workflow import engine

from .conftest import DEMO_MOMENT
from .pg_harness import _free_port
from .web_helpers import csrf, field_errors, login, token_for

EVIL_NEXT = ["//evil.example", "/\\evil.example", "https://evil.example", "\t/evil", "/\t/evil.example/",
             "/%09/evil.example/", "/%2F/evil.example", "javascript:alert(1)", "/\\/evil.example"]


def text(response) -> str:
    return response.get_data(as_text=True)


def count(app, model, *where) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(model).where(*where))


def new_complaint(app) -> tuple[int, int]:
    """A complaint registered by nobody yet: (case id, its registration task for 接待登记 in 东城区)."""
    with app.app_context():
        db = db_session()
        case = cases.start_case(engine(), db, "lawyer_complaint", {}, org_code="county-a", actor="xu")
        return case.id, cases.case_tasks(db, case.id, "ready")[0].id


def sample_task(app, org: str = "county-a") -> tuple[int, int]:
    """The ready 填写申请 task of a demo sample_review case: (task id, case id)."""
    with app.app_context():
        return db_session().execute(
            select(HumanTask.id, Case.id).join(Case, HumanTask.case_id == Case.id)
            .where(Case.process_key == "sample_review", HumanTask.status == "ready", HumanTask.name == "填写申请",
                   Case.org.has(code=org)).order_by(HumanTask.id)).first()


@pytest.fixture
def no_secret(tmp_path, monkeypatch):
    """No key in the environment or an instance file; the generated one would go to the returned path."""
    monkeypatch.delenv("LAWFLOW_SECRET_KEY", raising=False)
    monkeypatch.setenv("LAWFLOW_CONFIG_FILE", str(tmp_path / "absent.json"))
    return tmp_path / "instance" / "secret_key"


# ---------------------------------------------------------------- 1. no known secret in production

def test_a_cookie_signed_with_the_old_public_key_opens_nothing(demo_url, no_secret):
    app = create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret)})     # the embedded default
    try:
        client = app.test_client()
        login(client, "admin")
        assert client.get("/policy/").status_code == 200
        serializer = app.session_interface.get_signing_serializer(app)
        payload = serializer.loads(client.get_cookie("session").value)      # a live session of the policy admin
        public = Flask("forger")
        public.secret_key = "dev-only-change-me"
        forged = app.test_client()
        forged.set_cookie("session", SecureCookieSessionInterface().get_signing_serializer(public).dumps(payload))
        refused = forged.get("/policy/")
        assert refused.status_code == 302 and refused.location.startswith("/login")
        genuine = app.test_client()         # the same session signed with the app's own key does open the page
        genuine.set_cookie("session", serializer.dumps(payload))
        assert genuine.get("/policy/").status_code == 200
    finally:
        app.extensions["lawflow.sql"].dispose()


def test_the_embedded_server_generates_its_key_once_and_keeps_it(demo_url, no_secret):
    first = create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret)})
    second = create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret)})     # a restart
    try:
        key = first.config["SECRET_KEY"]
        assert len(key) >= 32 and key not in PUBLIC_KEYS and no_secret.read_text().strip() == key
        assert no_secret.stat().st_mode & 0o777 == 0o600
        assert second.config["SECRET_KEY"] == key
        before = first.test_client()
        login(before, "zhang")
        after = second.test_client()
        after.set_cookie("session", before.get_cookie("session").value)
        assert after.get("/inbox").status_code == 200          # the sign-in survived the restart
    finally:
        first.extensions["lawflow.sql"].dispose()
        second.extensions["lawflow.sql"].dispose()


def test_production_refuses_to_start_without_a_real_key(demo_url, no_secret, monkeypatch):
    for key in ("", "dev-only-change-me", "change-me-to-a-long-random-value", "too-short"):
        with pytest.raises(MissingSecretKey, match="LAWFLOW_SECRET_KEY"):
            create_app({"DATABASE_URL": demo_url, "SECRET_KEY_FILE": str(no_secret), "SECRET_KEY": key,
                        "SCHEDULER_IN_PROCESS": False})
    assert not no_secret.exists()
    monkeypatch.setenv("LAWFLOW_SECRET_KEY", "k" * 40)
    app = create_app({"DATABASE_URL": demo_url, "SCHEDULER_IN_PROCESS": False})     # what web/production.py builds
    assert app.config["SECRET_KEY"] == "k" * 40
    app.extensions["lawflow.sql"].dispose()


def test_gunicorn_is_not_started_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LAWFLOW_SECRET_KEY"}
    env.update(LAWFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/lawflow.sqlite",
               LAWFLOW_SECRET_KEY_FILE=str(tmp_path / "secret_key"), LAWFLOW_CONFIG_FILE=str(tmp_path / "none.json"))
    lawflow = Path(sys.executable).with_name("lawflow")
    process = subprocess.Popen([str(lawflow), "serve", "--host", "127.0.0.1", "--port", str(_free_port()),
                                "--workers", "1"], env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        _, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:          # it started after all: stop it and its workers
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    assert process.returncode != 0 and "LAWFLOW_SECRET_KEY" in errors and "Listening" not in errors


def test_the_compose_file_takes_the_key_from_the_environment():
    compose = (Path(__file__).resolve().parent.parent / "docker/compose.yaml").read_text(encoding="utf-8")
    assert "${LAWFLOW_SECRET_KEY:?" in compose
    assert not any(key in compose for key in PUBLIC_KEYS)


# ---------------------------------------------------------------- 3. no open redirect

@pytest.mark.parametrize("target", EVIL_NEXT)
def test_no_next_value_leaves_the_site(app, client, target):
    signed_in = client.post("/login?" + urlencode({"next": target}),
                            data={"username": "zhang", "password": "demo1234", "csrf_token": csrf(client)})
    assert signed_in.status_code == 302 and signed_in.location == "/inbox"
    assert client.get("/lang/en?" + urlencode({"next": target})).location == "/"
    task_id, _ = sample_task(app)
    token = csrf(client, "/inbox")
    claimed = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token, "next": target})
    assert claimed.location == f"/tasks/{task_id}"
    assert client.post("/notifications/read", data={"csrf_token": token, "next": target}).location == "/notifications"
    with app.app_context():
        db = db_session()
        note = Notification(user_id=people.user_by_name(db, "zhang").id, kind="info", title="t", body="b",
                            link=target, created_at=engine().now())
        db.add(note)
        db.commit()
        note_id = note.id
    assert client.get(f"/notifications/{note_id}/open").location == "/notifications"


def test_a_percent_encoded_tab_in_the_query_is_no_way_out_either(client):
    signed_in = client.post("/login?next=/%09/evil.example/",
                            data={"username": "zhang", "password": "demo1234", "csrf_token": csrf(client)})
    assert signed_in.location == "/inbox"
    assert client.get("/lang/zh?next=/%5Cevil.example").location == "/"


def test_a_page_of_this_site_is_where_next_leads(app, client):
    signed_in = client.post("/login?" + urlencode({"next": "/cases?q=投诉"}),
                            data={"username": "zhang", "password": "demo1234", "csrf_token": csrf(client)})
    assert signed_in.location == "/cases?q=" + quote("投诉")
    assert client.get("/lang/en?next=/inbox%3Fview%3Dgroup").location == "/inbox?view=group"


# ---------------------------------------------------------------- 4. refused means unchanged

def _post_file(client, task_id: int, action: str = "complete"):
    return client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, "/inbox"), "action": action, "channel": "letter",
        "evidence_files": (io.BytesIO(b"%PDF-1.4 x"), "收据.pdf")})


def test_a_file_for_a_task_the_user_may_not_work_on_is_not_stored(app, client):
    case_id, task_id = new_complaint(app)
    login(client, "chen")                                   # 承办人 of the same bureau: not the registration's handler
    for action in ("complete", "draft"):
        assert _post_file(client, task_id, action).status_code == 403
    assert count(app, Attachment, Attachment.case_id == case_id) == 0
    with app.app_context():
        db = db_session()
        case_status.suspend_case(engine(), db, case_id, actor="admin")
    login(client, "xu")
    assert _post_file(client, task_id).status_code == 409          # the case is suspended
    assert count(app, Attachment, Attachment.case_id == case_id) == 0
    with app.app_context():
        db = db_session()
        case_status.resume_case(engine(), db, case_id, actor="admin")
        db.get(HumanTask, task_id).status = "cancelled"
        db.commit()
    assert _post_file(client, task_id).status_code == 409          # no longer ready
    assert _post_file(client, task_id, "draft").status_code == 409
    assert count(app, Attachment, Attachment.case_id == case_id) == 0


def test_a_file_for_a_completed_task_is_not_stored(app, client):
    case_id, task_id = new_complaint(app)
    with app.app_context():
        db = db_session()
        complete = {"channel": "letter", "received_on": "2025-10-13", "complainant_name": "刘某",
                    "complainant_phone": "13800000001", "respondent_id": "L-0001",
                    "facts": "律师收费后未提供任何法律服务。", "requests": "退还费用"}
        cases.complete_task(engine(), db, task_id, complete, user=people.user_by_name(db, "xu"))
    login(client, "xu")
    assert _post_file(client, task_id).status_code == 409
    assert count(app, Attachment, Attachment.case_id == case_id) == 0


def test_the_api_refuses_a_completion_before_it_writes(app, client):
    task_id, case_id = sample_task(app)
    with app.app_context():
        version = db_session().get(Case, case_id).version
    events = count(app, AuditEvent, AuditEvent.case_id == case_id)
    refused = client.post(f"/api/v1/tasks/{task_id}/complete", headers=token_for(app, "chen"),
                          json={"data": {"title": "购置设备", "reason": "设备老化需要更换"}})
    assert refused.status_code == 403
    with app.app_context():
        db = db_session()
        assert db.get(HumanTask, task_id).status == "ready" and db.get(Case, case_id).version == version
    assert count(app, AuditEvent, AuditEvent.case_id == case_id) == events


def test_a_comment_names_only_a_task_of_its_own_case(app, client):
    headers = token_for(app, "zhang")
    own_task, case_id = sample_task(app)
    _, other_case_task = new_complaint(app)
    events = count(app, AuditEvent, AuditEvent.case_id == case_id, AuditEvent.action == "commented")
    refused = client.post(f"/api/v1/cases/{case_id}/comments", headers=headers,
                          json={"text": "请尽快办理", "task_id": other_case_task})
    assert refused.status_code == 404
    assert count(app, AuditEvent, AuditEvent.case_id == case_id, AuditEvent.action == "commented") == events
    accepted = client.post(f"/api/v1/cases/{case_id}/comments", headers=headers,
                           json={"text": "请尽快办理", "task_id": own_task})
    assert accepted.status_code == 201
    assert count(app, AuditEvent, AuditEvent.case_id == case_id, AuditEvent.action == "commented") == events + 1
