"""The JSON API under /api/v1 on the demo data: every endpoint, bad input, conflicts and organisation scope."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import inspect, select

from engine.core.models import Case
from web import tokens
from web.database import session as db_session

from .conftest import DEMO_MOMENT
from .web_helpers import login, token_for

APPLY = {"title": "购置办公设备", "reason": "现有设备老化，影响办公"}


@pytest.fixture
def zhang(app):
    return token_for(app, "zhang")


@pytest.fixture(autouse=True)
def shared_token_users_stay_detached():
    """Requests share the token's cached user (web.tokens): no endpoint may attach it to its session."""
    yield
    cached = [user for user, _ in tokens._users._entries.values()]
    assert all(inspect(user).detached for user in cached)


def sample_cases(app) -> dict[str, int]:
    with app.app_context():
        return {c.org.code: c.id for c in db_session().scalars(select(Case).where(Case.process_key == "sample_review"))}


def is_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_openapi_document_and_viewer_describe_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path in ("/api/v1/processes", "/api/v1/bundles/{version}", "/api/v1/cases/{case_id}/messages",
                 "/api/v1/tasks/{task_id}/complete", "/api/v1/tasks/{task_id}/transfer",
                 "/api/v1/tasks/{task_id}/delegate", "/api/v1/tasks/{task_id}/urge", "/api/v1/notifications"):
        assert path in spec["paths"], path
    complete = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(complete["responses"])
    assert complete["responses"]["409"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"}
    assert "404" not in spec["paths"]["/api/v1/processes"]["get"]["responses"]
    assert "data" in spec["components"]["schemas"]["CompleteIn"]["properties"] and complete["responses"]["200"]
    viewer = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/assets/swagger-ui-dist/swagger-ui-bundle.js" in viewer
    with client.get("/assets/swagger-ui-dist/swagger-ui-bundle.js") as script:
        assert script.status_code == 200 and b"SwaggerUIBundle" in script.data
    assert client.get("/assets/left-pad/index.js").status_code == 404


def test_no_or_bad_token_is_401(client):
    body = is_problem(client.get("/api/v1/cases"), 401)
    assert "令牌" in body["detail"]
    is_problem(client.get("/api/v1/cases", headers={"Authorization": "Bearer lf_nonsense"}), 401)
    is_problem(client.get("/api/v1/cases", headers={"Authorization": "Basic emhhbmc6ZGVtbzEyMzQ="}), 401)


def test_processes_and_bundle_versions(client, zhang):
    processes = {p["key"]: p for p in client.get("/api/v1/processes", headers=zhang).get_json()}
    assert processes["lawyer_complaint"]["name"] == "律师执业投诉处理"
    assert processes["sample_review"]["bundle_version"] == 1
    versions = client.get("/api/v1/bundles", headers=zhang).get_json()
    assert [v["version"] for v in versions] == [1]
    files = {f["path"] for f in client.get("/api/v1/bundles/1", headers=zhang).get_json()["files"]}
    assert "processes/complaint/lawyer_complaint.bpmn" in files and "forms/complaint/register.schema.json" in files
    is_problem(client.get("/api/v1/bundles/9", headers=zhang), 404)


def test_start_a_case_and_bad_input(client, zhang):
    started = client.post("/api/v1/cases", headers=zhang, json={"process": "sample_review", "org": "county-a"})
    assert started.status_code == 201
    body = started.get_json()
    assert body["status"] == "running" and body["org"] == "county-a"
    assert [t["name"] for t in body["tasks"]] == ["填写申请"] and body["tasks"][0]["due_at"]
    missing = is_problem(client.post("/api/v1/cases", headers=zhang, json={"org": "county-a", "colour": 1}), 422)
    assert {e["field"]: e["message"] for e in missing["errors"]} == {"process": "必填项", "colour": "未知字段"}
    wrong = is_problem(client.post("/api/v1/cases", headers=zhang, json={"process": "nope", "org": "county-b"}), 422)
    assert {e["field"] for e in wrong["errors"]} == {"process", "org"}
    assert "管辖范围" in next(e["message"] for e in wrong["errors"] if e["field"] == "org")
    is_problem(client.post("/api/v1/cases", headers=zhang, data="not json", content_type="application/json"), 400)


def test_listing_is_scoped_and_filtered(app, client, zhang):
    ids = sample_cases(app)
    listed = client.get("/api/v1/cases", headers=zhang).get_json()
    assert {c["org"] for c in listed} == {"county-a", "F-0001", "F-0004", "F-0005", "LA-a"}  # 东城, its firms, its 法援
    assert ids["county-a"] in {c["id"] for c in listed}
    only = client.get("/api/v1/cases?process=sample_review", headers=zhang).get_json()
    assert [c["id"] for c in only] == [ids["county-a"]]
    assert client.get("/api/v1/cases?q=no-such-text", headers=zhang).get_json() == []
    admin = client.get("/api/v1/cases?process=sample_review", headers=token_for(app, "admin")).get_json()
    assert {c["org"] for c in admin} == {"county-a", "county-b"}
    bad = is_problem(client.get("/api/v1/cases?status=sleeping&limit=0", headers=zhang), 422)
    assert {e["field"] for e in bad["errors"]} == {"status", "limit"}


def test_another_countys_case_and_tasks_are_404_on_every_endpoint(app, client, zhang):
    other = sample_cases(app)["county-b"]
    wang = token_for(app, "wang")
    task = client.get("/api/v1/tasks?view=group", headers=wang).get_json()[0]["id"]
    for method, path, body in [
        ("get", f"/api/v1/cases/{other}", None), ("get", f"/api/v1/cases/{other}/history", None),
        ("get", f"/api/v1/cases/{other}/path", None), ("get", f"/api/v1/cases/{other}/documents", None),
        ("get", f"/api/v1/cases/{other}/documents/1", None),
        ("post", f"/api/v1/cases/{other}/messages", {"name": "withdraw"}),
        ("post", f"/api/v1/cases/{other}/copies", {"to": ["zhang"]}),
        ("post", f"/api/v1/cases/{other}/comments", {"text": "越权"}),
        ("get", f"/api/v1/tasks/{task}", None),
        ("post", f"/api/v1/tasks/{task}/complete", {"data": APPLY}),
        *[("post", f"/api/v1/tasks/{task}/{op}", payload) for op, payload in (
            ("claim", {}), ("release", {}), ("transfer", {"to": "li", "reason": "x"}),
            ("delegate", {"to": "li"}), ("resolve", {}), ("urge", {}), ("draft", {"data": {}}))],
    ]:
        response = getattr(client, method)(path, headers=zhang, json=body)
        assert response.status_code == 404, (path, response.get_data(as_text=True))
    assert client.get(f"/api/v1/tasks/{task}", headers=wang).status_code == 200


def test_inbox_claim_complete_with_field_errors_and_conflicts(app, client, zhang):
    case_id = sample_cases(app)["county-a"]
    group = client.get("/api/v1/tasks?view=group", headers=zhang).get_json()
    task = next(t for t in group if t["case_id"] == case_id)
    assert task["candidates"] == ["zhang"] and task["working_days_left"] == 6
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=zhang).get_json()
    assert detail["form_schema"]["title"] and "title" in detail["form_schema"]["properties"]
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=zhang, json={}).get_json()
    assert claimed["assignee"] == "zhang"
    assert [t["id"] for t in client.get("/api/v1/tasks?view=mine", headers=zhang).get_json()] == [task["id"]]
    invalid = is_problem(client.post(f"/api/v1/tasks/{task['id']}/complete", headers=zhang,
                                     json={"data": {"title": ""}}), 422)
    assert {e["field"] for e in invalid["errors"]} >= {"title", "reason"}
    stale = is_problem(client.post(f"/api/v1/tasks/{task['id']}/complete", headers=zhang,
                                   json={"data": APPLY, "expected_version": detail["case_version"] - 1}), 409)
    assert stale["code"] == "conflict"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=zhang,
                       json={"data": APPLY, "expected_version": detail["case_version"]})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    again = is_problem(client.post(f"/api/v1/tasks/{task['id']}/complete", headers=zhang, json={"data": APPLY}), 409)
    assert "办理完毕" in again["detail"]
    assert [t["id"] for t in client.get("/api/v1/tasks?view=done", headers=zhang).get_json()] == [task["id"]]
    case = client.get(f"/api/v1/cases/{case_id}", headers=zhang).get_json()
    assert [t["name"] for t in case["tasks"]] == ["审核"]
    history = [e["action"] for e in client.get(f"/api/v1/cases/{case_id}/history", headers=zhang).get_json()]
    assert history[-2:] == ["task_claimed", "task_completed"]
    assert [s["name"] for s in client.get(f"/api/v1/cases/{case_id}/path", headers=zhang).get_json()][-1] == "填写申请"


def test_transfer_delegate_resolve_urge_and_notifications(app, client, zhang):
    li = token_for(app, "li")
    case_id = sample_cases(app)["county-a"]
    task = next(t for t in client.get("/api/v1/tasks?view=group", headers=zhang).get_json() if t["case_id"] == case_id)
    path = f"/api/v1/tasks/{task['id']}"
    no_reason = is_problem(client.post(f"{path}/transfer", headers=zhang, json={"to": "li"}), 422)
    assert no_reason["errors"] == [{"field": "reason", "message": "必填项", "rule": "schema"}]
    outsider = is_problem(client.post(f"{path}/delegate", headers=zhang, json={"to": "wang"}), 422)
    assert outsider["errors"][0]["field"] == "to"
    delegated = client.post(f"{path}/delegate", headers=zhang, json={"to": "li", "note": "请核实"}).get_json()
    assert (delegated["assignee"], delegated["owner"], delegated["delegation"]) == ("li", "zhang", "pending")
    assert [t["id"] for t in client.get("/api/v1/tasks?view=delegated", headers=zhang).get_json()] == [delegated["id"]]
    is_problem(client.post(f"{path}/complete", headers=li, json={"data": APPLY}), 409)
    client.post(f"{path}/draft", headers=li, json={"data": {"title": "草稿"}})
    back = client.post(f"{path}/resolve", headers=li, json={"note": "已核实"}).get_json()
    assert (back["assignee"], back["delegation"], back["draft"]) == ("zhang", "resolved", {"title": "草稿"})
    transferred = client.post(f"{path}/transfer", headers=zhang, json={"to": "li", "reason": "本人出差"}).get_json()
    assert transferred["assignee"] == "li"
    urged = client.post(f"{path}/urge", headers=zhang, json={"note": "今日办结"}).get_json()
    assert urged["urge_count"] == 1
    unread = client.get("/api/v1/notifications", headers=li).get_json()
    assert [n["title"] for n in unread] == ["催办：填写申请", "转办：填写申请", "委派：填写申请"]
    left = client.post("/api/v1/notifications/read", headers=li, json={"ids": [unread[0]["id"]]}).get_json()
    assert len(left) == 2
    is_problem(client.post("/api/v1/notifications/read", headers=li, json={"ids": []}), 422)


def test_messages_copies_comments_and_documents(app, client, zhang):
    case_id = sample_cases(app)["county-a"]
    case = client.get(f"/api/v1/cases/{case_id}", headers=zhang).get_json()
    assert "withdraw" in case["waiting_messages"]
    unknown = is_problem(client.post(f"/api/v1/cases/{case_id}/messages", headers=zhang,
                                     json={"name": "no_such_message"}), 409)
    assert unknown["code"] == "invalid_state"
    copied = client.post(f"/api/v1/cases/{case_id}/copies", headers=zhang, json={"to": ["li"], "note": "请知悉"})
    assert copied.status_code == 201
    assert client.get("/api/v1/notifications", headers=token_for(app, "li")).get_json()[0]["kind"] == "copy"
    li_token = token_for(app, "li")
    [copy] = client.get("/api/v1/copies?unread=true", headers=li_token).get_json()
    assert (copy["case_id"], copy["sent_by"], copy["note"], copy["read_at"]) == (case_id, "zhang", "请知悉", None)
    client.get(f"/api/v1/cases/{case_id}", headers=li_token)                 # reading the case reads the copy
    assert client.get("/api/v1/copies?unread=true", headers=li_token).get_json() == []
    assert client.get("/api/v1/copies", headers=li_token).get_json()[0]["read_at"]
    is_problem(client.get("/api/v1/copies?unread=maybe", headers=li_token), 422)
    remark = client.post(f"/api/v1/cases/{case_id}/comments", headers=zhang, json={"text": "材料已齐"}).get_json()
    assert (remark["action"], remark["detail"]) == ("commented", {"text": "材料已齐"})
    task = case["tasks"][0]["id"]
    client.post(f"/api/v1/tasks/{task}/complete", headers=zhang, json={"data": APPLY})
    li = token_for(app, "li")
    review = client.get(f"/api/v1/cases/{case_id}", headers=li).get_json()["tasks"][0]["id"]
    client.post(f"/api/v1/tasks/{review}/complete", headers=li, json={"data": {"decision": "approve", "opinion": "同意"}})
    docs = client.get(f"/api/v1/cases/{case_id}/documents", headers=zhang).get_json()
    assert [(d["name"], d["status"]) for d in docs] == [("审批通知书", "pending")]
    download = client.get(docs[0]["url"], headers=zhang)          # a pending document is filled on request
    assert download.status_code == 200 and download.data[:2] == b"PK"
    assert client.get(f"/api/v1/cases/{case_id}/documents", headers=zhang).get_json()[0]["status"] == "ready"
    assert client.get(f"/api/v1/cases/{case_id}", headers=zhang).get_json()["status"] == "completed"
    finished = is_problem(client.post(f"/api/v1/cases/{case_id}/messages", headers=zhang, json={"name": "withdraw"}),
                          409)
    assert "已办结" in finished["detail"]


def test_the_api_ignores_session_cookies(client):
    login(client, "zhang")
    is_problem(client.get("/api/v1/cases"), 401)


def test_a_message_the_case_waits_for_moves_it_on(client, zhang):
    case = client.post("/api/v1/cases", headers=zhang, json={"process": "sample_review", "org": "county-a"}).get_json()
    withdrawn = client.post(f"/api/v1/cases/{case['id']}/messages", headers=zhang,
                            json={"name": "withdraw", "payload": {"reason": "不再需要"}})
    assert withdrawn.status_code == 200
    body = withdrawn.get_json()
    assert (body["status"], body["tasks"], body["waiting_messages"]) == ("completed", [], [])
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=zhang).get_json()
    received = next(e for e in history if e["action"] == "message_received")
    assert (received["actor"], received["detail"]["message"], history[-1]["action"]) == (
        "zhang", "withdraw", "case_completed")


def test_a_message_with_sender_roles_is_refused_to_others_and_signed_by_the_sender(app, client):
    with app.app_context():
        complaint = min(db_session().scalars(select(Case.id).where(Case.process_key == "lawyer_complaint")))
    chen, sun = token_for(app, "chen"), token_for(app, "sun")      # a handler, and a deputy director
    assert "leader_takeover" in client.get(f"/api/v1/cases/{complaint}", headers=chen).get_json()["waiting_messages"]
    refused = is_problem(client.post(f"/api/v1/cases/{complaint}/messages", headers=chen,
                                     json={"name": "leader_takeover", "payload": {"leader": "chen"}}), 403)
    assert refused["code"] == "not_allowed"
    wrong = is_problem(client.post(f"/api/v1/cases/{complaint}/messages", headers=sun,
                                   json={"name": "leader_takeover", "payload": "chen"}), 422)
    assert [e["field"] for e in wrong["errors"]] == ["payload"]
    # The sender field is the sender's own name, whatever the payload says; no payload at all is fine too.
    taken = client.post(f"/api/v1/cases/{complaint}/messages", headers=sun,
                        json={"name": "leader_takeover", "payload": {"leader": "chen", "note": "本人包案"}})
    assert taken.status_code == 200 and taken.get_json()["status"] == "running"
    with app.app_context():
        case = db_session().get(Case, complaint)
        assert case.meta.get("lead_leader") == "sun"
    again = is_problem(client.post(f"/api/v1/cases/{complaint}/messages", headers=sun,
                                   json={"name": "leader_takeover"}), 409)    # he leads it already (offerWhen)
    assert again["code"] == "invalid_state"
    other = client.post(f"/api/v1/cases/{complaint}/messages", headers=token_for(app, "admin"),
                        json={"name": "leader_takeover"})                     # another director may take it over
    assert other.status_code == 200
    with app.app_context():
        assert db_session().get(Case, complaint).meta.get("lead_leader") == "admin"


def test_nul_characters_are_refused_with_the_field_named(client, zhang):
    body = is_problem(client.get("/api/v1/cases?q=a%00b", headers=zhang), 422)
    assert body["errors"][0]["field"] == "query.q"
    body = is_problem(client.post("/api/v1/cases", headers=zhang,
                                  json={"process": "sample_review", "org": "county-a", "data": {"title": "a\u0000"}}), 422)
    assert body["errors"][0]["field"] == "json.data.title"


def test_marshmallow_messages_come_back_in_chinese(client, zhang):
    body = is_problem(client.get("/api/v1/cases?limit=0&cursor=" + "x" * 501 + "&status=x", headers=zhang), 422)
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages == {"limit": "应在 1 到 500 之间", "cursor": "长度不能超过 500",
                        "status": "取值应为：running, suspended, completed, terminated, error"}


def test_http_errors_are_described_in_chinese(client, zhang):
    broken = is_problem(client.post("/api/v1/cases", headers=zhang, data="{not json", content_type="application/json"),
                        400)
    assert "不是有效的 JSON" in broken["detail"]
    assert is_problem(client.get("/api/v1/no-such-thing", headers=zhang), 404)["detail"] == "请求的地址或对象不存在"
    assert is_problem(client.put("/api/v1/tasks", headers=zhang), 405)["detail"] == "该地址不支持此请求方法"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "expected_version" in spec["components"]["schemas"]["TaskDetail"]["properties"]["case_version"]["description"]


def test_the_inbox_sorts_by_deadline_or_by_arrival(app, client, zhang):
    started = []
    for hours in (1, 2):
        with time_machine.travel(DEMO_MOMENT + timedelta(hours=hours), tick=False):
            body = client.post("/api/v1/cases", headers=zhang, json={"process": "sample_review", "org": "county-a"})
            started.append(body.get_json()["tasks"][0]["id"])      # each one's first task is zhang's: he started it
    newest = [t["id"] for t in client.get("/api/v1/tasks?view=mine&sort=newest", headers=zhang).get_json()]
    oldest = [t["id"] for t in client.get("/api/v1/tasks?view=mine&sort=oldest", headers=zhang).get_json()]
    assert newest[:2] == started[::-1] and oldest[-2:] == started and set(newest) == set(oldest)
    assert [e["field"] for e in is_problem(client.get("/api/v1/tasks?sort=random", headers=zhang), 422)["errors"]] \
        == ["sort"]
    login(client, "zhang")
    page = client.get("/inbox?view=mine&sort=newest").get_data(as_text=True)
    assert page.index(f'href="/tasks/{started[1]}"') < page.index(f'href="/tasks/{started[0]}"')
    assert 'value="newest" selected' in page


def test_the_case_list_pages_by_the_cursor_its_last_full_page_names(client, zhang):
    first = client.get("/api/v1/cases?limit=2", headers=zhang)
    cursor = first.headers["X-Next-Cursor"]
    second = client.get(f"/api/v1/cases?limit=2&cursor={cursor}", headers=zhang)
    whole = client.get("/api/v1/cases?limit=500", headers=zhang)
    assert "X-Next-Cursor" not in whole.headers
    ids = [c["id"] for c in first.get_json() + second.get_json()]
    assert ids == [c["id"] for c in whole.get_json()][:4] and len(set(ids)) == 4
    body = is_problem(client.get("/api/v1/cases?cursor=nonsense", headers=zhang), 422)
    assert body["errors"][0]["field"] == "cursor"
