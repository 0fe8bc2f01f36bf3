"""In real Chromium: a member of the public opens the notice list from the portal, opens a firm's objection form with
the mouse, types the objection with the keyboard, is first told the text is missing, then sends it; the firm's case
opens its check task with the objection."""
from __future__ import annotations

import re

import pytest

from .browser import shot
from .test_portal_lists import listed, open_tasks  # noqa: F401 (listed is a fixture)

pytestmark = pytest.mark.browser
OBJECTION = "该所在公示材料中虚报了执业律师人数，请核实。"


def test_a_visitor_lodges_an_objection_from_the_notice_list(app, live_server, listed, new_page):  # noqa: F811
    base, (case_id, number) = live_server, listed["乙律师事务所"]
    page = new_page()
    page.goto(f"{base}/portal/")
    page.get_by_role("link", name="拟命名公示", exact=True).click()
    page.wait_for_url(re.compile(r".*/portal/lists/listed/notice$"))
    row = page.locator(f'#public-list tr[data-number="{number}"]')
    assert row.locator("td").nth(1).inner_text() == "乙律师事务所"
    row.locator("summary", has_text="提出异议").click()                 # the mouse opens the row's form
    form = row.locator("form")
    form.locator('[data-field="name"] input').click()
    page.keyboard.type("王某")
    page.keyboard.press("Tab")
    page.keyboard.type("13700000000")
    page.keyboard.press("Enter")                                       # sent without the text
    page.wait_for_selector('[data-field="text"] .field-error')
    row = page.locator(f'#public-list tr[data-number="{number}"]')
    assert row.locator('[data-field="text"] .field-error').inner_text() == "请填写内容"
    assert row.locator('[data-field="name"] input').input_value() == "王某"     # what was typed is kept
    row.locator('[data-field="text"] textarea').click()
    page.keyboard.type(OBJECTION)
    shot(page, "public-list-01-objection")
    row.get_by_role("button", name="发送").click()
    page.wait_for_selector("#message-receipt")
    assert page.locator("#receipt-number").inner_text() == number
    assert re.fullmatch(r"[A-Z0-9]{10}", page.locator("#receipt-reference").inner_text())
    shot(page, "public-list-02-receipt")
    assert open_tasks(app, case_id) == ["异议核查"]
