"""A field with a format (`pattern` and `x-patternMessage`) says the format under itself before anyone types, as the
input's accessible description; a value that does not match is refused with the same words, shown once, as the
field's error. In real Chromium, on the public portal's complaint form (the same form fields a handler's task
page renders)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browser import shot

pytestmark = pytest.mark.browser

PHONE_FORMAT = "应为 7 至 20 位电话号码（数字，可含 +、- 和空格）"      # forms/complaint/portal.schema.json


def test_the_format_is_said_before_filling_and_the_same_words_refuse_a_wrong_value(live_server, new_page):
    page = new_page()
    page.goto(f"{live_server}/portal/lawyer_complaint")
    phone_field = page.locator('[data-field="complainant_phone"]')
    phone = page.get_by_label("联系电话")
    expect(phone_field.locator(".format-hint")).to_have_text(PHONE_FORMAT)
    expect(phone).to_have_accessible_description(PHONE_FORMAT)
    # A field without a format has no hint.
    expect(page.locator('[data-field="facts"] .format-hint')).to_have_count(0)

    page.select_option("#f-org", "county-a")
    page.get_by_label("投诉人姓名或单位名称").fill("刘某")
    phone.click()
    page.keyboard.type("电话")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    expect(phone_field.get_by_role("alert")).to_have_text(PHONE_FORMAT)
    expect(phone_field.get_by_text(PHONE_FORMAT)).to_have_count(1)       # the error, not the hint beside it
    expect(page.get_by_label("联系电话")).to_have_accessible_description(PHONE_FORMAT)    # the error describes it now
    shot(page, "format-hint-refused")
