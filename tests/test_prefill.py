"""A form shows what the case already knows only in the fields that declare where it comes from (`x-prefill`): an
earlier task's answer that shares a field's name — a returned review's decision, a previous round's 中止事由 — never
starts another form. A draft of the same task still comes back."""
from __future__ import annotations

import re

import pytest

from engine.core import people
from engine.core.models import HumanTask
from engine.definitions.forms import prefilled
from engine.runtime import cases
from engine.work import casework
from web.database import session as db_session
from web.workflow import engine as web_engine

from .complaint_steps import REGISTRATION, review
from .conftest import bundle_with
from .helpers import ready, zh
from .test_validation import problems_of
from .web_helpers import csrf, login


def complete(app, case_id: int, name: str, username: str, data: dict) -> None:
    """Someone completes the case's ready task of that name (the steps before what a test looks at)."""
    with app.app_context():
        db = db_session()
        task = next(t for t in ready(db, case_id) if t.name == name)
        cases.complete_task(web_engine(), db, task.id, data, user=people.user_by_name(db, username))


def task_id(app, case_id: int, name: str) -> int:
    with app.app_context():
        return next(t.id for t in ready(db_session(), case_id) if t.name == name)


def known(app, task: int) -> dict:
    """What the case knows when that task is open: the names the prefill of old would have copied."""
    with app.app_context():
        db = db_session()
        return casework.task_data(web_engine(), db, db.get(HumanTask, task))


def field(page: str, name: str) -> str:
    """The rendered HTML of one field of a task form."""
    return re.search(rf'data-field="{name}".*?(?=data-field="|</form>)', page, re.S).group(0)


def test_only_declared_fields_are_prefilled():
    schema = {"properties": {"name": {"x-prefill": True}, "phone": {"x-prefill": "contact_phone"},
                             "opinion": {"type": "string"}, "address": {"x-prefill": True}}}
    case_knows = {"name": "刘某", "contact_phone": "13800000001", "phone": "010-1234567", "opinion": "同意",
                  "address": None}
    assert prefilled(schema, case_knows) == {"name": "刘某", "phone": "13800000001"}


def test_a_second_review_starts_empty_while_the_returned_application_shows_itself(app, client):
    with app.app_context():
        case_id = cases.start_case(web_engine(), db_session(), "sample_review", {}, org_code="county-a",
                                   actor="zhang").id
    application = {"title": "购置档案柜", "reason": "档案室存储空间不足，需要新增档案柜"}
    complete(app, case_id, "填写申请", "zhang", application)
    complete(app, case_id, "审核", "li", {"decision": "return", "opinion": "请补充涉及金额"})

    login(client, "zhang")                  # the applicant's own application comes back to be corrected
    fill = task_id(app, case_id, "填写申请")
    page = client.get(f"/tasks/{fill}").get_data(as_text=True)
    assert 'value="购置档案柜"' in field(page, "title") and "档案室存储空间不足" in field(page, "reason")
    complete(app, case_id, "填写申请", "zhang", {**application, "amount": 3000})

    login(client, "li")
    second = task_id(app, case_id, "审核")
    assert {"decision": "return", "opinion": "请补充涉及金额"}.items() <= known(app, second).items()
    page = client.get(f"/tasks/{second}").get_data(as_text=True)
    assert "selected>" not in field(page, "decision") and "checked>" not in field(page, "decision")
    assert "请补充涉及金额" not in field(page, "opinion")

    client.post(f"/tasks/{second}", data={"csrf_token": csrf(client, f"/tasks/{second}"), "action": "draft",
                                          "decision": "approve", "opinion": "同意购置"})
    page = client.get(f"/tasks/{second}").get_data(as_text=True)     # a draft of this task still comes back
    assert "同意购置" in field(page, "opinion") and re.search(r'value="approve"[^>]*(selected|checked)',
                                                               field(page, "decision"))


def accepted_complaint(app) -> tuple[int, str]:
    """A complaint registered, accepted and explained, standing at 调查核实: its id and business number."""
    with app.app_context():
        case = cases.start_case(web_engine(), db_session(), "lawyer_complaint", {}, org_code="county-a", actor="xu")
        case_id = case.id
    complete(app, case_id, "投诉登记", "xu", REGISTRATION)
    complete(app, case_id, "初审", "chen", review("accept"))
    complete(app, case_id, "受理审查决定", "zhou", {"decision": "accepted", "decision_reason": "属于受理范围"})
    complete(app, case_id, "告知投诉人", "chen", {"notice_method": "post", "notified_on": "2025-10-13"})
    complete(app, case_id, "被投诉人书面说明", "chen", {"explanation_received_on": "2025-10-13",
                                                  "explanation_method": "in_person",
                                                  "explanation_summary": "因另案开庭冲突未能出庭。"})
    with app.app_context():
        return case_id, cases.get_case(db_session(), case_id).business_number


def test_a_second_investigation_round_does_not_carry_the_first_rounds_suspension_ground(app, client):
    case_id, _ = accepted_complaint(app)
    complete(app, case_id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "explanation_received": True,
                                            "findings": "关联民事案件尚未审结，须以其结果为依据。",
                                            "next_step": "suspend", "suspension_ground": "pending_other_case"})
    complete(app, case_id, "中止审批", "zhou", {"approved": True, "approval_opinion": "同意中止"})
    complete(app, case_id, "恢复办理", "chen", {"resume_reason": "关联民事案件已审结"})

    second = task_id(app, case_id, "调查核实")
    assert known(app, second)["suspension_ground"] == "pending_other_case"      # the case still holds the name
    login(client, "chen")
    page = client.get(f"/tasks/{second}").get_data(as_text=True)
    assert 'name="suspension_ground"' in page
    for name in ("suspension_ground", "next_step"):
        assert "selected>" not in field(page, name) and "checked>" not in field(page, name), name
    assert "关联民事案件尚未审结" not in field(page, "findings")
    assert "陈刚" not in field(page, "investigators")


@pytest.mark.parametrize("declared, message", [
    ('"x-prefill": 1', "应为案件数据项的名称或 true"),
    ('"x-prefill": false', "应为案件数据项的名称或 true"),
    ('"x-prefill": " "', "应为案件数据项的名称或 true"),
])
def test_a_prefill_that_names_no_source_is_a_located_problem(engine, session, declared, message):
    form = ('{"type": "object", "properties": {"decision": {"type": "string"},\n'
            f' "opinion": {{"type": "string", {declared}}}}}}}').encode()
    [problem] = problems_of(engine, session, bundle_with(**{"forms__sample__review.schema.json": form}))
    assert (problem.file, problem.element, problem.line) == ("forms/sample/review.schema.json", "properties/opinion", 2)
    assert "x-prefill" in zh(problem) and message in zh(problem)


def test_a_prefill_inside_a_field_is_a_located_problem(engine, session):
    form = ('{"type": "object", "properties": {"decision": {"type": "string", "x-prefill": "decision_draft"},\n'
            ' "opinion": {"type": "array", "items": {"type": "string", "x-prefill": true}}}}').encode()
    [problem] = problems_of(engine, session, bundle_with(**{"forms__sample__review.schema.json": form}))
    assert (problem.element, problem.line) == ("properties/opinion/items", 2)
    assert "只能用于表单顶层字段" in zh(problem)

