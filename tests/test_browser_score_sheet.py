"""In real Chromium: a handler fills a score sheet with mouse and keyboard and watches the item scores, subtotals,
total and band change while typing; changing an auto finding asks for the reason; the sheet is submitted."""
from __future__ import annotations

import re

import pytest

from .browser import shot, sign_in
from .scoring_setup import complete, ready_task, start_scored_case
from .test_web_score_sheet import SELF_SCORED, case_value

pytestmark = pytest.mark.browser


def test_a_handler_fills_a_score_sheet_and_sees_the_live_total_change(app, live_server, new_page):
    case_id, _number = start_scored_case(app)
    task_id = ready_task(app, case_id, "自评")
    page = new_page()
    sign_in(page, live_server, "zhang")
    page.goto(f"{live_server}/tasks/{task_id}")
    sheet = page.locator("#sheet-self_score")
    total, band = sheet.locator("[data-total]"), sheet.locator("[data-band]")
    assert (total.inner_text(), band.inner_text()) == ("18", "示范")      # the finding of D2.2 deducts 2

    score = sheet.locator('input[name="self_score.items[D2.1].score"]')
    score.click()
    page.keyboard.type("5")
    assert (total.inner_text(), band.inner_text()) == ("16", "达标")
    assert sheet.locator('[data-subtotal="D2"]').inner_text() == "8"
    assert sheet.locator('[data-score="D2.1"]').inner_text() == "5"
    page.keyboard.press("Tab")
    page.keyboard.type("收费标准未公示")

    d12 = sheet.locator('[data-item="D1.2"]')
    d12.get_by_role("button", name="添加扣分").click()
    d12.locator('input[name$=".reason"]').last.fill("缺第二季度记录")
    count = d12.locator("input.deduction-count").last
    count.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    assert (total.inner_text(), band.inner_text()) == ("14", "限期整改")
    assert sheet.locator('[data-subtotal="D1"]').inner_text() == "6"

    d22 = sheet.locator('[data-item="D2.2"]')
    override = d22.locator("label.override")
    assert override.is_hidden()
    d22.get_by_role("button", name="删除").click()               # the scorer drops the finding's deduction
    assert override.is_visible() and total.inner_text() == "16"
    override.locator("input").fill("该投诉已撤销")

    sheet.locator('input[name="self_score.vetoes[V4].hit"][type=checkbox]').check()
    assert band.inner_text() == "不达标" and sheet.locator("[data-veto-badge]").is_visible()
    sheet.locator('input[name="self_score.vetoes[V4].hit"][type=checkbox]').uncheck()
    assert band.inner_text() == "达标"
    shot(page, "score-sheet-01-filled")

    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    stored = case_value(app, case_id, "self_score")
    assert stored["items"]["D1.2"]["deductions"] == [{"reason": "缺第二季度记录", "count": 2}]
    assert stored["items"]["D2.1"] == {"score": 5, "reason": "收费标准未公示"}
    assert stored["items"]["D2.2"] == {"deductions": [], "override_reason": "该投诉已撤销"}
    assert (stored["total"], stored["band_label"]) == (16, "达标")


def test_the_printed_sheet_prints_from_its_button_without_inline_script(app, live_server, new_page):
    """The completed sheet's print view: 打印 (a data-print button read by lawflow.js, no onclick) opens the
    browser's print (headless: answered at once) without a script error, and the button stays off the paper."""
    case_id, _number = start_scored_case(app)
    complete(app, case_id, "自评", "zhang", {"self_score": SELF_SCORED})
    page = new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "zhang")
    page.goto(f"{live_server}/cases/{case_id}/sheets/self_score")
    button = page.get_by_role("button", name="打印")
    assert button.get_attribute("onclick") is None and button.get_attribute("data-print") == ""
    button.click()
    page.emulate_media(media="print")
    assert not button.is_visible()
    page.emulate_media(media="screen")
    assert errors == []
