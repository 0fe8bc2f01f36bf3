"""In real Chromium, the visual form editor (issue 21): a policy officer makes a field of the complaint's 初审 form
required only when the respondent is a law firm, by mouse and keyboard, publishes it, and a handler is asked for it
on a firm's case and not on a lawyer's; every shipped form goes through the editor and is saved unchanged."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.core import people
from engine.definitions import drafts
from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine

from .browser import saved, shot, sign_in
from .test_browser_policy import new_draft, publish

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
PRELIMINARY = "forms/complaint/preliminary.schema.json"


def open_form(page, draft_url: str, path: str) -> None:
    page.goto(f"{draft_url}/files/{path}")
    page.wait_for_selector("#form-editor[data-ready=true]")


def form_in_new_draft(new_page, live_server, title: str, path: str = PRELIMINARY) -> tuple:
    """The administrator signed in, a new draft titled `title` with its form `path` open in the editor: (the page, the
    draft's URL, its id)."""
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, title)
    open_form(page, draft_url, path)
    return page, draft_url, int(draft_url.rsplit("/", 1)[1])


def field_row(page, key: str):
    return page.locator(f'#field-list .fe-field[data-key="{key}"]')


def add_field(page, key: str, label: str):
    count = page.locator("#field-list .fe-field").count()
    page.click("#add-field")
    expect_count(page, "#field-list .fe-field", count + 1)
    page.keyboard.type(key)             # the new field's name is focused and selected
    page.keyboard.press("Tab")
    row = field_row(page, key)
    row.get_by_label("标签").fill(label)
    return row


def expect_count(page, selector: str, count: int) -> None:
    expect(page.locator(selector)).to_have_count(count)


def start_complaint(app, respondent: str) -> int:
    with app.app_context():
        db = db_session()
        case = cases.start_case(engine(), db, "lawyer_complaint", {}, org_code="county-a", actor="xu")
        task = cases.case_tasks(db, case.id, "ready")[0]
        cases.complete_task(engine(), db, task.id, {
            "channel": "letter", "received_on": "2025-10-13", "complainant_name": "刘某", "complainant_type": "person",
            "complainant_phone": "13800000001", "respondent_id": respondent, "facts": "律师收费后未提供任何法律服务。",
            "requests": "退还费用"}, user=people.user_by_name(db, "xu"))
        return next(t.id for t in cases.case_tasks(db, case.id, "ready") if t.name == "初审")


def test_a_field_required_only_for_a_firm_is_made_in_the_form_editor_and_demanded_on_firms_only(app, live_server,
                                                                                                 new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "被投诉人为律师事务所的，须填写律所联系人")
    page.goto(draft_url)
    page.get_by_role("link", name=PRELIMINARY, exact=True).click()
    page.wait_for_selector("#form-editor[data-ready=true]")
    assert page.locator("#field-list .fe-field").count() == 8       # the 初审 form's fields, listed

    kind = add_field(page, "respondent_type", "被投诉人类别")
    kind.get_by_label("类型").select_option(label="单选")
    kind = field_row(page, "respondent_type")
    kind.get_by_label("选项取值").fill("lawyer")
    kind.get_by_label("选项显示文字").fill("律师")
    kind.get_by_role("button", name="添加选项").click()
    kind.get_by_label("选项取值").nth(1).fill("firm")
    kind.get_by_label("选项显示文字").nth(1).fill("律师事务所")
    kind.get_by_label("取自案件数据").check()

    contact = add_field(page, "firm_contact", "律所联系人")
    contact.get_by_label("帮助说明").fill("被投诉人为律师事务所的，填写律所负责接洽的人员")
    contact.get_by_role("button", name="添加必填条件").click()
    contact = field_row(page, "firm_contact")
    contact.locator(".fe-required-when").get_by_label("条件字段").select_option("respondent_type")
    contact = field_row(page, "firm_contact")
    contact.locator(".fe-required-when").get_by_label("条件取值").select_option(label="律师事务所")
    assert "条件必填" in contact.locator(".fe-summary").inner_text()
    page.wait_for_selector('#preview-form [data-field="firm_contact"]')
    shot(page, "form-editor-required-when")
    editing = page.url
    page.locator('#preview-form [data-field="firm_contact"] input').fill("王某")
    page.keyboard.press("Enter")                       # the preview is never sent (data-no-submit): no reload
    assert page.url == editing                         # and the unsaved rule below is still there to be read

    page.click("#show-json")                                          # the 高级 view shows the rule written
    schema = page.input_value("#schema-text")
    rule = {"if": {"properties": {"respondent_type": {"const": "firm"}}, "required": ["respondent_type"]},
            "then": {"required": ["firm_contact"]}}
    assert json.loads(schema)["allOf"][-1] == rule
    assert '"x-fromCase": true' in schema and '"enumNames": ["律师", "律师事务所"]' in schema
    assert "校验通过" in saved(page, "#form-editor", "#save-form")
    publish(page, draft_url, "被投诉人为律师事务所的须填写律所联系人")

    firm_task, lawyer_task = start_complaint(app, "F-0001"), start_complaint(app, "L-0001")
    handler = new_page()
    sign_in(handler, live_server, "chen")
    for task_id, demanded in ((firm_task, True), (lawyer_task, False)):
        handler.goto(f"{live_server}/tasks/{task_id}")
        for name in ("in_scope", "has_jurisdiction", "materials_complete"):
            handler.locator(f'[data-field="{name}"]').get_by_label("是", exact=True).check()
        handler.locator('[data-field="repeat_without_new_facts"]').get_by_label("否", exact=True).check()
        handler.locator('[data-field="review_conclusion"] select').select_option("accept")
        handler.locator('[data-field="review_opinion"] textarea').fill("属于受理范围，材料齐全")
        handler.click("#complete")
        if demanded:
            error = handler.locator('[data-field="firm_contact"] .field-error')
            assert "必填" in error.inner_text()
            shot(handler, "form-editor-demanded-for-a-firm")
        else:
            handler.wait_for_url(re.compile(r".*/inbox$"))


def pairs(text: str):
    """A JSON text as nested lists of (key, value) pairs: equal only with the same keys in the same order."""
    return json.loads(text, object_pairs_hook=list)


# The editor's reading and writing of JSON happen in the browser; the database only stores the bytes, which the other
# tests of drafts check on both. One database is enough for this long walk over every shipped form.
@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_every_shipped_form_round_trips_through_the_editor(app, live_server, new_page):
    shipped = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "forms").rglob("*.schema.json"))
    assert len(shipped) > 50
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "原样保存")
    draft_id = int(draft_url.rsplit("/", 1)[1])
    for path in shipped:
        original = (ROOT / path).read_text(encoding="utf-8")
        open_form(page, draft_url, path)
        first = page.locator("#field-list .fe-open").first
        key = page.locator("#field-list .fe-field").first.get_attribute("data-key")
        first.click()                                                 # a field's details, drawn from the schema
        label = page.locator("#field-list .fe-details input[data-prop=title]")
        label.click()
        page.keyboard.press("End")
        page.keyboard.type("改")                                      # one change: the label, nothing else
        page.click("#show-json")
        expected = json.loads(original)
        expected["properties"][key]["title"] = expected["properties"][key].get("title", "") + "改"
        assert pairs(page.input_value("#schema-text")) == pairs(json.dumps(expected, ensure_ascii=False)), path
        page.click("#show-visual")
        page.locator("#field-list .fe-details input[data-prop=title]").click()
        page.keyboard.press("End")
        page.keyboard.press("Backspace")                              # undone: the very text loaded
        page.click("#show-json")
        assert page.input_value("#schema-text") == original, path
    open_form(page, draft_url, PRELIMINARY)                           # saved with no change: the same bytes
    assert "校验通过" in saved(page, "#form-editor", "#save-form")
    with app.app_context():
        assert drafts.files(db_session(), draft_id)[PRELIMINARY] == (ROOT / PRELIMINARY).read_bytes()


def test_a_field_shown_only_for_one_answer_is_hidden_in_the_preview_until_that_answer(app, live_server, new_page):
    page, _url, _id = form_in_new_draft(new_page, live_server, "需补正的材料仅在要求补正时显示")
    row = field_row(page, "supplement_items")
    row.locator(".fe-open").click()
    row.get_by_role("button", name="添加显示条件").click()
    row = field_row(page, "supplement_items")
    row.locator(".fe-shown-when").get_by_label("条件字段").select_option("review_conclusion")
    row = field_row(page, "supplement_items")
    row.locator(".fe-shown-when").get_by_label("条件取值").select_option(label="一次性告知补正材料")
    page.wait_for_selector('#preview-form [data-field="supplement_items"][data-shown-when*="supplement"]',
                           state="attached")
    assert "条件显示" in row.locator(".fe-summary").inner_text()
    hidden = page.locator('#preview-form [data-field="supplement_items"]')
    expect(hidden).to_be_hidden()
    expect(hidden.locator("textarea")).to_be_disabled()             # nothing is sent for a hidden field
    page.locator('#preview-form [data-field="review_conclusion"] select').select_option("supplement")
    expect(hidden).to_be_visible()
    hidden.locator("textarea").fill("补充代理合同原件")
    page.locator('#preview-form [data-field="review_conclusion"] select').select_option("accept")
    expect(hidden).to_be_hidden()
    shot(page, "form-editor-shown-when")
    page.click("#show-json")
    assert json.loads(page.input_value("#schema-text"))["properties"]["supplement_items"]["x-shownWhen"] == {
        "review_conclusion": "supplement"}
