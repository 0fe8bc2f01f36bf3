"""In real Chromium: a leader approves a complaint's extension, then opens its decision approval (处理决定审批). The
page shows what he approves — the proposed outcome with its reasons and basis, the findings, the documents — and
the earlier extension approval, by his name, with its decision and opinion; the form itself starts empty. Submitting
asks for confirmation in the page's dialog: 取消 sends nothing, 确定 signs; 已办 then shows what he signed."""
from __future__ import annotations

import re

import pytest

from .browser import click_confirmed, fill_form, shot, sign_in
from .test_browser_complaint import work
from .test_browser_prefill import open_task
from .test_prefill import accepted_complaint, complete

pytestmark = pytest.mark.browser
EXTENSION_OPINION = "同意延长办理期限 30 日。"
QUESTION = "确认签批该处理决定？提交后不能修改；同意即按拟定的处理意见作出决定并生成答复书。"


def test_the_decision_approval_shows_the_proposal_and_the_extension_approval_and_asks_before_signing(
        app, live_server, new_page):
    base, (case_id, number) = live_server, accepted_complaint(app)
    chen, sun = new_page(), new_page()
    sign_in(chen, base, "chen")
    sign_in(sun, base, "sun")
    work(chen, base, number, "调查核实", {"investigators": ["陈刚", "林涛"], "next_step": "extend",
                                      "findings": "需异地调取代理合同原件及庭审记录。",
                                      "extension_reason": "案情复杂，需异地调取证据"}, "approvals-01-investigation")
    open_task(sun, base, number, "延期审批")
    review = sun.locator("#review").inner_text()
    assert "延期理由" in review and "案情复杂，需异地调取证据" in review and "延期告知书" in review
    fill_form(sun, {"approved": True, "approval_opinion": EXTENSION_OPINION}, "#task-form")
    shot(sun, "approvals-02-extension-approval")
    assert click_confirmed(sun, "#complete").startswith("确认提交延期审批意见")
    sun.wait_for_url(re.compile(r".*/inbox$"))

    complete(app, case_id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "next_step": "report",
                                            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"})
    work(chen, base, number, "处理意见", {"outcome": "criticism", "outcome_reason": "未按约出庭，损害委托人利益",
                                      "legal_basis": "《律师执业管理办法》第五十条"}, "approvals-03-outcome")

    open_task(sun, base, number, "处理决定审批")
    review = sun.locator("#review")
    assert review.locator('[data-field="outcome"]').inner_text() == "批评教育"
    assert review.locator('[data-field="outcome_reason"]').inner_text() == "未按约出庭，损害委托人利益"
    assert review.locator('[data-field="legal_basis"]').inner_text() == "《律师执业管理办法》第五十条"
    assert "被投诉律师确未按约出庭" in review.locator('[data-field="findings"]').inner_text()
    assert "答复书" in review.locator("#review-documents").inner_text()
    earlier = sun.locator("#approval-history tr", has_text="延期审批")
    assert earlier.count() == 1
    row = earlier.inner_text()
    assert "孙伟" in row and "同意：是" in row and EXTENSION_OPINION in row and "sun" not in row
    form = sun.locator("#task-form")
    assert form.locator('[data-field="approved"] input[type=radio]:checked').count() == 0
    assert form.locator("#f-approval_opinion").input_value() == ""
    shot(sun, "approvals-04-decision-approval")

    fill_form(sun, {"approved": True, "approval_opinion": "同意批评教育"}, "#task-form")
    sun.click("#complete")                                     # asks first; 取消 sends nothing
    sun.wait_for_selector("#confirm-dialog[open]")
    assert sun.locator("#confirm-question").inner_text() == QUESTION
    shot(sun, "approvals-05-confirmation")
    sun.click("#confirm-cancel")
    assert sun.locator("#confirm-dialog[open]").count() == 0
    assert re.search(r"/tasks/\d+$", sun.url) and sun.locator("#f-approval_opinion").input_value() == "同意批评教育"
    assert click_confirmed(sun, "#complete") == QUESTION       # 确定 signs
    sun.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「处理决定审批」" in sun.locator(".flash").inner_text()

    sun.goto(f"{base}/inbox?view=done&q={number}")
    signed = sun.locator("#inbox tr", has_text="处理决定审批").locator(".signed-summary").inner_text()
    assert signed == "同意：是；审批意见：同意批评教育"
    assert EXTENSION_OPINION in sun.locator("#inbox tr", has_text="延期审批").locator(".signed-summary").inner_text()
    shot(sun, "approvals-06-done")
