"""Staff start cases from the pages (a complaint by letter or visit), a late completion is told why, and policy
staff run a case in error again."""
from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select

from engine.core import people
from engine.core.models import Case, HumanTask
from engine.work import case_status

from web.database import session as db_session
from web.workflow import engine

from .conftest import ROOT
from .test_api import is_problem
from .test_work_pages import post, ready_task, text
from .web_helpers import csrf, field_errors, login, token_for


def test_an_intake_clerk_starts_a_complaint_and_lands_on_its_registration(app, client):
    login(client, "xu")
    index = text(client.get("/"))
    assert 'id="start-lawyer_complaint"' in index and 'id="start-sample_review"' not in index
    assert 'id="start-penalty_procedure"' not in index          # only other processes call it
    form = text(client.get("/start/lawyer_complaint"))
    assert "东城区司法局" in form and "西城县司法局" not in form   # organisations of my subtree only
    started = client.post("/start/lawyer_complaint", data={"csrf_token": csrf(client, "/start/lawyer_complaint"),
                                                           "org": "county-a"})
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"]
    page = text(client.get(started.headers["Location"]))
    assert "投诉登记" in page and 'id="complete"' in page and "已发起：〔" in page
    assert 'name="received_on" type="date"' in page and 'max="2025-10-13"' in page     # no day after today
    refused = client.post(started.headers["Location"], data={"csrf_token": csrf(client, started.headers["Location"]),
                                                              "action": "complete", "received_on": "2025-10-14"})
    assert refused.status_code == 422
    assert field_errors(text(refused))["received_on"] == "不能晚于今天（2025-10-13）"
    with app.app_context():
        case = db_session().scalars(select(Case).order_by(Case.id.desc())).first()
        assert (case.process_key, case.org.code, case.created_by) == ("lawyer_complaint", "county-a", "xu")
    outside = client.post("/start/lawyer_complaint", data={"csrf_token": csrf(client, "/start/lawyer_complaint"),
                                                           "org": "county-b"})
    assert outside.status_code == 422 and "不在您的管辖范围内" in text(outside)


def test_who_may_start_comes_from_the_diagram(app, client):
    login(client, "chen")                                       # a caseworker: the complaint names intake clerks
    assert 'id="start-lawyer_complaint"' not in text(client.get("/"))
    assert client.get("/start/lawyer_complaint").status_code == 404
    assert client.post("/start/lawyer_complaint", data={"csrf_token": csrf(client), "org": "county-a"}).status_code == 404
    chen = token_for(app, "chen")
    refused = is_problem(client.post("/api/v1/cases", headers=chen,
                                     json={"process": "lawyer_complaint", "org": "county-a"}), 403)
    assert "律师执业投诉处理" in refused["detail"]
    xu = token_for(app, "xu")
    assert client.post("/api/v1/cases", headers=xu, json={"process": "lawyer_complaint", "org": "county-a"}
                       ).status_code == 201
    called = is_problem(client.post("/api/v1/cases", headers=xu, json={"process": "penalty_procedure",
                                                                       "org": "county-a"}), 403)
    assert called["code"] == "not_allowed"


def test_a_completion_someone_else_was_first_to_says_so_on_the_task_page(app, client):
    task_id, _ = ready_task(app, "sample_review", "county-a")
    login(client, "zhang")
    token = csrf(client, f"/tasks/{task_id}")
    client.post(f"/api/v1/tasks/{task_id}/complete", headers=token_for(app, "zhang"),
                json={"data": {"title": "别人先办", "reason": "在接口中先办理"}})
    late = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "action": "complete", "title": "购置打印机",
                                                  "reason": "旧打印机已损坏"})
    assert late.status_code == 409
    page = text(late)
    assert "已由 zhang 办理完毕" in page


def test_policy_staff_run_a_case_in_error_again(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    with app.app_context():
        db = db_session()
        case = db.get(Case, case_id)
        case.status, case.error = "error", "填写申请后（Script_x）：ZeroDivisionError"
        db.commit()
    login(client, "zhang")
    page = text(client.get(f"/tasks/{task_id}"))
    assert 'id="case-error"' in page and "ZeroDivisionError" in page
    assert 'id="complete"' not in page                                   # nothing to submit while it is in error
    assert 'id="retry-case"' not in text(client.get(f"/cases/{case_id}"))
    assert post(client, f"/cases/{case_id}/retry", {}, f"/cases/{case_id}").status_code == 403
    login(client, "admin")                                      # holds the policy role
    assert 'id="retry-case"' in text(client.get(f"/cases/{case_id}"))
    done = post(client, f"/cases/{case_id}/retry", {"reason": "已修正"}, f"/cases/{case_id}")
    assert done.status_code == 302
    page = text(client.get(f"/cases/{case_id}"))
    assert "案件已恢复运行" in page and "恢复运行" in page[page.index('id="timeline"'):]
    with app.app_context():
        db = db_session()
        assert (db.get(Case, case_id).status, db.get(Case, case_id).error) == ("running", None)
        assert db.get(HumanTask, task_id).status == "ready"
    login(client, "zhang")
    assert 'id="complete"' in text(client.get(f"/tasks/{task_id}"))       # and back to work once it runs
    login(client, "admin")
    again = post(client, f"/cases/{case_id}/retry", {}, f"/cases/{case_id}")
    assert again.status_code == 302 and "不能执行此操作" in text(client.get(f"/cases/{case_id}"))


def test_the_process_list_counts_only_the_running_cases_i_may_see(app, client):
    with app.app_context():
        rows = [(c.process_key, c.org.path) for c in db_session().scalars(select(Case).where(Case.status == "running"))]
    login(client, "chen")
    with app.app_context():
        mine = people.user_by_name(db_session(), "chen").org.path
    page = text(client.get("/"))
    assert "<code>lawyer_complaint</code>" not in page          # a clerk reads the process's title, not its key
    row = page.split("process=lawyer_complaint", 1)[1].split("</tr>", 1)[0]
    shown = int(re.search(r"<td>(\d+)</td>", row).group(1))
    assert shown == sum(1 for key, path in rows if key == "lawyer_complaint" and path.startswith(mine))
    assert shown < sum(1 for key, _ in rows if key == "lawyer_complaint")     # the demo has complaints elsewhere


def test_the_case_search_exports_as_csv_within_my_scope(app, client):
    with app.app_context():
        db = db_session()
        complaint = db.scalars(select(Case).where(Case.process_key == "lawyer_complaint").order_by(Case.id)).first()
        complaint.title = "=HYPERLINK(\"http://example.com\")"         # a formula must not run in Excel
        db.commit()
        visible = {c.business_number for c in db.scalars(select(Case).where(Case.process_key == "lawyer_complaint"))
                   if c.org.path.startswith(people.user_by_name(db, "chen").org.path)}
    login(client, "chen")
    assert 'id="export-csv" href="/cases.csv?process=lawyer_complaint"' in text(client.get("/cases?process=lawyer_complaint"))
    exported = client.get("/cases.csv?process=lawyer_complaint")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=cases-")
    body = exported.get_data().decode("utf-8")
    assert body.startswith("\ufeff")                                          # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(body[1:])))
    header, data = rows[0], rows[1:]
    assert header[:5] == ["编号", "标题", "流程", "办理机构", "状态"] and "投诉来源" in header
    assert {r[0] for r in data} == visible                                   # only my county's cases
    assert all(not r[1].startswith("=") for r in data)
    channel = header.index("投诉来源")
    register = json.loads((ROOT / "forms/complaint/register.schema.json").read_text(encoding="utf-8"))
    labels = set(register["properties"]["channel"]["enumNames"])
    assert {r[channel] for r in data} <= labels | {""} and {r[channel] for r in data} & labels   # labels, not codes


def test_a_suspended_cases_task_waits_without_a_submit_button(app, client):
    task_id, case_id = ready_task(app, "sample_review", "county-a")
    with app.app_context():
        case_status.suspend_case(engine(), db_session(), case_id, actor="admin", reason="等待上级意见")
    login(client, "zhang")
    page = text(client.get(f"/tasks/{task_id}"))
    assert 'id="case-suspended"' in page and 'id="complete"' not in page
