"""The web's edge (issue 14): body limits, redirects, refusals that change nothing, input checks on every path.
The session key and sign-in are in test_web_sessions.py."""
from __future__ import annotations

import io
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import func, select

from engine.core import people
from engine.core.models import AuditEvent, Case, HumanTask
from engine.core.case_records import Attachment, Notification
from engine.runtime import cases
from engine.work import case_status
from web.database import session as db_session
from web.workflow import engine

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
    app.config.update(MAX_CONTENT_LENGTH=8 * 1024, UPLOAD_MAX_BYTES=64 * 1024, IMPORT_MAX_BYTES=32 * 1024,
                      PORTAL_UPLOAD_MAX_BYTES=16 * 1024)
    case_id, task_id = new_complaint(app)
    file_of = lambda size: (io.BytesIO(b"%PDF" + b"0" * size), "证据.pdf")  # noqa: E731
    assert client.post("/portal/status", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, "/portal/status"), "code": "x" * 10 * 1024}).status_code == 413  # the ordinary limit
    portal = lambda size: client.post("/portal/lawyer_complaint", content_type="multipart/form-data", data={  # noqa: E731
        "csrf_token": csrf(client, "/portal/lawyer_complaint"), "evidence_files": file_of(size)})
    assert portal(10 * 1024).status_code == 422                 # a submission with evidence: read, then checked
    assert portal(20 * 1024).status_code == 413                 # past its own limit: refused unread
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
