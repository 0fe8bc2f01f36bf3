"""In real Chromium, by mouse and keyboard: the modeler is in Chinese (English when the user chooses it), opens at a
readable zoom or on the element a validation problem names, finds an element by name, and attaches a new message
event to a message named in the properties panel, which validation checks."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browser import shot, sign_in
from .test_browser_policy import COMPLAINT, new_draft, open_in_modeler, save_diagram

pytestmark = pytest.mark.browser


def viewport_scale(page) -> float:
    """The canvas's zoom, read from the transform bpmn-js puts on the diagram."""
    transform = page.get_attribute("#canvas svg .viewport", "transform")
    return float(re.match(r"matrix\(([\d.e-]+)", transform).group(1))


def find_by_name(page, name: str) -> None:
    """Ctrl+F on the canvas, type the name, Enter: bpmn-js's search selects the first match."""
    page.locator("#canvas svg").first.click(position={"x": 400, "y": 30})
    page.keyboard.press("Control+f")
    box = page.locator(".djs-search-input input")
    expect(box).to_be_focused()
    box.fill(name)
    box.press("End")                    # the search runs on a key's release; typed Chinese comes without one
    expect(page.locator(".djs-search-result").first).to_be_visible()
    box.press("Enter")


def test_a_new_message_event_gets_its_message_by_name_in_the_panel_and_validation_checks_it(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "包案进展通知")
    open_in_modeler(page, draft_url, COMPLAINT)
    assert viewport_scale(page) >= 0.6                            # the complaint diagram opens readable
    assert page.get_attribute('.djs-palette [data-action="create.task"]', "aria-label") == "创建任务"

    find_by_name(page, "初审")
    expect(page.locator("#bio-properties-panel-id")).to_have_value("Task_preliminary")
    expect(page.locator("#bio-properties-panel-name")).to_have_value("初审")
    panel = page.locator("#properties")
    for label in ("常规", "名称", "说明（法律依据）", "办理", "表单", "办理期限表达式", "指定办理人表达式"):
        expect(panel.get_by_text(label, exact=True).first).to_be_visible()
    expect(panel).to_contain_text("如 review_deadline；可用：now()")

    find_by_name(page, "已报告")                                   # the end of 包案进展报告 becomes a notice
    expect(page.locator("#bio-properties-panel-name")).to_have_value("已报告")
    page.click('.djs-context-pad [data-action="replace"]')
    page.get_by_text("消息结束事件", exact=True).click()
    event_id = page.locator("#bio-properties-panel-id").input_value()
    expect(page.locator("#bio-properties-panel-messageRef")).to_be_visible()

    assert "1 个问题" in save_diagram(page)                        # no message yet: refused on the event
    assert page.locator(f'#canvas [data-element-id="{event_id}"].has-problem').count() >= 1
    expect(page.locator('#properties [data-group-id="group-lawflow-problems"]')).to_contain_text("没有指定消息")
    assert page.locator(f'#problems li[data-element="{event_id}"]').count() == 1
    shot(page, "modeler-message-event-without-message")

    page.select_option("#bio-properties-panel-messageRef", "create-new")
    name = page.locator("#bio-properties-panel-messageName")
    expect(name).to_be_visible()
    name.fill("notify")                  # the diagram's notify message: the event is attached to it, none renamed
    expect(page.locator("#bio-properties-panel-messageRef")).to_have_value("Message_notify")
    payload = page.locator("#bio-properties-panel-lawflow-messagePayload")
    payload.fill('{"to": "task:Task_lead", "title": "包案进展已报告：" + (business_number or "")}')
    payload.blur()
    shot(page, "modeler-new-message")
    assert "校验通过" in save_diagram(page)
    assert page.locator("#canvas .has-problem").count() == 0
    expect(page.locator('#properties [data-group-id="group-lawflow-problems"]')).to_have_count(0)
    page.goto(draft_url)
    change = page.locator(f'.change[data-path="{COMPLAINT}"]').inner_text()
    assert "已报告（End_lead_progress）" in change and "Message_notify" in change
    assert "新增 message " not in change                          # no second notify, no stray message left behind


def test_a_problem_on_the_draft_page_opens_the_modeler_on_its_element(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "坏条件")
    open_in_modeler(page, draft_url, COMPLAINT)
    find_by_name(page, "Call_penalty")
    expect(page.locator("#bio-properties-panel-lawflow-calledElement")).to_have_value("administrative_penalty")
    page.select_option("#bio-properties-panel-lawflow-calledElement", "")
    assert "问题" in save_diagram(page)
    page.goto(draft_url)
    page.click("#check")
    page.locator("#problems a.problem-element", has_text="Call_penalty").click()
    page.wait_for_url(re.compile(r".*element=Call_penalty"))
    page.wait_for_selector("#modeler-page[data-ready=true]")
    expect(page.locator("#bio-properties-panel-id")).to_have_value("Call_penalty")
    expect(page.locator('#properties [data-group-id="group-lawflow-problems"]')).to_be_visible()  # at once
    assert page.locator('#canvas [data-element-id="Call_penalty"].has-problem').count() >= 1
    assert viewport_scale(page) >= 0.6
    canvas = page.locator("#canvas").bounding_box()
    element = page.locator('#canvas [data-element-id="Call_penalty"]').first.bounding_box()
    assert canvas["x"] <= element["x"] and element["x"] + element["width"] <= canvas["x"] + canvas["width"]
    assert canvas["y"] <= element["y"] and element["y"] + element["height"] <= canvas["y"] + canvas["height"]


def test_the_modeler_speaks_english_to_an_english_reader(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "English")
    page.click("#switch-language")
    open_in_modeler(page, draft_url, COMPLAINT)
    assert page.get_attribute('.djs-palette [data-action="create.task"]', "aria-label") == "Create task"
    find_by_name(page, "Task_investigate")
    panel = page.locator("#properties")
    for label in ("General", "Name", "Element documentation", "Handling", "Form", "Due expression"):
        expect(panel.get_by_text(label, exact=True).first).to_be_visible()
    expect(page.locator("#find-element")).to_have_text("Find an element (Ctrl+F)")


def test_a_multi_instance_keeps_its_lists_through_the_modeler(app, live_server, new_page):
    """A loop's input and output lists name case data, not diagram elements: bpmn-js would drop them as unresolved
    references; the panel shows them and a save keeps them."""
    path = "processes/legal_aid/legal_aid_file_review.bpmn"
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "评查会签")
    open_in_modeler(page, draft_url, path)
    find_by_name(page, "Task_review_civil")
    expect(page.locator("#bio-properties-panel-id")).to_have_value("Task_review_civil")
    expect(page.locator("#bio-properties-panel-lawflow-loopDataInputRef")).to_have_value("reviewers")
    expect(page.locator("#bio-properties-panel-lawflow-inputDataItem")).to_have_value("civil_reviewer")
    expect(page.locator("#bio-properties-panel-lawflow-loopDataOutputRef")).to_have_value("reviews")
    assert "校验通过" in save_diagram(page)
    saved = page.request.get(f"{draft_url}/raw/{path}").text()
    assert saved.count("<bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef>") == 2
    assert saved.count("<bpmn:loopDataOutputRef>reviews</bpmn:loopDataOutputRef>") == 2


def test_a_role_list_is_chosen_from_the_known_roles_and_keeps_its_xml(app, live_server, new_page):
    from engine.definitions import drafts
    from web.database import session as db_session

    from .test_browser_policy import select_element

    firm = "processes/law_firm/law_firm_application.bpmn"
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "年度考核不合格的登记角色")
    open_in_modeler(page, draft_url, firm)
    select_element(page, "Catch_annual_fail")
    entry = page.locator('[data-entry-id="lawflow-senderRoles"]')
    expect(entry).to_contain_text("可发送角色")
    roles = entry.locator(".lawflow-roles")
    expect(roles).to_have_attribute("data-value", "caseworker,section_chief")
    expect(entry.locator('[data-role="caseworker"] input')).to_be_checked()
    expect(entry.locator('[data-role="section_chief"] input')).to_be_checked()
    expect(entry.locator('[data-role="lawyer_affairs"] input')).not_to_be_checked()
    entry.get_by_text("律师工作处（lawyer_affairs）", exact=True).click()          # by mouse: a role added
    expect(roles).to_have_attribute("data-value", "caseworker,section_chief,lawyer_affairs")
    entry.locator('[data-role="section_chief"] input').focus()
    page.keyboard.press("Space")                                                   # by keyboard: one removed
    expect(roles).to_have_attribute("data-value", "caseworker,lawyer_affairs")
    expect(entry.locator('[data-role="section_chief"] input')).not_to_be_checked()
    shot(page, "modeler-role-list")
    assert "已保存" in save_diagram(page)
    with app.app_context():
        xml = drafts.files(db_session(), int(draft_url.rsplit("/", 1)[1]))[firm].decode()
    assert '<spiffworkflow:property name="senderRoles" value="caseworker,lawyer_affairs" />' in xml
    assert xml.count('name="senderRoles" value="caseworker,section_chief"') == 2        # the others as they were
    assert 'name="starterRoles" value="lawyer_affairs"' in xml


def test_a_role_list_matches_roles_by_name_and_keeps_one_it_does_not_know(app, live_server, new_page):
    from engine.definitions import drafts
    from web.database import session as db_session
    from web.workflow import engine

    from .test_browser_policy import select_element

    sample = "processes/sample/sample_review.bpmn"
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "转办角色")
    draft_id = int(draft_url.rsplit("/", 1)[1])
    with app.app_context():
        db = db_session()
        xml = drafts.files(db, draft_id)[sample]
        changed = xml.replace('name="transferRoles" value="负责人"'.encode(),
                              'name="transferRoles" value="负责人, 外聘顾问"'.encode())
        assert changed != xml
        drafts.put(db, engine(), draft_id, sample, changed, actor="admin")
    open_in_modeler(page, draft_url, sample)
    select_element(page, "Task_fill")
    entry = page.locator('[data-entry-id="lawflow-transferRoles"]')
    expect(entry.locator('[data-role="leader"] input')).to_be_checked()              # named by its name
    expect(entry.locator('[data-role="外聘顾问"]')).to_contain_text("（不是角色）")
    expect(entry.locator('[data-role="外聘顾问"] input')).to_be_checked()
    entry.get_by_text("经办人（handler）", exact=True).click()
    expect(entry.locator(".lawflow-roles")).to_have_attribute("data-value", "负责人, 外聘顾问, handler")
    entry.locator('[data-role="外聘顾问"] input').click()
    expect(entry.locator(".lawflow-roles")).to_have_attribute("data-value", "负责人, handler")
    expect(entry.locator('[data-role="外聘顾问"]')).to_have_count(0)
