"""In real Chromium, with the mouse: a caseworker ticks four complaints waiting at 初审 in 待签收 — one of which a
colleague claims meanwhile — and claims them with the toolbar; the page says three were claimed and names the one
that was not, and why. The transfer then offers only the holders of the task's role, in the toolbar and on the
task page; the case list finds a complaint by a phone number typed with spaces and shows its current step and
deadline. Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest

from .browser import shot, sign_in
from .test_batch_pages import claim_as, registered

pytestmark = pytest.mark.browser


def test_batch_claim_with_the_mouse_and_a_transfer_offering_role_holders(app, live_server, new_page):
    base = live_server
    picked = registered(app, 4, complainant_phone="13512345678")
    chen = new_page()
    sign_in(chen, base, "chen")
    chen.goto(f"{base}/inbox?view=group")
    claim_as(app, picked[3][0], "lin")                      # lin is first to one of them, after chen's page loaded
    for task_id, _, _ in picked[:3]:
        chen.click(f'input.batch-pick[value="{task_id}"]')
    chen.click(f'input.batch-pick[value="{picked[3][0]}"]')
    assert chen.locator("#batch-count").inner_text() == "已选 4 项"
    shot(chen, "batch-01-selected")
    chen.click("#batch-claim")
    ok, failed = chen.locator(".flash.ok").inner_text(), chen.locator(".flash.error").inner_text()
    assert ok == "已签收 3 项"
    assert failed.startswith("1 项未办理：") and picked[3][2] in failed and "林涛" in failed
    shot(chen, "batch-02-claimed")
    for task_id, _, _ in picked:                                  # back on 待签收, which all four have left
        assert chen.locator(f'#inbox input.batch-pick[value="{task_id}"]').count() == 0
    chen.click("#tab-mine")
    mine = chen.locator("#inbox")
    for task_id, _, number in picked[:3]:
        assert mine.locator(f'input.batch-pick[value="{task_id}"]').count() == 1 and number in mine.inner_text()

    chen.click("#batch-form summary:has-text('批量转办')")        # only 承办人 of 东城: lin, not the chief or clerk
    offered = chen.locator("#batch-transfer-to option").all_inner_texts()
    assert any("林涛" in o for o in offered)
    assert not any(name in o for o in offered for name in ("周敏", "许静", "孙伟", "陈刚"))
    shot(chen, "batch-03-transfer-offer")
    chen.locator("#inbox tr", has_text=picked[0][2]).get_by_role("link", name="初审").click()
    chen.click("#operations summary:has-text('转办')")
    assert [o for o in chen.locator("#transfer-to option").all_inner_texts() if o != "选择接收人"] == \
        ["林涛（东城承办人）"]

    chen.goto(f"{base}/cases")
    chen.fill("#case-q", "135 1234 5678")
    chen.click("#case-search button[type=submit]")
    row = chen.locator("#cases tr", has_text=picked[0][2])
    assert "初审" in row.locator(".current-steps").inner_text()
    assert "2025-10-27" in row.locator(".step-deadlines").inner_text()
    assert chen.locator("#cases .batch-pick").count() == 4
    shot(chen, "batch-04-case-search")
