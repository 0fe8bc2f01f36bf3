"""In real Chromium, by mouse and keyboard: a policy officer tries a draft before publishing it — a test case from a
start date shows the deadline, is saved as a scenario, the limit is changed in the draft's diagram, the scenario run
again names the changed deadline, and the draft is published. The try-runs leave no case behind."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.core.models import Case, HumanTask
from web.database import session as db_session

from .browser import fill_form, shot, sign_in
from .test_browser_policy import new_draft, open_in_modeler, publish, save_diagram, select_element

pytestmark = pytest.mark.browser
SAMPLE = "processes/sample/sample_review.bpmn"
SCENARIO = "forms/sample_review/scenarios/直接提交.json"


def _rows(app) -> tuple[int, int]:
    with app.app_context():
        db = db_session()
        return db.scalar(select(func.count(Case.id))), db.scalar(select(func.count(HumanTask.id)))


def test_a_draft_is_tried_with_a_test_case_and_the_changed_deadline_is_seen_before_publishing(app, live_server,
                                                                                              new_page):
    before = _rows(app)
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "填写申请期限改为7个工作日")
    page.click("#trial-link")
    page.wait_for_url(re.compile(r".*/trial$"))
    page.select_option("#trial-process", "sample_review")
    page.select_option("#trial-org", "county-a")
    page.fill("#trial-start-date", "2027-03-01")
    page.click("#trial-run")
    due = page.locator('#trial-tasks tr[data-element="Task_fill"] .trial-due')
    expect(due).to_contain_text("2027-03-08")                   # 5 working days from Monday 1 March
    expect(page.locator('#trial-tasks tr[data-element="Task_fill"] .legal')).to_contain_text("经办人填写申请事项")
    fill_form(page, {"title": "办公设备采购", "reason": "旧设备已无法使用"}, "#trial-task-form")
    page.click("#trial-complete")
    expect(page.locator("#trial-route")).to_contain_text("填写申请")
    expect(page.locator('#trial-tasks tr[data-element="Task_review"][data-status="ready"]')).to_have_count(1)
    page.click("#trial-scenario-name")
    page.keyboard.type("直接提交")
    page.click("#trial-save-button")
    expect(page.locator(".flash.ok")).to_contain_text(SCENARIO)
    shot(page, "trial-first-run")

    open_in_modeler(page, draft_url, SAMPLE)
    select_element(page, "Timer_fill_due")
    timer = page.locator("#bio-properties-panel-lawflow-timer")
    assert 'limit_due("fill", task_started)' in timer.input_value()      # the row's 5 working days
    timer.fill(timer.input_value().replace('limit_due("fill", task_started)', 'limit_due("fill", task_started, 7)'))
    timer.blur()
    assert "校验通过" in save_diagram(page)

    page.goto(draft_url)
    page.click("#trial-link")
    page.wait_for_url(re.compile(r".*/trial$"))
    page.click(f'.run-scenario[data-path="{SCENARIO}"]')
    changed = page.locator("#trial-changes tr.change-deadline")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("填写申请")
    expect(changed).to_contain_text("2027-03-08")
    expect(changed).to_contain_text("2027-03-10")
    expect(page.locator('#trial-tasks tr[data-element="Task_fill"] .trial-due')).to_contain_text("2027-03-10")
    shot(page, "trial-scenario-changed-deadline")
    assert _rows(app) == before                                 # the try-runs kept no case and no task

    publish(page, draft_url, "填写申请期限改为7个工作日")
    expect(page.locator("#active-version")).to_have_text("v2")


def test_a_try_run_sends_the_case_a_waiting_message_by_mouse_and_keyboard(app, live_server, new_page):
    before = _rows(app)
    page = new_page()
    sign_in(page, live_server, "admin")
    new_draft(page, live_server, "撤回申请试运行")
    page.click("#trial-link")
    page.wait_for_url(re.compile(r".*/trial$"))
    page.select_option("#trial-process", "sample_review")
    page.select_option("#trial-org", "county-a")
    page.fill("#trial-start-date", "2027-03-01")
    page.click("#trial-run")
    expect(page.locator("#trial-message-name option")).to_have_text(["撤回申请（withdraw）"])
    page.select_option("#trial-message-name", "withdraw")
    page.click("#trial-message-note")
    page.keyboard.type("申请人不再需要")
    page.click("#trial-message-send")
    expect(page.locator("#trial-sent")).to_contain_text("撤回申请")
    expect(page.locator("#trial-sent")).to_contain_text("申请人不再需要")
    expect(page.locator('#trial-tasks tr[data-element="Task_fill"]')).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#trial-message")).to_have_count(0)         # the case waits for no message any more
    page.click("#trial-scenario-name")
    page.keyboard.type("撤回")
    page.click("#trial-save-button")
    expect(page.locator(".flash.ok")).to_contain_text("forms/sample_review/scenarios/撤回.json")
    shot(page, "trial-message-sent")
    assert _rows(app) == before
