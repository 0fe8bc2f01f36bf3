"""In real Chromium, the form editor's kinds of field (issue 21): on a draft of the complaint's 初审 form a policy
officer adds, by mouse and keyboard, a text field with a pattern and its message, a date not after today, a
directory choice, an organisation choice and a file field, and turns a text field into a number; the preview
behaves as the handler's form will, and the saved JSON holds exactly the schema each kind means."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browser import shot
from .test_browser_form_editor import PRELIMINARY, add_field, field_row, form_in_new_draft
from .test_browser_form_editor_order import save, saved_form

pytestmark = pytest.mark.browser
FILE_ITEMS = {"type": "object", "required": ["attachment_id", "filename"],
              "properties": {"attachment_id": {"type": "integer"}, "filename": {"type": "string"},
                             "size": {"type": "integer"}}}


def previewed(page):
    """Wait until the preview shows the form as last edited (it is redrawn a moment after each change)."""
    expect(page.locator("#form-editor")).to_have_attribute("data-previewed",
                                                          page.get_attribute("#form-editor", "data-edited") or "")
    return page.locator("#preview-form")


def kind(page, key: str, label: str):
    field_row(page, key).get_by_label("类型").select_option(label=label)
    expect(field_row(page, key).locator(".fe-summary .muted")).to_contain_text(label)
    return field_row(page, key)


def test_fields_of_each_kind_are_saved_as_their_schema_and_previewed_as_handlers_see_them(app, live_server,
                                                                                          new_page):
    page, draft_url, draft_id = form_in_new_draft(new_page, live_server, "初审表单增加字段")

    # a text field with a pattern: a value that does not match gets the pattern's message beside it
    licence = add_field(page, "licence_no", "执业证号")
    expect(licence.locator(".fe-open")).to_have_text("执业证号")          # the list names it by the label typed
    licence.get_by_label("格式（正则表达式）").fill("^[0-9]{17}$")
    licence.get_by_label("格式不符时的提示").fill("执业证号为 17 位数字")
    box = previewed(page).locator('[data-field="licence_no"]')
    box.locator("input").click()
    page.keyboard.type("1310120")
    page.keyboard.press("Tab")
    expect(box.locator(".field-error")).to_have_text("执业证号为 17 位数字")
    shot(page, "form-editor-pattern-message")
    box.locator("input").click()
    page.keyboard.type("1010001001")                                   # now 17 digits: the message goes
    expect(box.locator(".field-error")).to_have_count(0)

    # a date not after today: the preview's date picker offers no later day
    add_field(page, "incident_on", "违规行为发生日期")
    kind(page, "incident_on", "日期").get_by_label("不得晚于今天").check()
    expect(previewed(page).locator('[data-field="incident_on"] input[type=date]')).to_have_attribute(
        "max", "2025-10-13")                                            # the clock of the tests' app

    # a choice from a registry, and an organisation
    add_field(page, "firm_id", "所在律师事务所")
    directory = kind(page, "firm_id", "名录条目").get_by_label("名录", exact=True)
    directory.select_text()
    page.keyboard.type("respondent")
    firm = previewed(page).locator('[data-field="firm_id"] select')
    expect(firm.locator("option[value='F-0001']")).to_have_count(1)
    add_field(page, "handling_org", "承办机关")
    kind(page, "handling_org", "机构")
    expect(previewed(page).locator('[data-field="handling_org"] select option[value="county-a"]')).to_have_count(1)

    # files
    add_field(page, "evidence_files", "补充证据")
    kind(page, "evidence_files", "附件").get_by_label("最多项数").fill("5")
    expect(previewed(page).locator('[data-field="evidence_files"] input[type=file]')).to_have_attribute(
        "multiple", "")

    # a text field turned into a number keeps only what a number may have
    amount = add_field(page, "amount", "涉案金额（元）")
    amount.get_by_label("最少字数").fill("1")
    amount.get_by_label("格式（正则表达式）").fill("^[0-9]+$")
    amount.get_by_label("格式不符时的提示").fill("只填数字")
    amount = kind(page, "amount", "数字")
    expect(amount.get_by_label("格式（正则表达式）")).to_have_count(0)
    amount.get_by_label("最小值").fill("0")
    amount.get_by_label("最大值").fill("1000000")
    number = previewed(page).locator('[data-field="amount"] input')
    expect(number).to_have_attribute("type", "number")
    expect(number).to_have_attribute("max", "1000000")
    shot(page, "form-editor-kinds")

    assert "校验通过" in save(page)
    fields = saved_form(app, draft_id, PRELIMINARY)["properties"]
    assert list(fields)[-6:] == ["licence_no", "incident_on", "firm_id", "handling_org", "evidence_files", "amount"]
    assert fields["licence_no"] == {"type": "string", "title": "执业证号", "maxLength": 200, "pattern": "^[0-9]{17}$",
                                    "x-patternMessage": "执业证号为 17 位数字"}
    assert fields["incident_on"] == {"title": "违规行为发生日期", "type": "string", "format": "date",
                                     "x-notAfter": "today"}
    assert fields["firm_id"] == {"title": "所在律师事务所", "type": "string", "x-directory": "respondent"}
    assert fields["handling_org"] == {"title": "承办机关", "type": "string", "x-organization": True}
    assert fields["evidence_files"] == {"title": "补充证据", "type": "array", "x-widget": "files", "items": FILE_ITEMS,
                                        "maxItems": 5}
    assert fields["amount"] == {"title": "涉案金额（元）", "type": "number", "minimum": 0, "maximum": 1000000}
