"""In real Chromium: a leader approves a complaint's extension (延期审批, 同意, with his opinion); when the same leader
later opens the decision approval (处理决定审批, the same approval form) its 同意 and opinion are empty, not the
extension's words waiting for his signature."""
from __future__ import annotations

import re

import pytest

from .browser import click_confirmed, fill_form, shot, sign_in
from .test_browser_complaint import work
from .test_prefill import accepted_complaint, complete

pytestmark = pytest.mark.browser
EXTENSION_OPINION = "同意延长办理期限 30 日。"


def open_task(page, base: str, number: str, task: str) -> None:
    """Claim the case's task from the group inbox, as the work pages offer it."""
    page.goto(f"{base}/inbox?view=group&q={number}")
    page.locator("#inbox tr", has_text=task).get_by_role("button", name="签收").click()
    page.wait_for_selector("#task-form")
    page.wait_for_load_state()


def test_the_decision_approval_does_not_start_with_the_extension_approvals_answer(app, live_server, new_page):
    base, (case_id, number) = live_server, accepted_complaint(app)
    chen, sun = new_page(), new_page()
    sign_in(chen, base, "chen")
    sign_in(sun, base, "sun")
    work(chen, base, number, "调查核实", {"investigators": ["陈刚", "林涛"], "next_step": "extend",
                                      "findings": "需异地调取代理合同原件及庭审记录。",
                                      "extension_reason": "案情复杂，需异地调取证据"}, "prefill-01-investigation")
    work(sun, base, number, "延期审批", {"approved": True, "approval_opinion": EXTENSION_OPINION},
         "prefill-02-extension-approval")
    # the caseworker's report and outcome are not what this test is about
    complete(app, case_id, "调查核实", "chen", {"investigators": ["陈刚", "林涛"], "next_step": "report",
                                            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"})
    complete(app, case_id, "处理意见", "chen", {"outcome": "criticism", "outcome_reason": "未按约出庭，损害委托人利益",
                                            "legal_basis": "《律师执业管理办法》第五十条"})

    open_task(sun, base, number, "处理决定审批")
    form = sun.locator("#task-form")
    assert form.locator('[data-field="approved"] input[type=radio]').count() == 2
    assert form.locator('[data-field="approved"] input[type=radio]:checked').count() == 0
    assert form.locator("#f-approval_opinion").input_value() == ""
    shot(sun, "prefill-05-decision-approval-opens-empty")

    fill_form(sun, {"approved": True, "approval_opinion": "同意批评教育"}, "#task-form")
    assert click_confirmed(sun, "#complete")
    sun.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「处理决定审批」" in sun.locator(".flash").inner_text()
