"""The proof of issue 21 in real Chromium, by mouse and keyboard: a policy officer adds a 抄送 to the city bureau's
分管领导 when a sample case reaches 领导督办 — a message throw event dropped on the flow into 领导督办, given the
message `copy` and its recipients in the panel — and publishes it; the city's director then finds the escalated
case under 抄送我的 and opens it."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from engine.time.workdays import CHINA_TZ
from web.database import session as db_session
from web.workflow import engine

from .browser import shot, sign_in
from .test_browser_policy import new_draft, open_in_modeler, publish, save_diagram, select_element

pytestmark = pytest.mark.browser
SAMPLE = "processes/sample/sample_review.bpmn"
PAYLOAD = '{"to": "分管领导@city-bureau", "note": "案件逾期升级领导督办，请知悉。"}'


def _centre(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def add_throw_event_before(page, task_id: str, name: str) -> None:
    """The task found with the search (which scrolls to it), then from the palette an intermediate event dropped onto
    the flow coming into the task's left side (bpmn-js splits the flow), named as it is dropped, then made a message
    throw event through the context pad's 'change type'."""
    select_element(page, task_id)
    page.click('.djs-palette [data-action="create.intermediate-event"]')
    box = page.locator(f'#canvas [data-element-id="{task_id}"]').first.bounding_box()
    x, y = box["x"] - 40, box["y"] + box["height"] / 2
    page.mouse.move(x - 60, y, steps=5)
    page.mouse.move(x, y, steps=5)
    page.mouse.click(x, y)
    page.keyboard.type(name)                  # the modeler edits the new event's label straight away
    page.keyboard.press("Enter")
    page.locator('.djs-context-pad [data-action="replace"]').click()
    page.click('[data-popup="bpmn-replace"] [data-id="replace-with-message-intermediate-throw"]')
    expect(page.locator("#bio-properties-panel-messageName")).to_be_visible()


def escalate_a_new_case() -> int:
    """A sample case in 东城 filled by no one for 8 working days, so its timer raises 领导督办."""
    db, eng = db_session(), engine()
    with time_machine.travel(datetime(2025, 10, 14, 9, 0, tzinfo=CHINA_TZ), tick=False) as clock:
        case = cases.start_case(eng, db, "sample_review", {}, org_code="county-a", actor="zhang")
        clock.move_to(datetime(2025, 10, 27, 0, 0, 1, tzinfo=CHINA_TZ))
        while fire_due_timers(eng, db):
            pass
    assert "领导督办" in [t.name for t in cases.case_tasks(db, case.id, "ready")]
    return case.id


def test_a_copy_to_the_city_director_added_in_the_modeler_reaches_her_copies(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "领导督办时抄送市局分管领导")
    open_in_modeler(page, draft_url, SAMPLE)
    add_throw_event_before(page, "Task_escalate", "抄送市局分管领导")
    expect(page.locator("#bio-properties-panel-name")).to_have_value("抄送市局分管领导")
    event_id = page.locator("#bio-properties-panel-id").input_value()
    message = page.locator("#bio-properties-panel-messageName")
    message.fill("copy")                                                 # a new message, named as it is typed
    message.press("Tab")
    expect(page.locator("#bio-properties-panel-messageRef")).to_have_value("Message_copy")
    payload = page.locator("#bio-properties-panel-lawflow-messagePayload")
    payload.fill(PAYLOAD.replace("city-bureau", "city-burea"))           # a typo first
    payload.press("Tab")
    result = save_diagram(page)
    assert "1 个问题" in result
    typo = "copy 消息的接收人 `分管领导@city-burea` 指定的机构 city-burea 不存在"
    assert typo in page.inner_text("#problems")
    assert page.locator(f'#problems li[data-element="{event_id}"]').count() == 1
    assert page.locator(f'#canvas [data-element-id="{event_id}"].has-problem').count() >= 1
    expect(page.locator('#properties [data-group-id="group-lawflow-problems"]')).to_contain_text(typo)
    shot(page, "copy-modeler-typo")
    page.locator("#canvas svg").first.click(position={"x": 400, "y": 30})  # away from the event, then back to it
    expect(page.locator("#bio-properties-panel-id")).not_to_have_value(event_id)
    page.locator(f'#problems li[data-element="{event_id}"]').click()     # the problem selects its element
    expect(page.locator("#bio-properties-panel-id")).to_have_value(event_id)
    payload = page.locator("#bio-properties-panel-lawflow-messagePayload")
    payload.fill(PAYLOAD)
    payload.press("Tab")
    assert "校验通过" in save_diagram(page)
    assert page.locator("#canvas .has-problem").count() == 0
    shot(page, "copy-modeler-saved")
    publish(page, draft_url, "领导督办时抄送市局分管领导")
    with app.app_context():
        case_id = escalate_a_new_case()

    director = new_page()
    sign_in(director, live_server, "han")
    director.goto(f"{live_server}/inbox?view=copies")
    row = director.locator("#inbox tr", has_text="案件逾期升级领导督办，请知悉。")
    assert row.count() == 1 and "未读" in row.inner_text()
    shot(director, "copy-inbox-copies")
    row.locator("a").first.click()
    director.wait_for_url(f"{live_server}/cases/{case_id}")
    assert "领导督办" in director.inner_text("main")
    director.goto(f"{live_server}/inbox?view=copies")
    assert "已读" in director.locator("#inbox tr", has_text="案件逾期升级领导督办，请知悉。").inner_text()
