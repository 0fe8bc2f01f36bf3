"""The proof of issue 21's case repair in real Chromium, by mouse and keyboard: a policy officer opens a stuck
sample case, previews moving it on to 审核 (the form shows the task it cancels and the one it creates), confirms,
and the case page shows the new task and the reason in its history; the leader then finds 审核 in his inbox."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from engine.runtime import cases
from engine.time.workdays import CHINA_TZ
from web.database import session as db_session
from web.workflow import engine

from .browser import shot, sign_in

pytestmark = pytest.mark.browser


def test_a_policy_officer_moves_a_stuck_case_to_another_step(app, live_server, new_page):
    with app.app_context(), time_machine.travel(datetime(2025, 10, 14, 9, 0, tzinfo=CHINA_TZ), tick=False):
        case_id = cases.start_case(engine(), db_session(), "sample_review", {"title": "购置档案柜"},
                                   org_code="county-a", actor="zhang").id
    page = new_page()
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/cases/{case_id}")
    page.click("#repair-case")
    page.wait_for_url(f"{live_server}/cases/{case_id}/repair")
    page.select_option("#move-element", label="审核（Task_review）")
    page.click("#move-reason")
    page.keyboard.type("经办人已离职，申请材料已由科长当面核实")
    page.click("#move-preview")
    expect(page.locator("#move-created")).to_contain_text("审核")
    expect(page.locator("#move-cancelled")).to_contain_text("填写申请")
    shot(page, "case-repair-preview")
    page.click("#move-confirm")
    page.wait_for_url(f"{live_server}/cases/{case_id}")
    expect(page.locator("main")).to_contain_text("案件已移至所选步骤")
    expect(page.locator("main")).to_contain_text("经办人已离职，申请材料已由科长当面核实")
    shot(page, "case-repair-moved")
    leader = new_page()
    sign_in(leader, live_server, "li")
    leader.goto(f"{live_server}/inbox?view=group")
    expect(leader.locator("#inbox")).to_contain_text("审核")
