"""In real Chromium, by mouse and keyboard: a policy officer finds a lawyer in the respondent registry under
流程定义, changes the lawyer's name and position on the entry's page and sees the change there and in its history, and deactivates another lawyer (confirming in the page's dialog); a clerk
starting a new complaint is then offered the first lawyer under the new name and not the deactivated one."""
from __future__ import annotations

import re

import pytest

from .browser import click_confirmed, shot, sign_in

pytestmark = pytest.mark.browser
NEW_NAME = "吴某某律师（示范明德律师事务所合伙人）"


def test_a_policy_officer_edits_a_lawyers_entry_and_a_new_case_offers_the_change(live_server, new_page):
    base = live_server
    officer = new_page()
    sign_in(officer, base, "admin")
    officer.click("#nav-policy")
    officer.wait_for_url(re.compile(r".*/policy/$"))
    officer.click("#registries-link")
    officer.wait_for_url(re.compile(r".*/policy/registries/$"))
    officer.get_by_role("link", name="律师和律师事务所名录").click()
    officer.wait_for_url(re.compile(r".*/policy/registries/respondent$"))
    officer.click("#registry-q")
    officer.keyboard.type("吴某某")
    officer.keyboard.press("Enter")
    officer.wait_for_url(re.compile(r".*/policy/registries/respondent\?q=.*"))
    row = officer.locator("#registry-entries tr[data-key]")
    assert row.count() == 1 and row.get_attribute("data-key") == "L-0001"
    row.get_by_role("link", name="L-0001").click()
    officer.wait_for_url(re.compile(r".*/entries/L-0001$"))
    officer.click("#f-name")
    officer.keyboard.press("Control+A")
    officer.keyboard.type(NEW_NAME)
    officer.locator("#f-position").select_option(label="合伙人")
    shot(officer, "registries-01-entry-edited")
    officer.click("#entry-save")
    officer.wait_for_url(re.compile(r".*/entries/L-0001$"))
    assert "已保存" in officer.locator(".flash").inner_text()
    assert NEW_NAME in officer.locator("#entry-title").inner_text()
    assert officer.locator("#f-position option:checked").inner_text() == "合伙人"
    history = officer.locator("#entry-history").inner_text()
    assert "修改" in history and "职务：— → 合伙人" in history and NEW_NAME in history
    shot(officer, "registries-02-entry-saved")
    officer.goto(f"{base}/policy/registries/respondent/entries/L-0002")        # another lawyer leaves the choices
    assert click_confirmed(officer, "#entry-deactivate")
    assert "已停用" in officer.locator("#entry-status").inner_text()

    clerk = new_page()
    sign_in(clerk, base, "xu")
    clerk.goto(f"{base}/start/lawyer_complaint")
    clerk.click("#start-submit")
    clerk.wait_for_url(re.compile(r".*/tasks/\d+$"))
    offered = clerk.locator('[data-field="respondent_id"] select option[value="L-0001"]')
    assert offered.inner_text().strip() == NEW_NAME
    assert clerk.locator('[data-field="respondent_id"] select option[value="L-0002"]').count() == 0
    assert clerk.locator('[data-field="respondent_id"] select option[value="L-0003"]').count() == 1
    shot(clerk, "registries-03-new-case-choice")
