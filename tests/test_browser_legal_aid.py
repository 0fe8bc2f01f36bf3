"""In real Chromium, on the demo: a legal-aid institution's contact opens the self-assessment and finds the items
the ledger measures already filled in from the imported case ledger, with links to the rows behind them, and
submits it; the centre's organiser starts a case-quality check from the start page, fills its form with mouse and
keyboard, and the check draws files and two reviewers for each; a drawn reviewer scores a file on the 评查表."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.core.models import Case, HumanTask
from web.database import session as db_session

from .browser import shot, sign_in
from .test_browser_law_firm import type_into

pytestmark = pytest.mark.browser


def open_task(page, base: str, task: str, number: str = "") -> None:
    """The task from 我的待办, or claimed from 待签收 (the claim opens it)."""
    page.goto(f"{base}/inbox")
    mine = page.locator("#inbox tr", has_text=task).filter(has_text=number).get_by_role("link", name=task, exact=True)
    if mine.count():
        mine.first.click()
    else:
        page.click("#tab-group")
        page.locator("#inbox tr", has_text=task).filter(has_text=number).get_by_role("button", name="签收").first.click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))


def self_assessed_with_the_ledger(page, base: str) -> None:
    """LA-c's contact: the sheet opens with the ledger's findings (94 of 100), each linked to its rows."""
    sign_in(page, base, "ye")
    open_task(page, base, "自查评分")
    sheet = page.locator("#sheet-self_score")
    item = sheet.locator('[data-item="A2.2"]')
    assert "台账 70 件中发现 2 件" in item.inner_text()
    assert item.locator('a[href^="/ledgers/legal_aid_cases/rows/"]').count() == 2
    assert sheet.locator("[data-total]").inner_text() == "94"
    type_into(page, page.locator('[data-field="self_report"] textarea'), "对照达标标准逐项自查，台账所列超期案件已逐件核实。")
    type_into(page, page.locator('[data-field="measures"] textarea'), "建立审查、指派时限提醒台账；补做回访。")
    shot(page, "legal-aid-01-self-assessment")
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「自查评分」" in page.inner_text(".flash.ok")


def check_started(page, base: str) -> None:
    """The organiser starts a quality check of LA-c's files closed since 2024 (10%, the gap 10 points)."""
    sign_in(page, base, "fang")
    page.goto(f"{base}/start/legal_aid_quality_check")
    page.click("#start-submit")
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    page.locator('[data-field="institution_code"] select').select_option("LA-c")
    page.locator('[data-field="period_from"] input').fill("2024-01-01")
    page.locator('[data-field="period_to"] input').fill("2025-10-13")
    type_into(page, page.locator('[data-field="sample_percent"] input'), "10")
    shot(page, "legal-aid-02-quality-check")
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/(inbox|cases/\d+)$"))


def drawn_files(app) -> list[tuple[str, list[str]]]:
    """The file reviews the check started: (the file's case number, the reviewers its review names)."""
    with app.app_context():
        db = db_session()
        check = db.scalar(select(Case).where(Case.process_key == "legal_aid_quality_check")   # this test's, not
                          .order_by(Case.id.desc()))                                    # the demo's
        files = db.scalars(select(Case).where(Case.parent_id == check.id).order_by(Case.id)).all()
        return [(f.meta["case_number"], sorted({u for t in db.scalars(select(HumanTask).where(
                    HumanTask.case_id == f.id, HumanTask.status == "ready")) for u in t.candidate_users or []}))
                for f in files]


def reviewed(page, base: str, reviewer: str, number: str) -> None:
    """A drawn reviewer claims the file's review, lowers one item with its reason, and submits."""
    sign_in(page, base, reviewer)
    open_task(page, base, "案卷评查", number)
    sheet = page.locator("[id^=sheet-]").first
    total = sheet.locator("[data-total]")
    assert total.inner_text() == "100"
    sheet.locator("input.score").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.type("代理词未回应对方主要抗辩")
    assert int(total.inner_text()) < 100
    shot(page, "legal-aid-03-file-review")
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「案卷评查" in page.inner_text(".flash.ok")


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)
def test_the_self_assessment_opens_from_the_ledger_and_a_quality_check_draws_files_for_reviewers(
        app, live_server, new_page):
    self_assessed_with_the_ledger(new_page(), live_server)
    check_started(new_page(), live_server)
    files = drawn_files(app)
    assert len(files) == 8                                      # 10% of LA-c's 78 closed files, rounded up
    for number, reviewers in files:
        assert number.startswith("（") and "南援字" in number and len(reviewers) == 2
    number, reviewers = files[0]
    reviewed(new_page(), live_server, reviewers[0], number)
