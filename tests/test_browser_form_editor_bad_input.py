"""In real Chromium, bad input in the form editor (issue 21): an empty or taken field name, a minimum above the
maximum and a pattern that is no regular expression are each named on their field, 保存 is refused with the field
named, and the draft's form is left as it was; once corrected, the form saves."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.definitions import drafts
from web.database import session as db_session

from .browser import shot
from .test_browser_form_editor import PRELIMINARY, add_field, field_row, form_in_new_draft
from .test_browser_form_editor_order import save, saved_form

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent


def refused(page, app, draft_id: int, message: str) -> None:
    """保存 is refused naming the field, beside the field and in the answer, and the draft's form is as shipped."""
    page.click("#save-form")
    expect(page.locator("#save-result")).to_have_text("未保存：" + message)
    expect(page.locator("#field-list .fe-problem")).to_have_text([message])
    with app.app_context():
        assert drafts.files(db_session(), draft_id)[PRELIMINARY] == (ROOT / PRELIMINARY).read_bytes()


def test_bad_input_is_named_on_its_field_and_nothing_is_saved(app, live_server, new_page):
    page, draft_url, draft_id = form_in_new_draft(new_page, live_server, "初审表单的错误输入")

    row = field_row(page, "review_opinion")
    row.locator(".fe-open").click()
    name = row.locator("input.fe-key")
    name.select_text()
    page.keyboard.press("Delete")                                     # an empty name
    page.keyboard.press("Tab")
    expect(row.locator(".fe-details .field-error")).to_have_text("字段名不能为空")
    refused(page, app, draft_id, "初审意见说明 (review_opinion)：字段名不能为空")
    name.click()
    page.keyboard.type("severity")                                    # a name another field has
    page.keyboard.press("Tab")
    expect(row.locator(".fe-details .field-error")).to_have_text("已有同名字段")
    refused(page, app, draft_id, "初审意见说明 (review_opinion)：已有同名字段")
    shot(page, "form-editor-name-taken")
    name.select_text()
    page.keyboard.type("review_opinion")                              # its own name again: nothing wrong
    page.keyboard.press("Tab")
    expect(row.locator(".fe-details .field-error")).to_have_text("")

    fine = add_field(page, "fine", "罚款金额")
    fine.get_by_label("类型").select_option(label="数字")
    field_row(page, "fine").get_by_label("最小值").fill("5000")
    field_row(page, "fine").get_by_label("最大值").fill("500")
    refused(page, app, draft_id, "罚款金额 (fine)：最小值大于最大值")

    code = add_field(page, "licence_no", "执业证号")
    code.get_by_label("最少字数").fill("20")
    code.get_by_label("最多字数").fill("17")
    page.click("#save-form")
    expect(page.locator("#field-list .fe-problem")).to_have_text([
        "罚款金额 (fine)：最小值大于最大值", "执业证号 (licence_no)：最少字数大于最多字数"])
    shot(page, "form-editor-bad-bounds")
    field_row(page, "fine").get_by_label("最大值").fill("50000")
    code.get_by_label("最少字数").fill("17")

    # a pattern is checked by the save, by RE2 as the engine runs it: one that is no regular expression at all,
    # and one a browser would run but RE2 does not (lookaround), are each refused on the field
    for pattern, said in (("^[0-9{17}$", "'^[0-9{17}$' 无法使用（missing ]"),
                          ("^(?=.*[1-9])[0-9]{17}$", "'^(?=.*[1-9])[0-9]{17}$' 无法使用")):
        code.get_by_label("格式（正则表达式）").fill(pattern)
        page.click("#save-form")
        problem = page.locator("#field-list .fe-problem")
        expect(problem).to_have_count(1)
        expect(problem).to_contain_text("执业证号 (licence_no)：")
        expect(problem).to_contain_text(said)
        expect(page.locator("#save-result")).to_have_text("未保存：" + problem.inner_text())
        with app.app_context():
            assert drafts.files(db_session(), draft_id)[PRELIMINARY] == (ROOT / PRELIMINARY).read_bytes()
    shot(page, "form-editor-pattern-refused")

    code.get_by_label("格式（正则表达式）").fill("^[0-9]{17}$")           # corrected, the form saves
    assert "校验通过" in save(page)
    expect(page.locator("#field-list .fe-problem")).to_have_count(0)
    fields = saved_form(app, draft_id, PRELIMINARY)["properties"]
    assert "review_opinion" in fields and fields["fine"] == {"title": "罚款金额", "type": "number", "minimum": 5000,
                                                             "maximum": 50000}
    assert fields["licence_no"] == {"type": "string", "title": "执业证号", "maxLength": 17, "pattern": "^[0-9]{17}$",
                                    "minLength": 17}
