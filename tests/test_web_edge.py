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


# ---------------------------------------------------------------- 2. bounded bodies, refused before they are read

class Body:
    """A request body of `size` bytes that counts how much of it the server read."""

    def __init__(self, size: int):
        self.size, self.position, self.taken = size, 0, 0

    def read(self, n: int | None = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        self.position += n
        self.taken += n
        return b"a" * n

    def readline(self, n: int | None = -1) -> bytes:
        return self.read(n)

    def tell(self) -> int:              # the test client measures the body by seeking (nothing is read)
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else self.size + offset
        return self.position


GIGABYTE = 1 << 30


def send(client, path: str, body: Body, *, declared: bool = True, kind: str = "application/x-www-form-urlencoded",
         headers: dict | None = None):
    headers = dict(headers or {})
    environ = {}
    if not declared:                    # a chunked body: no length said, the server learns it by reading
        headers["Transfer-Encoding"] = "chunked"
        environ["wsgi.input_terminated"] = True
    return client.post(path, input_stream=body, content_type=kind, headers=headers, environ_overrides=environ)


@pytest.mark.parametrize("path", ["/login", "/portal/lawyer_complaint", "/tasks/1", "/cases/1/comment",
                                  "/policy/drafts", "/api/v1/cases"])
def test_a_gigabyte_without_credentials_is_refused_unread(client, path):
    body = Body(GIGABYTE)
    response = send(client, path, body, kind="application/json" if path.startswith("/api") else
                    "application/x-www-form-urlencoded")
    assert response.status_code == 413 and body.taken == 0
    if path.startswith("/api"):
        assert response.mimetype == "application/problem+json"


def test_a_gigabyte_from_signed_in_staff_is_refused_unread_too(app, client):
    task_id, _ = sample_task(app)
    login(client, "admin")
    for path in (f"/tasks/{task_id}", "/policy/drafts"):
        body = Body(GIGABYTE)
        assert send(client, path, body, kind="multipart/form-data; boundary=x").status_code == 413
        assert body.taken == 0
    body = Body(GIGABYTE)
    assert send(client, "/api/v1/cases", body, kind="application/json",
                headers=token_for(app, "zhang")).status_code == 413 and body.taken == 0


def test_a_body_without_a_length_is_read_only_up_to_the_limit(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = Body(GIGABYTE)
    assert send(client, "/login", body, declared=False).status_code == 413 and body.taken <= limit
    body = Body(GIGABYTE)
    assert send(client, "/api/v1/cases", body, declared=False, kind="application/json").status_code == 401
    assert body.taken == 0                  # the API's sign-in comes before its body is read
    body = Body(GIGABYTE)
    assert send(client, "/api/v1/cases", body, declared=False, kind="application/json",
                headers=token_for(app, "zhang")).status_code == 413 and body.taken <= limit


def test_uploads_and_imports_have_their_own_limits(app, client):
    app.config.update(MAX_CONTENT_LENGTH=8 * 1024, UPLOAD_MAX_BYTES=64 * 1024, IMPORT_MAX_BYTES=32 * 1024)
    case_id, task_id = new_complaint(app)
    file_of = lambda size: (io.BytesIO(b"%PDF" + b"0" * size), "证据.pdf")  # noqa: E731
    portal = client.post("/portal/lawyer_complaint", content_type="multipart/form-data",
                         data={"csrf_token": csrf(client, "/portal/lawyer_complaint"), "facts": "x" * 20 * 1024})
    assert portal.status_code == 413                            # anonymous: the ordinary limit
    login(client, "xu")
    token = csrf(client, f"/tasks/{task_id}")
    fits = client.post(f"/tasks/{task_id}", content_type="multipart/form-data",
                       data={"csrf_token": token, "action": "draft", "evidence_files": file_of(20 * 1024)})
    assert fits.status_code == 302 and count(app, Attachment, Attachment.case_id == case_id) == 1
    too_big = client.post(f"/tasks/{task_id}", content_type="multipart/form-data",
                          data={"csrf_token": token, "action": "draft", "evidence_files": file_of(100 * 1024)})
    assert too_big.status_code == 413 and count(app, Attachment, Attachment.case_id == case_id) == 1
    assert client.post("/policy/drafts", content_type="multipart/form-data", data={
        "csrf_token": token, "zip": (io.BytesIO(b"0" * 20 * 1024), "v.zip")}).status_code == 413  # not policy staff
    login(client, "admin")
    token = csrf(client, "/policy/")
    imported = client.post("/policy/drafts", content_type="multipart/form-data", data={
        "csrf_token": token, "zip": (io.BytesIO(b"0" * 20 * 1024), "v.zip")})
    assert imported.status_code == 302                          # read (and refused as no zip), not cut off
    assert client.post("/policy/drafts", content_type="multipart/form-data", data={
        "csrf_token": token, "zip": (io.BytesIO(b"0" * 40 * 1024), "v.zip")}).status_code == 413


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
    late = _post_file(client, task_id)
    assert late.status_code == 409 and "已由 xu 办理完毕" in text(late)
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


# ---------------------------------------------------------------- 5. input checks on every path

JSON_REFUSALS = {
    "NaN": ("NaN", "amount"), "Infinity": ("Infinity", "amount"), "-Infinity": ("-Infinity", "amount"),
    "1e999": ("1e999", "amount"), "digits": ("1" * 5000, "amount"), "past 64 bits": ("18446744073709551616", "amount"),
    "lone surrogate": ('"\\ud800"', "title"), "NUL": ('"a\\u0000"', "title"),
}


@pytest.mark.parametrize("case", JSON_REFUSALS, ids=list(JSON_REFUSALS))
def test_json_values_the_database_cannot_keep_are_refused_with_their_field(app, client, case):
    raw, field = JSON_REFUSALS[case]
    headers = token_for(app, "zhang")
    task_id, case_id = sample_task(app)
    values = {"title": '"购置设备"', "reason": '"设备老化需要更换"', "amount": "1"}
    values[field] = raw
    data = "{" + ",".join(f'"{k}":{v}' for k, v in values.items()) + "}"
    cases_before = count(app, Case)
    started = client.post("/api/v1/cases", headers=headers, content_type="application/json",
                          data='{"process":"sample_review","org":"county-a","data":' + data + "}")
    assert started.status_code == 422 and started.mimetype == "application/problem+json"
    assert [e["field"] for e in started.get_json()["errors"]] == [f"json.data.{field}"]
    assert count(app, Case) == cases_before
    completed = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, content_type="application/json",
                            data='{"data":' + data + "}")
    assert completed.status_code == 422
    assert [e["field"] for e in completed.get_json()["errors"]] == [f"json.data.{field}"]
    with app.app_context():
        assert db_session().get(HumanTask, task_id).status == "ready"


def test_json_nested_thousands_deep_is_refused_with_where_it_starts(app, client):
    headers = token_for(app, "zhang")
    task_id, _ = sample_task(app)
    deep = "[" * 20000 + "]" * 20000
    for path, body in ((f"/api/v1/tasks/{task_id}/complete", '{"data":{"title":' + deep + "}}"),
                       ("/api/v1/cases", '{"process":"sample_review","org":"county-a","data":{"reason":' + deep + "}}"),
                       (f"/api/v1/tasks/{task_id}/draft", '{"data":' + deep + "}")):
        refused = client.post(path, headers=headers, content_type="application/json", data=body)
        assert refused.status_code == 422, (path, text(refused)[:300])
        assert refused.get_json()["errors"][0]["field"].startswith("json.data")
    with app.app_context():
        task = db_session().get(HumanTask, task_id)
        assert task.status == "ready" and task.draft is None
    login(client, "admin")
    preview = client.post("/policy/form-preview", data=deep, headers={"X-CSRF-Token": csrf(client, "/policy/")})
    assert preview.status_code == 422 and "嵌套超过" in text(preview)


def test_nul_in_page_forms_is_refused_naming_the_field(app, client):
    cases_before = count(app, Case)
    complaint = {"csrf_token": csrf(client, "/portal/lawyer_complaint"), "org": "county-a",
                 "complainant_name": "刘某", "complainant_type": "person", "complainant_phone": "13800000009",
                 "respondent_id": "L-0001", "facts": "律师收取代理费后未出庭\x00也不退费。", "requests": "查处"}
    for kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        refused = client.post("/portal/lawyer_complaint", data=complaint, content_type=kind)
        assert refused.status_code == 422 and 'data-field="form.facts"' in text(refused)
    assert count(app, Case) == cases_before
    case_id, task_id = new_complaint(app)
    login(client, "xu")
    token = csrf(client, f"/tasks/{task_id}")
    named = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "draft", "facts\x00": "x"})
    assert named.status_code == 422 and 'data-field="form.facts\x00"' in text(named)
    upload = client.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "action": "draft", "evidence_files": (io.BytesIO(b"%PDF"), "证据\x00.pdf")})
    assert upload.status_code == 422 and 'data-field="form.evidence_files"' in text(upload)
    assert count(app, Attachment, Attachment.case_id == case_id) == 0
    with app.app_context():
        assert db_session().get(HumanTask, task_id).draft is None


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "-Infinity", "1e999", "1" * 5000, "1" * 30])
def test_a_number_field_refuses_what_is_no_storable_number(app, client, typed):
    task_id, _ = sample_task(app)
    login(client, "zhang")
    refused = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf(client, f"/tasks/{task_id}"),
                                                     "action": "complete", "title": "购置设备",
                                                     "reason": "设备老化需要更换", "amount": typed})
    assert refused.status_code == 422 and set(field_errors(text(refused))) == {"amount"}
    with app.app_context():
        assert db_session().get(HumanTask, task_id).status == "ready"


def test_a_lone_surrogate_in_a_page_form_never_reaches_the_database_as_one(app, client):
    task_id, _ = sample_task(app)
    login(client, "zhang")
    body = f"csrf_token={csrf(client, f'/tasks/{task_id}')}&action=draft&title=%ED%A0%80&reason=%ED%B0%80x"
    saved = client.post(f"/tasks/{task_id}", data=body, content_type="application/x-www-form-urlencoded")
    assert saved.status_code == 302
    with app.app_context():
        draft = db_session().get(HumanTask, task_id).draft
    assert draft and not any("\ud800" <= c <= "\udfff" for value in draft.values() for c in value)

def test_malformed_json_is_a_400_that_says_where(app, client):
    refused = client.post("/api/v1/cases", headers=token_for(app, "zhang"), content_type="application/json",
                          data='{"process": "sample_review", "org": }')
    assert refused.status_code == 400 and refused.get_json()["detail"].startswith("请求体不是有效的 JSON：")
    assert "char" in refused.get_json()["detail"]


# ---------------------------------------------------------------- 6. sign-in

def _sign_in(client, username: str, password: str = "demo1234", address: str = "127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)},
                       environ_base={"REMOTE_ADDR": address})


def test_an_address_that_fails_too_often_is_locked_out_on_every_worker(app, client):
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        assert _sign_in(client, f"guess{n}", "nope", "203.0.113.9").status_code == 401
    locked = _sign_in(client, "zhang", address="203.0.113.9")
    assert locked.status_code == 401 and "失败次数过多" in text(locked)
    other_worker = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                               "TESTING": True})
    try:
        assert _sign_in(other_worker.test_client(), "zhang", address="203.0.113.9").status_code == 401
        assert _sign_in(other_worker.test_client(), "zhang", address="198.51.100.7").status_code == 302
    finally:
        other_worker.extensions["lawflow.sql"].dispose()
    with time_machine.travel(DEMO_MOMENT + timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] + 1), tick=False):
        assert _sign_in(app.test_client(), "zhang", address="203.0.113.9").status_code == 302


def test_an_account_that_fails_too_often_is_locked_from_every_address(app, client):
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _sign_in(client, "li", "nope", f"192.0.2.{n}").status_code == 401
    assert "失败次数过多" in text(_sign_in(client, "li", address="192.0.2.200"))
    assert _sign_in(client, "zhang", address="192.0.2.200").status_code == 302    # only that account
    with time_machine.travel(DEMO_MOMENT + timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"] + 1), tick=False):
        assert _sign_in(app.test_client(), "li", address="192.0.2.200").status_code == 302


def test_an_unknown_name_costs_a_password_hash_like_a_known_one(app, client, monkeypatch):
    import web.auth

    checked = []
    real = web.auth.check_password_hash

    def counting(stored, password):
        checked.append(stored.split("$")[0])        # the method and its cost parameters
        return real(stored, password)

    monkeypatch.setattr(web.auth, "check_password_hash", counting)
    assert _sign_in(client, "zhang", "wrong").status_code == 401
    assert _sign_in(client, "nobody-by-this-name", "wrong").status_code == 401
    assert len(checked) == 2 and checked[0] == checked[1] and checked[0].startswith("scrypt:")


def test_logout_ends_the_session_for_every_copy_of_its_cookie(app, client):
    login(client, "zhang")
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/inbox").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/inbox")})
    gone = copy.get("/inbox")
    assert gone.status_code == 302 and gone.location.startswith("/login")
    assert client.get("/inbox").status_code == 302



def test_an_account_keeps_its_newest_sessions_only(app):
    from web.sign_in import SESSIONS_PER_USER

    browsers = []
    with time_machine.travel(DEMO_MOMENT, tick=False) as clock:     # forward only: a cookie from the future is void
        for n in range(SESSIONS_PER_USER + 1):
            clock.move_to(DEMO_MOMENT + timedelta(minutes=n))
            browser = app.test_client()
            login(browser, "zhang")
            browsers.append(browser)
        assert browsers[0].get("/inbox").status_code == 302         # the oldest ended when the eleventh began
        assert all(b.get("/inbox").status_code == 200 for b in browsers[1:])
