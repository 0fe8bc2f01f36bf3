"""In real Chromium, work stays with its handler: the intake clerk who starts a complaint lands on its registration,
already his; the caseworker claims the 初审 once, from the 待签收 part of 我的待办, and then finds each of his next
four steps in 我的待办 without claiming again, while the section chief's decision waits for the chiefs."""
from __future__ import annotations

import re

import pytest

from .browser import fill_form, shot, sign_in

pytestmark = pytest.mark.browser

REGISTRATION = {"channel": "visit", "received_on": "2025-10-13", "complainant_name": "刘某", "complainant_type": "person",
                "complainant_phone": "13800000009", "respondent_id": "L-0001",
                "facts": "律师收取代理费后两次开庭均未出庭，也不退费。", "requests": "查处并退还代理费"}
CASEWORKER_STEPS = [
    ("告知投诉人", {"notice_method": "post", "notified_on": "2025-10-13"}),
    ("被投诉人书面说明", {"explanation_received_on": "2025-10-13", "explanation_method": "post",
                  "explanation_summary": "因另案开庭冲突未能出庭，同意退还部分费用。"}),
    ("调查核实", {"investigators": ["陈刚", "林涛"], "next_step": "report",
              "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}),
    ("处理意见", {"outcome": "criticism", "outcome_reason": "未按约出庭，损害委托人利益",
              "legal_basis": "《律师执业管理办法》第五十条"}),
]


def complete(page, task: str, values: dict, name: str) -> None:
    """Fill the open task form and complete it; back on 我的待办."""
    page.wait_for_selector("#task-form")
    fill_form(page, values, "#task-form")
    shot(page, f"handler-{name}")
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert f"已办理「{task}」" in page.locator(".flash").inner_text()


def test_a_caseworker_does_five_steps_of_a_complaint_claiming_only_the_first(live_server, new_page):
    base = live_server
    clerk = new_page()
    sign_in(clerk, base, "xu")
    clerk.goto(f"{base}/start/lawyer_complaint")
    clerk.click("#start-submit")
    clerk.wait_for_url(re.compile(r".*/tasks/\d+$"))        # the registration is his at once
    number = re.search(r"已发起：(\S+)", clerk.locator(".flash").inner_text()).group(1)
    assert clerk.locator("#op-claim").count() == 0 and clerk.locator("#op-release").count() == 1
    complete(clerk, "投诉登记", REGISTRATION, "01-registration")

    chen = new_page()
    sign_in(chen, base, "chen")
    chen.goto(f"{base}/inbox?q={number}")                    # 我的待办: nothing of his yet, the 初审 claimable below
    assert chen.locator("#inbox tr", has_text="初审").count() == 0
    waiting = chen.locator("#claimable tr", has_text="初审")
    shot(chen, "handler-02-inbox-claimable")
    waiting.get_by_role("button", name="签收").click()
    complete(chen, "初审", {"in_scope": True, "has_jurisdiction": True, "materials_complete": True,
                           "repeat_without_new_facts": False, "review_conclusion": "accept",
                           "review_opinion": "属于受理范围，材料齐全"}, "03-review")

    chief = new_page()                                        # the decision is the section chiefs', not his
    sign_in(chief, base, "zhou")
    chen.goto(f"{base}/inbox?q={number}")
    assert chen.locator("#inbox tr", has_text="受理审查决定").count() == 0
    assert chen.locator("#claimable tr", has_text="受理审查决定").count() == 0
    chief.goto(f"{base}/inbox?q={number}")
    chief.locator("#claimable tr", has_text="受理审查决定").get_by_role("button", name="签收").click()
    complete(chief, "受理审查决定", {"decision": "accepted", "decision_reason": "属于受理范围"}, "04-decision")

    for i, (task, values) in enumerate(CASEWORKER_STEPS, start=5):
        chen.goto(f"{base}/inbox?q={number}")
        assert chen.locator("#claimable tr", has_text=number).count() == 0       # nothing of the case to claim
        chen.locator("#inbox tr", has_text=task).get_by_role("link", name=task).click()
        complete(chen, task, values, f"{i:02d}-{task}")

    assert chen.locator("#inbox tr", has_text="处理决定审批").count() == 0    # the approval is the leader's
    chen.goto(f"{base}/inbox?view=done&q={number}")
    chen.locator("#inbox tr", has_text="处理意见").locator("a[href^='/cases/']").first.click()
    chen.wait_for_url(re.compile(r".*/cases/\d+$"))
    timeline = chen.locator("#timeline")
    timeline.wait_for()
    assert timeline.locator("tr", has_text="签收").count() == 2           # chen's 初审 and zhou's decision only
    assert timeline.locator("tr", has_text="自动分派").count() == 5       # registration on start, then chen's four
    shot(chen, "handler-09-case-history")
