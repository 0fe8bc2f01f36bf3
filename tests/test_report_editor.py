"""The report editor for policy staff, on both databases: a report file of a draft opens the structured editor
offered the draft's processes (their reportable fields with the values the forms allow, and their user tasks) and
roles; "new report" opens it on a new file under forms/reports/; saving a report with an unknown field or a ranking
formula that does not compile answers the problem with its file, JSON pointer and line; a good one saves clean."""
from __future__ import annotations

import json
import re

from web.database import session as db_session
from engine.definitions import drafts

from .web_helpers import csrf, login

SHIPPED = "forms/complaint/channels.report.json"


def new_draft(client, name: str = "新增统计报表") -> int:
    login(client, "admin")
    made = client.post("/policy/drafts", data={"name": name, "csrf_token": csrf(client, "/policy/")})
    return int(re.search(r"/policy/drafts/(\d+)$", made.location).group(1))


def embedded(page: str, element: str):
    found = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def save(client, draft_id: int, path: str, body: bytes):
    token = csrf(client, f"/policy/drafts/{draft_id}")
    return client.put(f"/policy/drafts/{draft_id}/files/{path}", data=body,
                      headers={"X-CSRF-Token": token, "Content-Type": "application/json"})


def test_a_report_file_opens_the_structured_editor_with_what_the_draft_declares(client):
    draft_id = new_draft(client)
    page = client.get(f"/policy/drafts/{draft_id}/files/{SHIPPED}").get_data(as_text=True)
    assert 'id="report-editor"' in page and "report-editor.js" in page
    assert embedded(page, "report-data")["key"] == "complaint_channels"
    processes = {p["key"]: p for p in embedded(page, "report-processes")}
    complaint = processes["lawyer_complaint"]
    fields = {f["name"]: f for f in complaint["fields"]}
    assert {"value": "lawyer", "label": "律师"} in fields["respondent_type"]["choices"]
    assert fields["respondent_type"]["title"] == "被投诉人类别"              # the process's fieldLabels
    assert fields["complainant_name"]["choices"] == []                       # free text: typed, not chosen
    assert {"id": "Task_preliminary", "name": "初审"} in complaint["tasks"]
    assert "director" in {r["code"] for r in embedded(page, "report-roles")}


def test_new_report_opens_the_editor_on_a_new_file_with_a_blank_report(client):
    draft_id = new_draft(client)
    draft_page = client.get(f"/policy/drafts/{draft_id}").get_data(as_text=True)
    assert 'id="new-report"' in draft_page
    opened = client.get(f"/policy/drafts/{draft_id}/new-report?name=Complaint-Types")
    assert opened.location.endswith(f"/policy/drafts/{draft_id}/files/forms/reports/complaint_types.report.json?new=1")
    page = client.get(opened.location).get_data(as_text=True)
    blank = embedded(page, "report-data")
    assert blank["key"] == "complaint_types" and blank["groupBy"] == "@org"
    assert blank["measures"] == [{"name": "received", "label": "", "kind": "count"}]
    assert client.get(f"/policy/drafts/{draft_id}/files/forms/reports/complaint_types.report.json").status_code == 404


def test_saving_a_report_answers_each_problem_with_its_pointer_and_line(app, client):
    draft_id = new_draft(client)
    path = "forms/reports/types.report.json"
    report = {"key": "complaint_types", "title": "按被投诉人类别", "process": "lawyer_complaint",
              "groupBy": "respondent_kind",
              "measures": [{"name": "received", "label": "收到", "kind": "count"}],
              "ranking": {"formula": "received *"}}
    text = json.dumps(report, ensure_ascii=False, indent=2).encode()
    answer = save(client, draft_id, path, text).get_json()
    assert answer["saved"] is True
    mine = [(p["element"], p["line"], p["message"]) for p in answer["problems"] if p["file"] == path]
    assert ("/groupBy", 5, "respondent_kind 不是流程 lawyer_complaint 声明的统计字段（reportableFields）") in mine
    assert [m for m in mine if m[0] == "/ranking/formula" and m[1] == 14 and m[2].startswith("排名公式无法在沙箱中编译")]
    report.update(groupBy="respondent_type", ranking={"formula": "received", "label": "收案量"})
    answer = save(client, draft_id, path, json.dumps(report, ensure_ascii=False).encode()).get_json()
    assert [p for p in answer["problems"] if p["file"] == path] == []
    with app.app_context():
        assert json.loads(drafts.files(db_session(), draft_id)[path])["groupBy"] == "respondent_type"


def test_a_public_report_may_not_group_by_free_text(client):
    draft_id = new_draft(client)
    path = "forms/reports/names.report.json"
    report = {"key": "by_name", "title": "按被投诉人", "process": "lawyer_complaint", "public": True,
              "groupBy": "respondent_name", "measures": [{"name": "received", "label": "收到", "kind": "count"}]}
    answer = save(client, draft_id, path, json.dumps(report, ensure_ascii=False, indent=2).encode()).get_json()
    mine = [(p["element"], p["line"]) for p in answer["problems"] if p["file"] == path]
    assert mine == [("/groupBy", 6)]
    report["groupBy"] = "respondent_type"
    answer = save(client, draft_id, path, json.dumps(report, ensure_ascii=False).encode()).get_json()
    assert [p for p in answer["problems"] if p["file"] == path] == []


def test_the_organisation_chart_is_offered_in_the_editor_and_checked_like_the_other_charts(client):
    """The editor carries the chart's labels; an `orgTree` naming a count, or set on a report not grouped by
    unit, is answered at /orgTree with its line; one naming a rate of a report grouped by unit saves clean."""
    draft_id = new_draft(client)
    page = client.get(f"/policy/drafts/{draft_id}/files/forms/complaint/handling.report.json").get_data(as_text=True)
    assert embedded(page, "report-data")["orgTree"] == "on_time_handling"
    labels = embedded(page, "report-labels")
    assert labels["tree"] == "组织机构图" and labels["tree_none"] == "不画组织机构图"
    path = "forms/reports/tree.report.json"
    report = {"key": "tree_test", "title": "受理率", "process": "lawyer_complaint", "groupBy": "@org",
              "orgTree": "received",
              "measures": [{"name": "received", "label": "收到", "kind": "count"},
                           {"name": "accepted", "label": "受理率", "kind": "rate",
                            "where": {"decision": "accepted"}, "base": {}}]}
    answer = save(client, draft_id, path, json.dumps(report, ensure_ascii=False, indent=2).encode()).get_json()
    mine = [(p["element"], p["line"], p["message"]) for p in answer["problems"] if p["file"] == path]
    assert mine == [("/orgTree", 6, "组织机构图（orgTree）须按单位分组，并指向本报表的一个比率指标（rate、on_time 或 ratio）；"
                                    "received 不是")]
    report.update(orgTree="accepted", groupBy="@month")
    answer = save(client, draft_id, path, json.dumps(report, ensure_ascii=False, indent=2).encode()).get_json()
    assert [p["element"] for p in answer["problems"] if p["file"] == path] == ["/orgTree"]
    report["groupBy"] = "@org"
    answer = save(client, draft_id, path, json.dumps(report, ensure_ascii=False, indent=2).encode()).get_json()
    assert [p for p in answer["problems"] if p["file"] == path] == []
