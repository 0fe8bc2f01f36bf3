"""In real Chromium: a handler works a task from the inbox; the case page draws its diagram; the API viewer."""
from __future__ import annotations

import re

import pytest

from .browser import fill_form, shot, sign_in

pytestmark = pytest.mark.browser


def test_a_handler_claims_and_completes_a_task_with_field_errors_shown(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "zhang")
    page.click("#tab-group")
    row = page.locator("#inbox tr", has_text="填写申请")
    row.get_by_role("button", name="签收").click()
    page.wait_for_selector("#task-form")
    assert "已签收" in page.locator(".flash").inner_text()
    page.click("#complete")
    errors = page.locator(".field-error")
    assert errors.count() == 2 and "必填项" in errors.first.inner_text()
    shot(page, "sample-task-field-errors")
    fill_form(page, {"title": "购置打印机", "reason": "旧打印机已损坏，影响文书打印"})
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「填写申请」" in page.locator(".flash").inner_text()
    page.click("#tab-done")
    page.locator("#inbox a", has_text="填写申请").first.wait_for()
    case_link = page.locator("#inbox tr", has_text="填写申请").locator("a[href^='/cases/']").first
    case_link.click()
    page.wait_for_selector("#diagram[data-rendered=true]")
    assert page.locator("#diagram .djs-element.done").count() >= 2
    assert page.locator('#diagram .djs-element.current[data-element-id="Task_review"]').count() == 1
    shot(page, "sample-case-diagram")


def test_the_api_viewer_lists_the_endpoints(live_server, new_page):
    page = new_page()
    page.goto(f"{live_server}/api/v1/docs")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock-summary-path", has_text="/api/v1/tasks/{task_id}/complete").count() == 1
    shot(page, "api-viewer")
