"""In real Chromium (issue 22): the administrator enters the 2027 holiday schedule by clicking days of the month grids,
sees a pending deadline of a county case in the preview with its new date, saves, and the case's deadline has moved
as previewed. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest
import time_machine
from playwright.sync_api import expect

from .browser import shot, sign_in
from .calendar_setup import OFFICIAL_DAY, PROVISIONAL_DAY, at, deadline_cases

pytestmark = pytest.mark.browser


def test_the_administrator_enters_a_year_and_a_pending_deadline_moves_as_previewed(app, live_server, new_page):
    (case_id,) = deadline_cases(app, ("county-a",))
    with time_machine.travel(at("2026-12-30T10:00"), tick=False):
        page = new_page()
        sign_in(page, live_server, "admin")
        page.click("#nav-admin")
        page.click("#tab-calendar")
        page.wait_for_url(re.compile(r".*/admin/calendar$"))
        expect(page.locator("#year-state")).to_contain_text("2027 年的官方节假日安排尚未录入")
        new_year = page.locator('button.day[data-day="2027-01-01"]')
        expect(new_year).to_have_class(re.compile(r"\bholiday\b"))         # the rule-based guess, to check

        for day in ("2027-01-04", "2027-01-05", "2027-01-09"):              # two days off, a Saturday worked
            page.click(f'button.day[data-day="{day}"]')
        expect(page.locator('button.day[data-day="2027-01-04"]')).to_have_class(re.compile(r"\bholiday\b"))
        expect(page.locator('button.day[data-day="2027-01-09"]')).to_have_class(re.compile(r"\bworkday\b"))
        expect(page.locator("#a-workdays")).to_have_value("2027-01-09")
        assert "2027-01-05" in page.locator("#a-holidays").input_value()
        page.click('button.day[data-day="2027-01-06"]')                     # a slip, clicked again to undo
        page.click('button.day[data-day="2027-01-06"]')
        assert "2027-01-06" not in page.locator("#a-holidays").input_value()
        page.click("#a-note")
        page.keyboard.type("国办发明电〔2026〕示例号")
        shot(page, "calendar-01-days-clicked")

        page.click("#preview-calendar")
        row = page.locator(f'#moves tr[data-case="{case_id}"]', has_text="按表达式计时")
        expect(row).to_have_count(1)
        assert row.locator(".before").get_attribute("data-deadline") == PROVISIONAL_DAY
        previewed = row.locator(".after").get_attribute("data-deadline")
        assert previewed == OFFICIAL_DAY
        expect(row.locator(".after")).to_contain_text(f"{OFFICIAL_DAY}（周三）止")
        shot(page, "calendar-02-preview")

        page.click("#save-calendar")
        page.wait_for_url(re.compile(r".*/admin/calendar\?year=2027$"))
        expect(page.locator(".flash.ok")).to_contain_text("已录入 2027 年节假日安排")
        expect(page.locator("#year-state")).to_contain_text("已由 admin 于 2026-12-30 10:00 录入")
        expect(page.locator("#year-state")).to_contain_text("国办发明电〔2026〕示例号")
        shot(page, "calendar-03-entered")

        page.goto(f"{live_server}/cases/{case_id}")
        task_row = page.locator("#tasks tr", has_text="按表达式计时")
        expect(task_row.locator(".deadline")).to_contain_text(previewed)
        expect(task_row).not_to_contain_text("暂定")
        shot(page, "calendar-04-case-deadline-moved")
