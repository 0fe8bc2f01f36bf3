"""In real Chromium, by mouse and keyboard: the report editor's preview shows a shipped report's description with
its `{limit:…}` filled from the draft's own limits table, follows what the officer types into the title, and lists
a limit the table lacks with where it is written."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browser import shot, sign_in
from .test_browser_policy import new_draft
from .test_browser_report_editor import type_into

pytestmark = pytest.mark.browser
REPORT = "forms/complaint/handling.report.json"


def test_the_report_preview_shows_limits_from_the_drafts_table(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "报表预览")
    page.goto(f"{draft_url}/files/{REPORT}")
    expect(page.locator("#report-editor[data-ready=true]")).to_have_count(1)
    description = page.locator("#report-preview-description")
    expect(description).to_contain_text("调查核实 60日期限")
    expect(description).not_to_contain_text("{limit:")
    type_into(page, page.locator("#report-title"), "受理审查（{limit:review.text}）按期情况")
    expect(page.locator("#report-preview-title")).to_have_text("受理审查（10个工作日）按期情况")
    type_into(page, page.locator("#report-title"), "{limit:no_such_row.text}")
    problem = page.locator('#report-preview-problems li[data-pointer="/title"]')
    expect(problem).to_contain_text("no_such_row")
    expect(problem).to_contain_text("forms/complaint/limits.json")
    shot(page, "report-preview-unknown-limit")
