"""One deadline formatter (web/deadlines.py): an instant reads as the same last day on the task, the case panel and
the CSV, end-of-day instants (local midnight) belong to the day before, in China time whatever the instant's zone;
a step inside a running limit shows that limit; ID numbers are masked for those who need not see them."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import time_machine
from flask import session as browser_session

from engine.core import Case
from engine.time import CHINA_TZ
from engine.work import plain
from web.deadlines import deadline_date, deadline_label
from web.database import session as db_session
from web.readable import field_value
from web.workflow import engine

from .complaint_steps import accept, at, do
from .test_work_pages import text
from .web_helpers import login

FINDINGS = {"investigators": ["陈刚", "林涛"], "explanation_received": True,
            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}


def test_an_end_of_day_instant_is_the_day_before_in_china_time(app):
    end_of_feb_2 = datetime(2027, 2, 3, 0, 0, tzinfo=CHINA_TZ)
    with app.test_request_context():
        assert deadline_date(end_of_feb_2) == "2027-02-02"
        assert deadline_date(datetime(2027, 2, 2, 16, 0, tzinfo=timezone.utc)) == "2027-02-02"     # the same instant
        assert deadline_date("2027-02-03T00:00:00+08:00") == "2027-02-02"
        assert deadline_date(datetime(2027, 2, 2, 23, 59, tzinfo=CHINA_TZ)) == "2027-02-02"
        assert deadline_date(datetime(2027, 2, 2, 16, 30, tzinfo=timezone.utc)) == "2027-02-03"   # 00:30 in China
        assert deadline_label(end_of_feb_2) == "2027-02-02（周二）止"
        assert field_value("2027-02-03T00:00:00+08:00") == "2027-02-02"           # a case field holding it
        assert field_value("2027-02-02T16:00:00+00:00") == "2027-02-02"
        assert field_value("2027-02-02T09:30:00+08:00") == "2027-02-02 09:30"     # a moment that ends no day
        assert deadline_date(None) == "" and deadline_label(None) == ""
    with app.test_request_context():
        browser_session["lang"] = "en"
        assert deadline_label(end_of_feb_2) == "until Tue 2027-02-02"


def test_id_numbers_are_masked_but_for_their_first_and_last_four():
    assert plain.mask("110101199001011234") == "1101**********1234"
    assert plain.mask("13800000001") == "1380***0001"
    assert plain.mask("12345") == "***45" and plain.mask("") == "" and plain.mask(None) is None


def _investigating(app) -> int:
    with app.app_context(), time_machine.travel(at("2025-10-16T16:00"), tick=False):
        return accept(engine(), db_session()).id


def _row(page: str, table: str, task_id: int) -> str:
    """The row of a task in a table of the page."""
    return next(r for r in page.split(table, 1)[1].split("<tr")[1:] if f"/tasks/{task_id}\"" in r)


def _deadline_on(page: str, where: str) -> str:
    section = page.split(where, 1)[1]
    return re.search(r'data-deadline="([\d-]+)"', section).group(1)


def test_the_same_deadline_reads_the_same_day_on_the_task_the_case_panel_and_the_csv(app, client):
    case_id = _investigating(app)          # accepted 10-16: 60 days to the end of 12-15
    with app.app_context():
        task = next(t for t in plain_tasks(case_id) if t.name == "调查核实")
    login(client, "chen")
    task_page = text(client.get(f"/tasks/{task.id}"))
    assert "2025-12-15（周一）止" in task_page and _deadline_on(task_page, 'id="task-deadline"') == "2025-12-15"
    case_page = text(client.get(f"/cases/{case_id}"))
    panel = case_page.split('id="case-fields"', 1)[1].split("</dl>", 1)[0]
    assert re.search(r'data-field="handling_deadline">2025-12-15<', panel)
    assert _deadline_on(_row(case_page, 'id="tasks"', task.id), "<td") == "2025-12-15"
    assert "2025-12-16" not in case_page
    rows = list(csv.reader(io.StringIO(client.get("/cases.csv?process=lawyer_complaint").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    with app.app_context():
        number = db_session().get(Case, case_id).business_number
    row = next(r for r in rows if r[0] == number)
    assert row[rows[0].index("办理期限")] == "2025-12-15"


def test_a_step_inside_the_handling_limit_shows_that_limit_and_its_legal_basis(app, client):
    """中止审批 has no due time of its own (withinLimit); 处理意见 now has the handling limit as its own (issue 19)."""
    case_id = _investigating(app)
    with app.app_context(), time_machine.travel(at("2025-10-20T10:00"), tick=False):
        do(engine(), db_session(), case_id, "调查核实", "chen", {**FINDINGS, "next_step": "suspend",
                                                               "suspension_ground": "pending_other_case"})
        approval = next(t for t in plain_tasks(case_id) if t.name == "中止审批")
        assert approval.due_at is None                      # no time limit of its own …
    login(client, "zhou")
    page = text(client.get(f"/tasks/{approval.id}"))
    deadline = page.split('id="task-deadline"', 1)[1].split("</p>", 1)[0]
    assert "办理期限" in deadline and "2025-12-15（周一）止" in deadline and "无期限" not in deadline
    assert "湖南省司法厅《关于县级司法行政机关加强律师日常监督管理工作的意见》" in page.split('id="limit-basis"', 1)[1]
    approval_row = _row(text(client.get(f"/cases/{case_id}")), 'id="tasks"', approval.id)
    assert "2025-12-15（周一）止" in approval_row and "湖南省司法厅" in approval_row


def test_an_id_number_is_shown_in_full_only_to_those_who_hold_or_did_a_task_of_the_case(app, client):
    with app.app_context(), time_machine.travel(at("2025-10-16T16:00"), tick=False):
        db = db_session()
        case = accept(engine(), db, complainant_id_number="110101199001011234")
        case_id = case.id
    full, masked = "110101199001011234", "1101**********1234"
    for reader, sees in (("chen", full), ("xu", full), ("sun", masked)):       # xu registered it; sun has no task
        login(client, reader)
        panel = text(client.get(f"/cases/{case_id}")).split('id="case-fields"', 1)[1].split("</dl>", 1)[0]
        assert sees in panel and (masked if sees == full else full) not in panel, reader
    login(client, "sun")
    with app.app_context():
        registration = next(t for t in plain_tasks(case_id, "completed") if t.name == "投诉登记")
    done = text(client.get(f"/tasks/{registration.id}"))
    assert masked in done and full not in done
    login(client, "chen")
    exported = client.get("/cases.csv?process=lawyer_complaint").get_data(as_text=True)
    assert masked in exported and full not in exported                    # lists and exports: always masked


def plain_tasks(case_id: int, status: str = "ready"):
    """The case's tasks of a status, read afresh."""
    from engine.runtime import cases

    db = db_session()
    db.expire_all()
    return cases.case_tasks(db, case_id, status)


def test_the_api_masks_an_id_number_as_the_pages_do(app, client):
    """The case's fields and the answers its history records: in full for those who did a task, else masked."""
    from .web_helpers import token_for

    with app.app_context(), time_machine.travel(at("2025-10-16T16:00"), tick=False):
        case = accept(engine(), db_session(), complainant_id_number="110101199001011234")
        case_id = case.id
    full, masked = "110101199001011234", "1101**********1234"
    for reader, sees in (("xu", full), ("sun", masked)):
        headers = token_for(app, reader)
        shown = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_data(as_text=True)
        listed = client.get("/api/v1/cases?process=lawyer_complaint", headers=headers).get_data(as_text=True)
        history = client.get(f"/api/v1/cases/{case_id}/history", headers=headers).get_data(as_text=True)
        assert sees in shown and sees in history, reader
        assert full not in listed and (masked if sees == full else full) not in shown + history, reader
