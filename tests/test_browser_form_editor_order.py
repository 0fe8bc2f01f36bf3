"""In real Chromium, the form editor's list (issue 21): a policy officer orders the fields of a shipped form with
↑/↓ (by mouse, then by keyboard on the button that keeps the focus) and removes fields with ✕ — including fields
that conditions refer to: a rule whose condition looks at the removed field goes whole, a rule that only demands
it keeps its other fields, and the editor says what it took along, so no rule is left pointing at nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.definitions import drafts
from web.database import session as db_session

from .browser import saved, shot
from .test_browser_form_editor import PRELIMINARY, field_row, form_in_new_draft, open_form

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
REGISTER = "forms/complaint/register.schema.json"


def saved_form(app, draft_id: int, path: str) -> dict:
    """The draft's form file as the app stored it."""
    with app.app_context():
        return json.loads(drafts.files(db_session(), draft_id)[path])


def save(page) -> str:
    """Press 保存 and wait for the answer; the answer's text."""
    return saved(page, "#form-editor", "#save-form")


def expect_order(page, keys: list[str]) -> None:
    expect(page.locator("#field-list .fe-field > .fe-summary code")).to_have_text(keys)


def test_fields_are_ordered_and_removed_and_a_removed_field_leaves_no_rule_behind(app, live_server, new_page):
    page, draft_url, draft_id = form_in_new_draft(new_page, live_server, "调整初审表单字段")
    expect_order(page, ["in_scope", "has_jurisdiction", "materials_complete", "repeat_without_new_facts",
                        "review_conclusion", "severity", "supplement_items", "review_opinion"])
    expect(field_row(page, "in_scope").get_by_role("button", name="上移")).to_be_disabled()      # already first
    expect(field_row(page, "review_opinion").get_by_role("button", name="下移")).to_be_disabled()

    field_row(page, "in_scope").get_by_role("button", name="下移").click()
    expect_order(page, ["has_jurisdiction", "in_scope", "materials_complete", "repeat_without_new_facts",
                        "review_conclusion", "severity", "supplement_items", "review_opinion"])
    expect(field_row(page, "in_scope").get_by_role("button", name="下移")).to_be_focused()     # the focus follows
    page.keyboard.press("Enter")                                                               # so Enter moves on
    expect_order(page, ["has_jurisdiction", "materials_complete", "in_scope", "repeat_without_new_facts",
                        "review_conclusion", "severity", "supplement_items", "review_opinion"])
    field_row(page, "review_opinion").get_by_role("button", name="上移").click()
    page.keyboard.press("Space")
    expect_order(page, ["has_jurisdiction", "materials_complete", "in_scope", "repeat_without_new_facts",
                        "review_conclusion", "review_opinion", "severity", "supplement_items"])

    # 需补正的材料 is shown only for 一次性告知补正材料, and demanded then by the form's own rule (allOf/if/then)
    row = field_row(page, "supplement_items")
    row.locator(".fe-open").click()
    row.get_by_role("button", name="添加显示条件").click()
    field_row(page, "supplement_items").locator(".fe-shown-when").get_by_label("条件字段").select_option(
        "review_conclusion")
    field_row(page, "supplement_items").locator(".fe-shown-when").get_by_label("条件取值").select_option(
        label="一次性告知补正材料")
    expect(field_row(page, "supplement_items").locator(".fe-summary")).to_contain_text("条件显示")

    field_row(page, "review_conclusion").get_by_role("button", name="删除").click()          # ✕ on the condition's field
    expect(field_row(page, "review_conclusion")).to_have_count(0)
    expect(page.locator("#editor-notice")).to_have_text(
        "已删除字段 review_conclusion，并一并删除引用它的 2 处条件")                 # the allOf rule and the shown-when
    expect(field_row(page, "supplement_items").locator(".fe-summary")).not_to_contain_text("条件显示")
    expect(page.locator("#preview-form [data-field=review_conclusion]")).to_have_count(0)
    expect(page.locator("#preview-form [data-field=supplement_items]")).to_be_visible()    # no longer hidden by it
    shot(page, "form-editor-removed-with-its-rules")
    assert "校验通过" in save(page)

    form = saved_form(app, draft_id, PRELIMINARY)
    assert list(form["properties"]) == ["has_jurisdiction", "materials_complete", "in_scope",
                                        "repeat_without_new_facts", "review_opinion", "severity", "supplement_items"]
    assert form["required"] == ["in_scope", "has_jurisdiction", "materials_complete", "repeat_without_new_facts",
                                "review_opinion"]
    assert "allOf" not in form
    assert form["properties"]["supplement_items"] == {"type": "string", "title": "需补正的材料", "maxLength": 1000}
    shipped = json.loads((ROOT / PRELIMINARY).read_text(encoding="utf-8"))
    assert all(form["properties"][k] == shipped["properties"][k] for k in form["properties"] if k != "supplement_items")

    # On the register form, 联系电话 is one of two fields demanded unless the complaint is anonymous: removing it
    # keeps the rule for the other (投诉人), and removing a field no rule names says nothing of rules.
    open_form(page, draft_url, REGISTER)
    field_row(page, "complainant_phone").get_by_role("button", name="删除").click()
    expect(page.locator("#editor-notice")).to_have_text("已删除字段 complainant_phone，并一并删除引用它的 1 处条件")
    field_row(page, "complainant_address").get_by_role("button", name="删除").click()
    expect(field_row(page, "complainant_address")).to_have_count(0)
    expect(page.locator("#editor-notice")).to_have_count(0)
    save(page)
    form = saved_form(app, draft_id, REGISTER)
    assert "complainant_phone" not in form["properties"] and "complainant_address" not in form["properties"]
    assert form["allOf"] == [
        {"if": {"properties": {"report_kind": {"const": "anonymous_report"}}, "required": ["report_kind"]},
         "else": {"required": ["complainant_name"]}},
        {"if": {"properties": {"channel": {"enum": ["court", "procuratorate", "police"]}}, "required": ["channel"]},
         "then": {"required": ["referral_org"], "properties": {"referral_org": {"minLength": 2}}}}]
