"""In real Chromium, issue 21's leftovers of time limits as a table: the form editor's preview shows a `{limit:…}`
default, label and help text as the draft's own limits table has them (changed a moment before in the table
editor), the modeler's script hint lists the limit helpers of the vocabulary, and a step's `timeLimit` is chosen
from the rows of its diagram's limits table."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.definitions import drafts
from web.database import session as db_session

from .browser import shot, sign_in
from .test_browser_form_editor import open_form
from .test_browser_limits import type_into
from .test_browser_policy import COMPLAINT, new_draft, open_in_modeler, save_diagram, select_element

pytestmark = pytest.mark.browser
TABLE = "forms/law_firm/limits.json"
DEPLOY_FORM = "forms/law_firm/deploy.schema.json"


def test_the_form_preview_shows_a_limit_default_from_the_drafts_own_table(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "公示期改为7个工作日")
    page.locator("#limit-tables").get_by_role("link", name=TABLE, exact=True).click()
    page.wait_for_url(re.compile(r".*/limits/forms/law_firm/limits\.json$"))
    row = page.locator('#limits tr[data-name="publicity"]')
    assert row.locator('input[name$="-value"]').input_value() == "5"
    type_into(page, row.locator('input[name$="-value"]'), "7")
    page.click("#save-limits")
    expect(page.locator(".flash")).to_contain_text("期限表已保存")
    open_form(page, draft_url, DEPLOY_FORM)
    preview = page.locator("#preview")
    expect(preview.locator('[name="publicity_days"]')).to_have_value("7")      # the draft's row, not the shipped 5
    expect(preview).to_contain_text("公示期（个工作日）")
    expect(preview).to_contain_text("默认 7个工作日")
    expect(preview).not_to_contain_text("{limit:")
    shot(page, "form-editor-limit-preview")


def test_the_modeler_script_hint_lists_the_limit_helpers(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "查看脚本提示")
    open_in_modeler(page, draft_url, COMPLAINT)
    select_element(page, "Script_intake")
    hint = page.locator('[data-entry-id="lawflow-script"] .bio-properties-panel-description')
    expect(hint).to_contain_text("add_working_days(")                         # the engine's time helpers
    for helper in ("limit_due(name, start)", "limit_text(name)", "limit_last_day(name, start)"):
        expect(hint).to_contain_text(helper)                                   # and the vocabulary's


def test_a_steps_limit_is_chosen_from_the_rows_of_the_limits_table(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "初审改按移送线索期限")
    open_in_modeler(page, draft_url, COMPLAINT)
    select_element(page, "Task_preliminary")
    choice = page.locator("#bio-properties-panel-lawflow-timeLimit")
    expect(page.locator('[data-entry-id="lawflow-timeLimit"]')).to_contain_text("期限表中的期限")
    expect(choice).to_have_value("review")
    expect(choice.locator("option:checked")).to_have_text("受理审查（review，10个工作日）")
    choice.select_option(label="政法单位移送线索的审查（referral_review，7个工作日）")
    assert "校验通过" in save_diagram(page)
    with app.app_context():
        diagram = drafts.files(db_session(), int(draft_url.rsplit("/", 1)[-1]))[COMPLAINT].decode()
    task = diagram[diagram.index('id="Task_preliminary"'):]
    assert '<spiffworkflow:property name="timeLimit" value="referral_review"' in task[:task.index("</bpmn:userTask>")]
