"""In real Chromium, by mouse and keyboard: a policy officer opens 试运行 on a new draft, finds the scenarios shipped
with the rules (the complaint procedure's three, the law-firm acceptance's, legal aid's) and runs one in one click,
seeing its route, each task with its deadline, and that the draft gives the outcome the scenario recorded. The run
leaves no case behind."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browser import shot, sign_in
from .test_browser_policy import new_draft
from .test_browser_trial import _rows

pytestmark = pytest.mark.browser
NOT_ACCEPTED = "forms/lawyer_complaint/scenarios/不予受理.json"


def test_a_shipped_scenario_is_run_in_one_click_with_its_steps_and_deadlines(app, live_server, new_page):
    before = _rows(app)
    page = new_page()
    sign_in(page, live_server, "admin")
    new_draft(page, live_server, "试运行随版本发布的场景")
    page.click("#trial-link")
    page.wait_for_url(re.compile(r".*/trial$"))
    shipped = page.locator("#trial-scenarios .run-scenario")
    expect(shipped).to_have_count(5)
    for path in ("forms/lawyer_complaint/scenarios/受理后查无违规.json",
                 "forms/lawyer_complaint/scenarios/延期办理.json", NOT_ACCEPTED,
                 "forms/law_firm_application/scenarios/申报补正后推荐.json",
                 "forms/legal_aid_assessment/scenarios/试点机构自查报送.json"):
        expect(page.locator(f'.run-scenario[data-path="{path}"]')).to_have_count(1)

    page.set_default_navigation_timeout(60_000)        # the whole scenario runs again, its documents filled
    page.click(f'.run-scenario[data-path="{NOT_ACCEPTED}"]')
    expect(page.locator("#trial-no-changes")).to_be_visible(timeout=60_000)   # the draft gives what it recorded
    route = page.locator("#trial-route > li")
    expect(route).to_have_count(4)
    expect(route.nth(2)).to_contain_text("受理审查决定")
    expect(route.nth(3)).to_contain_text("告知投诉人")
    expect(page.locator('#trial-tasks tr[data-element="Task_preliminary"] .trial-due')).to_contain_text("2026-03-16")
    expect(page.locator('#trial-tasks tr[data-element="Task_notify"] .trial-due')).to_contain_text("2026-03-10")
    expect(page.locator('#trial-tasks tr[data-element="Task_preliminary"] .legal')).not_to_be_empty()
    shot(page, "trial-shipped-scenario")
    assert _rows(app) == before                                 # the try-run kept no case and no task
