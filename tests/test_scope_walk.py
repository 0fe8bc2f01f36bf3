"""Every route of the app, walked as an outsider: a signed-in member of staff of a sibling county (zhang, county-a)
asks for a case of county-b, its task, document and attachment, on the pages (with a session) and on the API
(with a token). Each answer is 404 (403 where the route is for policy staff), and no answer, list or export
included, carries the case's business number or title, though another county-b case names the outsider on a task
(which he does see, and only it). A route added later is walked too: one the walk cannot
classify fails the test until it is listed here."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from engine.core import scope
from engine.core import LedgerImport, LedgerRow, MonthlyLedger
from engine.core.models import Case, HumanTask, User
from engine.core.case_records import CaseCopy, CaseDocument, Notification
from engine.records import attachments
from web.database import session as db_session

from .web_helpers import csrf, login, token_for

OUTSIDER = "zhang"
LEDGER = "legal_aid_cases"
SECRET_TITLE = "外县保密案件标题"
# Open to everyone, or about no case: the portal (its own verification code; the public lists a process declares,
# showing its declared public fields only), files, signing in, the language.
PUBLIC = {"portal.index", "portal.submit", "portal.status", "portal.public_list", "static", "assets.asset", "assets.favicon", "auth.login", "auth.logout",
          "i18n.choose", "pages.healthz", "api-docs.openapi_json", "api-docs.openapi_swagger_ui",
          "ops.readyz", "ops_metrics.metrics"}     # operators' checks: counts and check names, no case (issue 23)
POLICY_PREFIX = "/policy"
APPLY = {"title": "越权", "reason": "越权办理的理由"}
# A valid body for each API operation, so that the request reaches the scope check rather than stopping at 422.
API_BODIES = {
    "api_cases.Cases": {"process": "sample_review", "org": "county-a", "data": {}},
    "api_cases.Comments": {"text": "越权"}, "api_cases.Copies": {"to": ["li"]},
    "api_cases.Messages": {"name": "withdraw"}, "api_tasks.complete": {"data": APPLY},
    "api_tasks.task_transfer": {"to": "li", "reason": "越权"}, "api_tasks.task_delegate": {"to": "li"},
    "api_tasks.task_draft": {"data": {}}, "api_tasks.read": {"ids": []}, "api_draws.DrawPublish": {},
    "api_ledgers.Imports": {},
    "api_registries.Entries": {"key": "L-9", "name": "越权", "data": {"type": "lawyer"}},
    "api_registries.Entry": {"name": "越权", "data": {"type": "lawyer"}}, "api_registries.Deactivate": {},
    "api_registries.Reactivate": {}, "api_registries.Imports": {},
    # the rules API (policy staff only: an outsider gets 403 before any body is read)
    "api_rules.Drafts": {"name": "越权"}, "api_rules.DraftImport": {}, "api_rules.DraftFile": {},
    "api_rules.DraftPublish": {}, "api_rules.DraftTrial": {"path": "x"}, "api_rules.Republish": {}, "api_rules.Migrations": {"process": "x", "to": 1,
                                                                                       "cases": [1]},
    **{f"api_tasks.task_{op}": {} for op in ("claim", "release", "resolve", "urge")},
    "api_tasks.batch_operation": lambda foreign: {"operation": "claim", "tasks": [foreign["task_id"]]},
}
PAGE_FORM = {"to": "li", "reason": "越权", "note": "越权", "text": "越权", "org": "county-b", "title": "越权",
             "reason_text": "越权", "path": "processes/x.bpmn", **APPLY}
# The batch routes are asked to export the foreign case and task (an export would carry its number and title).
BATCH_FORMS = {"batch.batch_tasks": lambda foreign: {"operation": "export", "task": [foreign["task_id"]]},
               "batch.batch_cases": lambda foreign: {"operation": "export", "case": [foreign["case_id"]]}}
LIST_QUERIES = ["", "view=group", "view=mine", "view=done", "view=copies", "view=delegated", "q=样例", "q=外县保密"]


@pytest.fixture
def foreign(app) -> dict:
    """Ids of a county-b case and of what hangs off it (a task, a document, an attachment), and of another
    person's notification; a copy of the case sent to the outsider before the case moved away."""
    with app.app_context():
        db = db_session()
        case = db.scalar(select(Case).join(Case.org).where(Case.process_key == "sample_review")
                         .where(Case.org.has(code="county-b")))
        case.title = SECRET_TITLE
        task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id))
        document = CaseDocument(case_id=case.id, bundle_id=case.definition.bundle_id, name=SECRET_TITLE,
                                template="t.docx", filename=f"{SECRET_TITLE}.docx", status="ready", context={},
                                content=SECRET_TITLE.encode(), created_at=case.created_at, created_by="wang")
        db.add(document)
        attachment = attachments.store(db, case.id, "evidence", f"{SECRET_TITLE}.txt", "text/plain",
                                       SECRET_TITLE.encode(), actor="wang", now=case.created_at)
        zhang = db.scalar(select(User).where(User.username == OUTSIDER))
        wang = db.scalar(select(User).where(User.username == "wang"))
        db.add(CaseCopy(case_id=case.id, user_id=zhang.id, sent_by="wang", note="", created_at=case.created_at))
        note = Notification(user_id=wang.id, case_id=case.id, kind="task", title=SECRET_TITLE, body="",
                            link=f"/cases/{case.id}", created_at=case.created_at)
        db.add(note)
        row = _ledger_row(db, case)
        ledger = MonthlyLedger(org_id=case.org_id, month=date(2025, 9, 1), audience="walk", report_keys=[],
                               status="ready", workbook=SECRET_TITLE.encode(), summary=SECRET_TITLE.encode(),
                               created_at=case.created_at, built_at=case.created_at)
        db.add(ledger)
        db.commit()
        return {"case_id": case.id, "task_id": task.id, "document_id": document.id, "attachment_id": attachment.id,
                "notification_id": note.id, "number": case.business_number, "row_id": row.id,
                "ledger_id": ledger.id}


def _ledger_row(db, case):
    """A county-b record of the case ledger that carries the secret (imported rows are scoped like cases)."""
    done = LedgerImport(ledger_key=LEDGER, bundle_id=case.definition.bundle_id, filename="l.csv", actor="wang",
                        imported_at=case.created_at, rows_added=1, rows_unchanged=0)
    db.add(done)
    db.flush()
    row = LedgerRow(ledger_key=LEDGER, key=SECRET_TITLE, org_id=case.org_id, period_on=date(2025, 6, 30),
                    data={"case_number": SECRET_TITLE, "recipient": SECRET_TITLE}, digest="0" * 64,
                    import_id=done.id, imported_at=case.created_at)
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def named(app, foreign) -> dict:
    """Another county-b case that names the outsider on its task (as a transfer or lane_users would), with a
    document and an attachment of its own."""
    with app.app_context():
        db = db_session()
        case = db.scalar(select(Case).join(HumanTask, HumanTask.case_id == Case.id)
                         .where(Case.org.has(code="county-b"), Case.id != foreign["case_id"],
                                HumanTask.status == "ready")
                         .order_by(Case.id).limit(1))
        task = db.scalar(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "ready"))
        document = CaseDocument(case_id=case.id, bundle_id=case.definition.bundle_id, name="点名可见的文书",
                                template="t.docx", filename="named.docx", status="ready", context={},
                                content=b"named", created_at=case.created_at, created_by="wang")
        db.add(document)
        attachment = attachments.store(db, case.id, "evidence", "named.txt", "text/plain", b"named", actor="wang",
                                       now=case.created_at)
        scope.grant(db, case.id, [OUTSIDER], case.created_at, "transferred")
        db.commit()
        return {"case_id": case.id, "task_id": task.id, "document_id": document.id, "attachment_id": attachment.id,
                "number": case.business_number}


def _values(rule, foreign: dict) -> list[dict]:
    """Path values for a rule: the foreign rows' ids, and each operation or name the route distinguishes."""
    values = {k: foreign[k] for k in rule.arguments if k in foreign}
    others = {"operation": ["claim", "release", "transfer", "delegate", "resolve", "urge"], "name": ["withdraw"],
              "draw_id": [1],
              "process_key": ["sample_review"], "process": ["lawyer_complaint"], "draft_id": [1], "version": [1],
              "path": ["processes/x.bpmn"],
              "field": ["score"], "key": [LEDGER], "part": ["ledger.xlsx", "summary.docx"],
              "code": ["county-b"], "user_id": [1], "token_id": [999999],
              "registry": ["respondent"], "entry": ["L-0001"]}
    found = [values]
    for name in rule.arguments - set(values):
        if name not in others:
            raise AssertionError(f"{rule.rule}: the walk does not know what to put in <{name}>")
        found = [{**f, name: v} for f in found for v in others[name]]
    return found


def _ask(client, rule, method, path, headers, token, foreign):
    if rule.rule.startswith("/api/"):
        body = API_BODIES.get(rule.endpoint) if method != "GET" else None
        assert method == "GET" or body is not None, f"{rule.endpoint}: give the walk a valid body"
        return client.open(path, method=method, headers=token, json=body(foreign) if callable(body) else body)
    batch = BATCH_FORMS.get(rule.endpoint)
    form = {**PAGE_FORM, **(batch(foreign) if batch else {}), "csrf_token": headers["csrf"]}
    if method == "PUT":
        return client.open(path, method=method, data=b"<x/>", headers={"X-CSRF-Token": headers["csrf"]})
    return client.open(path, method=method, data=form if method == "POST" else None)


def test_an_outsider_gets_nothing_of_another_countys_case_on_any_route(app, client, foreign, named):
    login(client, OUTSIDER)
    headers = {"csrf": csrf(client, "/inbox")}
    token = token_for(app, OUTSIDER)
    secrets = [SECRET_TITLE, foreign["number"]]
    walked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        names_a_row = bool(rule.arguments & {"case_id", "task_id", "document_id", "attachment_id", "notification_id",
                                             "row_id"})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for values in _values(rule, foreign):
                path = rule.build(values, append_unknown=False)[1]
                queries = [""] if rule.arguments or method != "GET" else LIST_QUERIES
                for query in queries:
                    full = f"{path}?{query}" if query else path
                    response = _ask(client, rule, method, full, headers, token, foreign)
                    body = response.get_data()
                    walked += 1
                    if rule.rule.startswith(POLICY_PREFIX) or rule.endpoint.startswith("api_rules."):
                        assert response.status_code == 403, (method, full, response.status_code)
                    elif names_a_row:
                        assert response.status_code == 404, (method, full, response.status_code, body[:300])
                    assert not any(s.encode() in body for s in secrets), (method, full, "leaks the case")
                    assert not re.search(rb"Location: .*/cases/%d\b" % foreign["case_id"], body)
    assert walked > 60


def test_the_case_is_there_for_its_own_county(app, client, foreign):
    """The walk's ids are real: the case's own county sees them (so a 404 above is the scope, not a bad id)."""
    login(client, "wang")
    assert SECRET_TITLE in client.get(f"/cases/{foreign['case_id']}").get_data(as_text=True)
    assert client.get(f"/tasks/{foreign['task_id']}").status_code == 200
    assert client.get(f"/cases/{foreign['case_id']}/documents/{foreign['document_id']}").status_code == 200
    assert client.get(f"/cases/{foreign['case_id']}/attachments/{foreign['attachment_id']}").status_code == 200
    token = token_for(app, "wang")
    assert client.get(f"/api/v1/cases/{foreign['case_id']}", headers=token).get_json()["title"] == SECRET_TITLE
    assert client.get(f"/api/v1/tasks/{foreign['task_id']}", headers=token).status_code == 200
    assert SECRET_TITLE in client.get(f"/ledgers/{LEDGER}/rows/{foreign['row_id']}").get_data(as_text=True)
    rows = client.get(f"/api/v1/ledgers/{LEDGER}/rows?after={foreign['row_id'] - 1}&limit=1", headers=token).get_json()
    assert [r["key"] for r in rows] == [SECRET_TITLE]


def test_the_outsider_opens_the_one_case_that_names_him_and_no_other(app, client, foreign, named):
    """Named on a county-b case's task, zhang opens that case, its task, document and attachment, on the pages
    and the API, and finds it in his lists; the walk above shows the other county-b case stays closed to him."""
    login(client, OUTSIDER)
    case_id = named["case_id"]
    assert named["number"] in client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert client.get(f"/tasks/{named['task_id']}").status_code == 200
    assert client.get(f"/cases/{case_id}/documents/{named['document_id']}").status_code == 200
    assert client.get(f"/cases/{case_id}/attachments/{named['attachment_id']}").status_code == 200
    listed = client.get("/cases?q=" + named["number"]).get_data(as_text=True)
    assert named["number"] in listed and foreign["number"] not in client.get("/cases").get_data(as_text=True)
    token = token_for(app, OUTSIDER)
    assert client.get(f"/api/v1/cases/{case_id}", headers=token).get_json()["id"] == case_id
    assert client.get(f"/api/v1/tasks/{named['task_id']}", headers=token).status_code == 200
    assert client.get(f"/api/v1/cases/{foreign['case_id']}", headers=token).status_code == 404


STATS_PREFIXES = ("/stats", "/api/v1/stats")
STATS_VALUES = {"key": ["complaint_handling", "complaint_channels"], "process": ["lawyer_complaint"],
                "part": ["ledger.xlsx", "summary.docx"]}
# Statistics routes that read no organisation: the reports' list, a process's diagram.
STATS_WITHOUT_ORG = {"/api/v1/stats", "/stats/bottlenecks/<process>/diagram.bpmn"}


@pytest.fixture
def county_b_complaint(app) -> dict:
    """County B's demo complaint, each of its steps made late (due a day before it began), so that a list of late
    steps would name it if the scope let it through."""
    from datetime import timedelta

    with app.app_context():
        db = db_session()
        case = db.scalar(select(Case).where(Case.process_key == "lawyer_complaint", Case.org.has(code="county-b")))
        steps = list(db.scalars(select(HumanTask).where(HumanTask.case_id == case.id)))
        for step in steps:
            step.due_at = step.created_at - timedelta(days=1)
        db.commit()
        return {"number": case.business_number, "steps": sorted({s.element_id for s in steps})}


def test_a_county_leader_gets_nothing_of_another_county_from_the_statistics_routes(app, client, foreign,
                                                                                   county_b_complaint):
    """Every statistics route (found by its path: the 统计 page, its exports and case lists, the 瓶颈图 with its
    export, case list and API, the monthly ledgers), walked by county A's leader: asking for county B is 404
    wherever the route reads an organisation, and no answer names county B's complaint or ledger, though county
    B's leader finds the complaint among the late steps."""
    secrets = [SECRET_TITLE, county_b_complaint["number"]]
    token = token_for(app, "li")
    login(client, "li")
    walked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(STATS_PREFIXES) or "GET" not in rule.methods:
            continue
        values = [{"ledger_id": foreign["ledger_id"]}]
        for name in rule.arguments - {"ledger_id"}:
            values = [{**v, name: one} for v in values for one in STATS_VALUES[name]]
        for value in values:
            path = rule.build(value, append_unknown=False)[1]
            headers = token if rule.rule.startswith("/api/") else None
            steps = county_b_complaint["steps"] if rule.rule.endswith("/cases") else [""]
            queries = [f"process=lawyer_complaint&step={step}" for step in steps]
            for query in [*queries, "org=county-b&process=lawyer_complaint"]:
                response = client.get(f"{path}?{query}", headers=headers)
                walked += 1
                assert not any(s.encode() in response.get_data() for s in secrets), (path, query, "leaks")
                if query.startswith("org=") and rule.rule not in STATS_WITHOUT_ORG:
                    assert response.status_code == 404, (path, query, response.status_code)
    assert walked > 20
    login(client, "zhao")                                            # 西城负责人: county B's own leader
    found = [client.get(f"/stats/bottlenecks/cases?process=lawyer_complaint&step={s}").get_data(as_text=True)
             for s in county_b_complaint["steps"]]
    assert any(county_b_complaint["number"] in page for page in found)
