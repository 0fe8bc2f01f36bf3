"""Batch operations and the case search on the pages and the API, on the demo (both databases): check boxes and a
toolbar in the inbox and the case list, CSRF-protected posts, each item on its own with the failures named; the
case list finds a complaint by its facts or phone and shows its current step and deadline, never to an outsider."""
from __future__ import annotations

import csv
import io

from engine.core import people
from engine.runtime import cases
from engine.work import tasks
from web.database import session as db_session
from web.workflow import engine

from .complaint_steps import REGISTRATION
from .test_work_pages import post, text
from .web_helpers import csrf, login, token_for


def registered(app, count: int, **changes) -> list[tuple[int, int, str]]:
    """`count` complaints registered in county A, each waiting at 初审: (task id, case id, business number)."""
    found = []
    with app.app_context():
        db, eng = db_session(), engine()
        xu = people.user_by_name(db, "xu")
        for n in range(count):
            case = cases.start_case(eng, db, "lawyer_complaint", {}, org_code="county-a", actor="xu")
            task = cases.case_tasks(db, case.id, "ready")[0]
            cases.complete_task(eng, db, task.id, {**REGISTRATION, **changes, "work_order_no": f"BATCH-{n}"}, user=xu)
            review = next(t for t in cases.case_tasks(db, case.id, "ready") if t.name == "初审")
            found.append((review.id, case.id, cases.get_case(db, case.id).business_number))
    return found


def claim_as(app, task_id: int, username: str) -> None:
    with app.app_context():
        db = db_session()
        tasks.claim(engine(), db, task_id, people.user_by_name(db, username))


def test_the_inbox_batch_claims_and_names_the_item_that_failed(app, client):
    picked = registered(app, 3)
    claim_as(app, picked[1][0], "lin")
    login(client, "chen")
    page = text(client.get("/inbox?view=group"))
    assert 'id="batch-form"' in page and page.count('form="batch-form"') >= 3 and 'id="batch-claim"' in page
    assert 'name="csrf_token"' in page.split('id="batch-form"', 1)[1].split("</form>", 1)[0]
    answer = post(client, "/batch/tasks", {"operation": "claim", "task": [t for t, _, _ in picked],
                                           "next": "/inbox?view=mine"}, "/inbox?view=group")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/inbox?view=mine")
    page = text(client.get("/inbox?view=mine"))
    assert "已签收 2 项" in page and "1 项未办理：" in page and f"{picked[1][2]} 初审：任务已由 林涛（东城承办人） 签收" in page
    for task_id, _, _ in (picked[0], picked[2]):
        assert f'value="{task_id}" form="batch-form"' in page
    without_token = client.post("/batch/tasks", data={"operation": "claim", "task": [picked[0][0]]})
    assert without_token.status_code == 400


def test_the_batch_transfer_offers_only_role_holders_and_export_gives_the_selection(app, client):
    picked = registered(app, 2)
    login(client, "chen")
    page = text(client.get("/inbox?view=group"))
    offered = page.split('id="batch-transfer-to"', 1)[1].split("</select>", 1)[0]
    assert "林涛" in offered and "周敏" not in offered and "许静" not in offered and "孙伟" not in offered
    post(client, "/batch/tasks", {"operation": "transfer", "task": [picked[0][0]], "to": "zhou", "reason": "出差"},
         "/inbox?view=group")
    page = text(client.get("/inbox?view=group"))
    assert "1 项未办理：" in page and "周敏（东城律师工作科科长）在东城区司法局不担任可接收此任务的角色（承办人）" in page
    exported = post(client, "/batch/tasks", {"operation": "export", "task": [picked[1][0], picked[0][0]]},
                    "/inbox?view=group")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert exported.headers["Content-Type"].startswith("text/csv") and rows[0][:2] == ["任务", "编号"]
    assert [r[1] for r in rows[1:]] == [picked[1][2], picked[0][2]]


def test_the_case_list_finds_facts_and_phones_with_steps_and_deadlines_in_scope(app, client):
    (_, case_id, number), = registered(app, 1, complainant_phone="0571 8765 4321", facts="律师伪造证据材料，被法院训诫。")
    login(client, "chen")
    for q in ("伪造证据", "057187654321", "0571-8765-4321"):
        page = text(client.get(f"/cases?q={q}"))
        row = page.split(f'value="{case_id}" form="batch-form"', 1)[1].split("</tr>", 1)[0]
        assert number in row and "初审" in row and "2025-10-27（周一）止" in row, q
    login(client, "wang")                                   # 西城: none of 东城's cases
    assert number not in text(client.get("/cases?q=伪造证据")) and "没有符合条件的案件" in text(client.get("/cases?q=伪造证据"))
    assert text(client.get("/cases.csv?q=伪造证据")).count("\n") == 1       # the header only
    exported = post(client, "/batch/cases", {"operation": "export", "case": [case_id]}, "/cases")
    assert number not in exported.get_data(as_text=True)


def test_the_case_list_batch_claims_its_cases_open_tasks(app, client):
    picked = registered(app, 2)
    login(client, "lin")
    post(client, "/batch/cases", {"operation": "claim", "case": [c for _, c, _ in picked], "next": "/cases"}, "/cases")
    assert "已签收 2 项" in text(client.get("/cases"))
    post(client, "/batch/cases", {"operation": "claim", "case": [picked[0][1]]}, "/cases")
    assert f"{picked[0][2]}：本案没有您可签收的任务" in text(client.get("/cases"))


def test_the_api_batch_answers_item_by_item(app, client):
    picked = registered(app, 3)
    claim_as(app, picked[2][0], "lin")
    chen = token_for(app, "chen")
    answer = client.post("/api/v1/tasks/batch", headers=chen,
                         json={"operation": "claim", "tasks": [t for t, _, _ in picked] + [999999]}).get_json()
    assert (answer["done"], answer["failed"]) == (2, 2)
    assert [(i["task"], i["ok"], i["status"]) for i in answer["items"]] == [
        (picked[0][0], True, 200), (picked[1][0], True, 200), (picked[2][0], False, 409), (999999, False, 404)]
    assert answer["items"][2]["detail"] == "任务已由 林涛（东城承办人） 签收" and answer["items"][3]["name"] is None
    bad = client.post("/api/v1/tasks/batch", headers=chen, json={"operation": "finish", "tasks": []})
    assert bad.status_code == 422 and {e["field"] for e in bad.get_json()["errors"]} == {"operation", "tasks"}
    assert csrf(client)      # the page forms carry a token; the bearer-token API needs none
