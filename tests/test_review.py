"""An approval never signs someone else's words: two approvals in a row of one case each open empty; the approver
reads what he approves (审批事项, the task's `reviewFields` labelled as the case page labels them) and the earlier
approvals of the case (审批记录, `approvalHistory`: step, who by name, when, decision, opinion) on the task page; a
completed approval shows what it signed, not a later approval's answer; 已办 lists what each completion signed;
consequential buttons ask first (`confirmSubmit`, 转办, 领导接管)."""
from __future__ import annotations

import re

import lxml.html
import pytest
import time_machine

from engine.records.history import signed_answer

from .complaint_steps import at
from .conftest import ROOT, bundle_with
from .helpers import zh
from .test_complaint_sanctions import SERVED, sanctions_setup  # noqa: F401  (a fixture)
from .test_prefill import accepted_complaint, complete, field as page_field, task_id
from .test_validation import line_of, problems_of
from .test_work_pages import text
from .web_helpers import login

EXTENSION_OPINION = "同意延长办理期限 30 日。"
COMPLAINT = "processes/complaint/lawyer_complaint.bpmn"
COMPLAINT_XML = (ROOT / COMPLAINT).read_text(encoding="utf-8")


def extended_to_decision(app) -> tuple[int, int, str]:
    """A complaint whose extension 孙伟 approved, investigated and with 批评教育 proposed, standing at 处理决定审批:
    the case id, the id of the completed 延期审批 and the case's number."""
    case_id, number = accepted_complaint(app)
    complete(app, case_id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "next_step": "extend",
                                            "findings": "需异地调取代理合同原件及庭审记录。",
                                            "extension_reason": "案情复杂，需异地调取证据"})
    extension = task_id(app, case_id, "延期审批")
    complete(app, case_id, "延期审批", "sun", {"approved": True, "approval_opinion": EXTENSION_OPINION})
    complete(app, case_id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "next_step": "report",
                                            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"})
    complete(app, case_id, "处理意见", "chen", {"outcome": "criticism", "outcome_reason": "未按约出庭，损害委托人利益",
                                            "legal_basis": "《律师执业管理办法》第五十条"})
    return case_id, extension, number


def field(page: str, name: str) -> str:
    """The rendered HTML of one field of the task's form (审批事项 above it shows case data by the same names)."""
    return page_field(page[page.index('id="task-form"'):] if 'id="task-form"' in page else page, name)


def section(page: str, element_id: str) -> str:
    """The text of one element of a page, by its id."""
    return lxml.html.fromstring(page).get_element_by_id(element_id).text_content()


def test_the_decision_approval_opens_empty_and_shows_the_proposal_and_the_extension_approval(app, client):
    case_id, extension, _ = extended_to_decision(app)
    decision = task_id(app, case_id, "处理决定审批")
    login(client, "sun")
    page = text(client.get(f"/tasks/{decision}"))

    assert "checked>" not in field(page, "approved") and EXTENSION_OPINION not in field(page, "approval_opinion")
    review = section(page, "review")                   # 审批事项: the proposal, with the forms' labels and values
    for shown in ("审批事项", "处理意见", "批评教育", "事实和理由", "未按约出庭，损害委托人利益", "依据",
                  "《律师执业管理办法》第五十条", "调查情况", "被投诉律师确未按约出庭", "被投诉人", "答复书", "尚未生成"):
        assert shown in review, shown
    assert "criticism" not in review
    assert "调查报告" in section(page, "review-documents")
    history = section(page, "approval-history")        # 审批记录: the extension, by the approver's name
    assert "延期审批" in history and "孙伟" in history and "同意：是" in history and EXTENSION_OPINION in history
    assert "sun" not in history
    assert re.search(r'id="complete" data-confirm="确认签批该处理决定？[^"]*"', page)

    complete(app, case_id, "处理决定审批", "sun", {"approved": False, "approval_opinion": "事实部分请补充庭审记录"})
    extension_page = text(client.get(f"/tasks/{extension}"))    # what the extension signed, not the later words
    assert EXTENSION_OPINION in field(extension_page, "approval_opinion")
    assert "事实部分请补充庭审记录" not in extension_page

    complete(app, case_id, "处理意见", "chen", {"outcome": "penalty_recommended", "outcome_reason": "多次未出庭",
                                            "legal_basis": "《律师法》第四十八条", "penalty_org": "city-bureau",
                                            "recommended_sanctions": ["warning"]})
    complete(app, case_id, "处理决定审批", "sun", {"approved": False, "approval_opinion": "处罚建议依据不足"})
    complete(app, case_id, "处理意见", "chen", {"outcome": "criticism", "outcome_reason": "未按约出庭两次，损害委托人利益",
                                            "legal_basis": "《律师执业管理办法》第五十条"})
    again = task_id(app, case_id, "处理决定审批")
    page = text(client.get(f"/tasks/{again}"))
    review = section(page, "review")        # the replaced proposal's sanctions are not this proposal's
    assert "批评教育" in review and "建议给予的行政处罚" not in review and "警告" not in review
    assert "checked>" not in field(page, "approved") and "事实部分请补充" not in field(page, "approval_opinion")
    rows = [r.text_content() for r in lxml.html.fromstring(page).get_element_by_id("approval-history").iter("tr")][1:]
    assert len(rows) == 3 and "延期审批" in rows[0] and "处理决定审批" in rows[1] and "处理决定审批" in rows[2]
    assert "同意：否" in rows[1] and "事实部分请补充庭审记录" in rows[1] and "处罚建议依据不足" in rows[2]


def test_done_lists_what_each_completion_signed(app, client):
    case_id, _, number = extended_to_decision(app)
    complete(app, case_id, "处理决定审批", "sun", {"approved": True, "approval_opinion": "同意批评教育"})
    login(client, "sun")
    done = lxml.html.fromstring(text(client.get(f"/inbox?view=done&q={number}")))
    rows = {r.xpath("td/a[contains(@href, '/tasks/')]")[0].text_content():
            r.xpath("td[@class='signed-summary']")[0].text_content()
            for r in done.get_element_by_id("inbox").iter("tr") if r.xpath("td[@class='signed-summary']")}
    assert rows["延期审批"] == f"同意：是；审批意见：{EXTENSION_OPINION}"
    assert rows["处理决定审批"] == "同意：是；审批意见：同意批评教育"
    login(client, "chen")
    done = section(text(client.get(f"/inbox?view=done&q={number}")), "inbox")
    assert "下一步：申请延期 30日" in done and "next_step" not in done and "extend" not in done


def test_transfer_and_a_leaders_takeover_ask_first(app, client):
    case_id, _ = accepted_complaint(app)
    investigation = task_id(app, case_id, "调查核实")
    login(client, "chen")
    client.post(f"/tasks/{investigation}/claim", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', text(client.get(f"/tasks/{investigation}"))).group(1)})
    page = text(client.get(f"/tasks/{investigation}"))
    assert re.search(r'id="op-transfer" data-confirm="确定将此任务转办给所选人员？', page)
    assert 'id="complete" data-confirm' not in page       # 调查核实 declares no confirmation
    assert 'id="confirm-dialog"' in page and "confirm.js" in page
    login(client, "sun")
    page = text(client.get(f"/cases/{case_id}"))
    assert re.search(r'id="action-leader_takeover" data-confirm="确定「领导接管」？', page)


def test_a_completion_records_its_plain_answers_only():
    files = [{"id": 1, "filename": "a.pdf"}]
    assert signed_answer({"approved": False, "approval_opinion": "不同意", "days": 30, "tags": ["a", "b"],
                          "evidence": files, "sheet": {"total": 90}, "none": []}) == {
        "approved": False, "approval_opinion": "不同意", "days": 30, "tags": ["a", "b"]}


def with_properties(task: str, *properties: tuple[str, str]) -> dict[str, bytes]:
    """The project's bundle with properties added to one user task of the complaint diagram."""
    start = COMPLAINT_XML.index(f'<bpmn:userTask id="{task}"')
    end = COMPLAINT_XML.index("</spiffworkflow:properties>", start)
    added = "".join(f'<spiffworkflow:property name="{n}" value="{v}" />' for n, v in properties)
    return bundle_with(**{COMPLAINT.replace("/", "__"): (COMPLAINT_XML[:end] + added + COMPLAINT_XML[end:]).encode()})


def test_a_review_field_nothing_produces_and_a_history_of_no_user_task_are_located(engine, session):
    files = with_properties("Task_resume", ("reviewFields", "findings,suspension_grund,中止通知书,penalty_filed"),
                            ("approvalHistory", "Task_approve_suspension,Gateway_suspension_ok,Task_nowhere"))
    problems = problems_of(engine, session, files)
    line = line_of(COMPLAINT_XML, '<bpmn:userTask id="Task_resume"')
    assert [(p.file, p.element, p.line) for p in problems] == [(COMPLAINT, "Task_resume", line)] * 3
    assert [zh(p) for p in problems] == [
        "reviewFields 列出的 suspension_grund 不是本流程（及其调用或调用它的流程）的表单、脚本、决策表或消息产生的数据，"
        "也不是它生成的文书",
        "approvalHistory 列出的 Gateway_suspension_ok 不是本流程的用户任务",
        "approvalHistory 列出的 Task_nowhere 不是本流程的用户任务"]


@pytest.mark.parametrize("declared", [
    "findings,extension_reason,延期告知书",        # form fields of the process and a document it writes
    "respondent_name,suspension_remaining,lead_leader,is_major,withdrawal",   # scripts, a data object, DMN, a message
    "business_number,case_org",                     # what the engine writes
])
def test_names_the_process_produces_are_no_problem(engine, session, declared):
    from engine.definitions import bundles

    result = bundles.deploy(session, with_properties("Task_resume", ("reviewFields", declared)), engine=engine)
    assert result.created and result.warnings == []


def test_a_second_legal_review_shows_the_proposed_penalty_and_the_first_review(engine, session, sanctions_setup):
    from engine.work import review

    from .complaint_steps import do, task_named
    from .test_complaint_sanctions import LIGHT, noticed

    with time_machine.travel(at("2025-10-16T16:00"), tick=True) as clock:
        case = noticed(engine, session, clock, LIGHT)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "statement_summary": "当事人承认收费未入账", "hearing_requested": False})
        do(engine, session, case.id, "法制审核", "city_legal", {"legal_review_passed": False,
                                                              "legal_review_opinion": "证据不足，补充调查"})
        do(engine, session, case.id, "调查取证", "city_worker", {**LIGHT, "proposed_fine_amount": 3000})
        do(engine, session, case.id, "送达事先告知书", "city_worker", SERVED)
        do(engine, session, case.id, "陈述申辩与听证申请", "city_worker", {
            "statement_received_on": "2025-11-03", "hearing_requested": False})
        shown = review.review(engine, session, task_named(session, case.id, "法制审核"))
    fields = {title: value for _, title, value in shown.fields}
    assert fields["拟给予的行政处罚"] == ["警告", "罚款"] and fields["拟罚款金额（元）"] == 3000
    assert "陈述、申辩要点" not in fields               # the second statement left it out: the first one's is not shown
    [first] = shown.history
    assert (first.step, first.who) == ("法制审核", "city_legal")
    assert first.decision == [("legal_review_passed", "审核通过", False)]
    assert first.opinion == [("legal_review_opinion", "审核意见", "证据不足，补充调查")]
    assert shown.confirm.startswith("确认提交法制审核意见")
