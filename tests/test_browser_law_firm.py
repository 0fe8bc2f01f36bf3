"""In real Chromium, the shipped law-firm acceptance (processes/law_firm, forms/law_firm) on the demo data: a firm's
director finds 申报 among the tasks, fills the application and the self-assessment with mouse and keyboard (a few
deductions with reasons, an evidence file), watches the total and band change and submits; the county recommends
and the city draws the inspectors (through the engine, as the scenario tests do); a drawn inspector scores on site
with the firm's self-assessment beside each item; the city sees the participant and the figures on the campaign's
page; another firm's director gets the 404 page for the first firm's case."""
from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import select

from engine.core.models import Case
from engine.runtime import cases
from engine.runtime.timers import fire_due_timers
from web.database import session as db_session
from web.workflow import engine

from .browser import shot, sign_in
from .complaint_steps import at, do
from .helpers import ready
from .conftest import DEMO_MOMENT
from .law_firm_steps import REVIEW, WINDOWS
from .test_web_score_sheet import case_value

pytestmark = pytest.mark.browser
FIRM, DIRECTOR, OTHER_DIRECTOR, REVIEWER = "F-0001", "mingde", "zhengyan", "chen"
DEPLOY = {"campaign_title": "2025年度规范化律师事务所评定", "year": 2025, **WINDOWS,
          "leading_group": ["韩局长", "钱处员"]}
APPLICATION = {"firm_address": "示范市东城区人民路 1 号", "founded_on": "2015-03-01", "director_name": "王明德",
               "contact_phone": "0571-88880001", "partners_count": "5", "lawyers_count": "21",
               "party_members_count": "6",
               "self_report": "本所已按评分标准逐项自查，党支部、合伙人会议、统一收案收费和利益冲突审查制度均已建立并执行。"}

EVIDENCE = b"%PDF-1.4 party branch approval"


def deployed_campaign(app) -> tuple[int, int]:
    """The city's 律师工作处 deploys the campaign (every firm of the city is invited); answer the campaign's id and
    the first firm's application."""
    with app.app_context():
        db = db_session()
        campaign = cases.start_case(engine(), db, "law_firm_campaign", {}, org_code="city-bureau", actor="qian")
        do(engine(), db, campaign.id, "部署", "qian", DEPLOY)
        return campaign.id, application_id(db, campaign.id)


def application_id(db, campaign_id: int) -> int:
    """The first firm's participant case of this campaign."""
    db.commit()
    return next(c.id for c in db.scalars(select(Case).where(Case.parent_id == campaign_id)) if c.org.code == FIRM)


def meta(app, case_id: int) -> dict:
    """The case row's reportable fields as stored now."""
    with app.app_context():
        db = db_session()
        db.expire_all()
        return dict(db.get(Case, case_id).meta)


def business_number(app, case_id: int) -> str:
    """The case's business number, as the inbox lists it."""
    with app.app_context():
        return db_session().get(Case, case_id).business_number


def type_into(page, locator, value: str) -> None:
    """Click the input and replace what it holds from the keyboard."""
    locator.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def deduct(page, sheet, code: str, reason: str, count: int) -> None:
    """Add a deduction row to an item: its reason, then its count."""
    item = sheet.locator(f'[data-item="{code}"]')
    item.get_by_role("button", name="添加扣分").click()
    type_into(page, item.locator('input[name$=".reason"]').last, reason)
    type_into(page, item.locator("input.deduction-count").last, str(count))


def score_below(page, sheet, code: str, score: int, reason: str) -> None:
    """Enter an item's score from the keyboard and, with Tab, the reason it is below the maximum."""
    sheet.locator(f'[data-item="{code}"] input.score').click()
    page.keyboard.type(str(score))
    page.keyboard.press("Tab")
    page.keyboard.type(reason)


def claim_from_inbox(page, base: str, task: str, number: str) -> None:
    """From 待签收, claim the task of the case with this business number (the demo's own campaign may put the same
    task of another firm in the same queue); the claim opens it; back on 我的待办 it is listed, and opened from
    there."""
    page.goto(f"{base}/inbox")
    page.click("#tab-group")
    row = page.locator("#inbox tr", has_text=task).filter(has_text=number)
    row.get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    page.get_by_role("link", name="待办", exact=True).click()
    assert page.locator("#tab-mine").get_attribute("class") == "active"
    page.locator("#inbox tr", has_text=task).filter(has_text=number).get_by_role("link", name=task, exact=True).click()
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))                # the task page loaded, its sheet marked


def fill_application(page) -> None:
    """The application's plain fields, by keyboard, and the commitment ticked with the mouse."""
    for name, value in APPLICATION.items():
        field = page.locator(f'#task-form [data-field="{name}"]').locator("textarea, input").first
        if field.get_attribute("type") == "date":
            field.fill(value)              # the date picker's own keyboard order depends on the browser's locale
        else:
            type_into(page, field, value)
    page.locator('#task-form [data-field="commitment"] input[value="true"]').click()


def apply_in_browser(page, base: str, tmp_path, number: str) -> None:
    """The firm's director finds 申报 among the tasks, fills the application and the self-assessment, submits."""
    sign_in(page, base, DIRECTOR)
    claim_from_inbox(page, base, "申报", number)
    page.wait_for_selector("#sheet-self_score")
    fill_application(page)
    sheet = page.locator("#sheet-self_score")
    total, band = sheet.locator("[data-total]"), sheet.locator("[data-band]")
    assert (total.inner_text(), band.inner_text()) == ("100", "规范化（示范）")
    deduct(page, sheet, "D1.2", "缺第二、三季度三会一课记录", 2)
    assert (total.inner_text(), sheet.locator('[data-subtotal="D1"]').inner_text()) == ("98", "13")
    score_below(page, sheet, "D2.1", 2, "2024年仅召开一次合伙人会议")
    deduct(page, sheet, "D3.1", "抽查卷宗缺利冲审查记录", 5)
    assert (total.inner_text(), band.inner_text()) == ("91", "规范化（示范）")
    score_below(page, sheet, "D5.1", 1, "执业承诺未上墙公示")
    assert (total.inner_text(), band.inner_text()) == ("89", "规范化（达标）")
    evidence = tmp_path / "党支部设立批复.pdf"
    evidence.write_bytes(EVIDENCE)
    with page.expect_file_chooser() as chooser:
        sheet.locator('[data-item="D1.1"] input[type=file]').click()
    chooser.value.set_files(str(evidence))
    shot(page, "law-firm-01-self-assessment")
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「申报」" in page.inner_text(".flash.ok")
    page.click("#tab-done")                          # from what it has done, to the case: now awaiting 初审
    page.locator("#inbox tr", has_text="申报").locator("td").nth(1).locator("a").click()
    assert page.inner_text('dd[data-field="stage"]') == "待初审"


def recommended_and_drawn(app, campaign_id: int, case_id: int, clock) -> list[str]:
    """The county recommends an hour later; both windows close (the campaign tells its participants); on Monday
    11-03 the organiser has the inspectors drawn. Answer the inspectors drawn for the firm."""
    with app.app_context():
        db = db_session()
        clock.shift(3600)
        do(engine(), db, case_id, "初审", REVIEWER, REVIEW)
        for moment in ("2025-11-01T09:00", "2025-11-03T09:00"):
            clock.move_to(at(moment))
            fire_due_timers(engine(), db)
            db.commit()
        do(engine(), db, campaign_id, "组织实地检查", "qian", {"max_per_inspector": 2})
        fire_due_timers(engine(), db)
        db.commit()
        task = next(t for t in ready(db, case_id) if t.name == "实地检查评分")
        return list(task.candidate_users)


def inspect_in_browser(page, base: str, username: str, number: str) -> None:
    """A drawn inspector claims 实地检查评分, sees the firm's self-assessment beside each item, scores and submits."""
    sign_in(page, base, username)
    claim_from_inbox(page, base, "实地检查评分", number)
    sheet = page.locator("#sheet-inspection_score")
    total, band = sheet.locator("[data-total]"), sheet.locator("[data-band]")
    assert beside(sheet) == {"D1.2": "2", "D2.1": "2", "D3.1": "0", "D5.1": "1"}   # the firm's own score, marked
    assert sheet.locator("td.earlier").count() == 26
    assert sheet.locator('[data-item="D1.2"] .earlier-entry').inner_text() == "缺第二、三季度三会一课记录 × 2"
    assert sheet.locator('[data-item="D2.1"] .earlier-entry').inner_text() == "2024年仅召开一次合伙人会议"
    evidence = sheet.locator('[data-item="D1.1"] .earlier-entry a')          # the firm's evidence, to open
    assert evidence.inner_text() == "党支部设立批复.pdf"
    assert page.request.get(base + evidence.get_attribute("href")).body() == EVIDENCE
    deduct(page, sheet, "D1.2", "抽查会议记录缺两个季度", 2)       # now as the firm scored it
    deduct(page, sheet, "D2.3", "5 份卷宗无收费票据", 5)
    deduct(page, sheet, "D3.1", "2 份卷宗缺利冲审查记录", 2)
    score_below(page, sheet, "D2.1", 2, "合伙人会议记录无签名")
    score_below(page, sheet, "D5.1", 1, "执业承诺未公示")
    assert (total.inner_text(), band.inner_text()) == ("87", "规范化（达标）")
    deduct(page, sheet, "D4.5", "重大事项逾期报告一件", 1)
    assert (total.inner_text(), band.inner_text()) == ("86", "规范化（达标）")
    assert sheet.locator('[data-subtotal="D2"]').inner_text() == "18"
    assert differing(sheet) == ["D2.3", "D3.1", "D4.5"]
    page.locator('[data-field="inspected_on"] input').fill("2025-11-03")
    type_into(page, page.locator('[data-field="sampled_files"] textarea'), "（2025）明德民代字第 12、31、57 号")
    shot(page, "law-firm-02-inspection")
    page.click("#complete")
    page.wait_for_url(re.compile(r".*/inbox$"))
    assert "已办理「实地检查评分」" in page.inner_text(".flash.ok")


def beside(sheet) -> dict[str, str]:
    """The self-assessment shown beside the items it differs from (those with the 有差异 badge), by item code."""
    rows = sheet.locator("tr.sheet-item", has=sheet.page.locator("[data-diff-badge]:visible"))
    return {rows.nth(i).get_attribute("data-item"): rows.nth(i).locator("td.earlier").inner_text().split()[0]
            for i in range(rows.count())}


def differing(sheet) -> list[str]:
    """The items marked as differing from the firm's self-assessment: coloured, with the 有差异 badge showing."""
    rows = sheet.locator("tr.sheet-item.differs")
    badged = sheet.locator("tr.sheet-item", has=sheet.page.locator("[data-diff-badge]:visible"))
    codes = [rows.nth(i).get_attribute("data-item") for i in range(rows.count())]
    assert codes == [badged.nth(i).get_attribute("data-item") for i in range(badged.count())]
    return codes


def campaign_page(page, base: str, campaign_id: int, case_id: int) -> dict[str, str]:
    """The city's organiser opens the campaign's case page: the firm's row of the participants table, by column."""
    sign_in(page, base, "qian")
    page.goto(f"{base}/cases/{campaign_id}")
    row = page.locator(f'#participant-table tr[data-participant="{case_id}"]')
    cells = row.locator("td[data-column]")
    return {cells.nth(i).get_attribute("data-column"): cells.nth(i).inner_text() for i in range(cells.count())}


def figures(page) -> dict[str, str]:
    """The campaign's figures as the page shows them."""
    found = page.locator("#participant-figures [data-figure]")
    return {found.nth(i).get_attribute("data-figure"): found.nth(i).locator("strong").inner_text()
            for i in range(found.count())}


def city_sees_the_campaign(page, base: str, campaign_id: int, case_id: int) -> None:
    """The organiser sees the firm's stage and scores, the figures at this point (inspected, nobody named yet) and
    what the campaign did in words people read."""
    assert campaign_page(page, base, campaign_id, case_id) == {
        "stage": "待认定", "self_total": "89", "inspection_total": "86", "band_label": "规范化（达标）"}
    row = page.locator(f'#participant-table tr[data-participant="{case_id}"]')
    assert row.locator("td").first.inner_text() == "示范明德律师事务所"     # the firm, once: its unit column
    assert figures(page) == {"invited": "8", "applied": "1", "recommended": "1", "inspected": "1",
                             "named": "0", "rectifying": "0", "overdue": "0", "rate": "0.0%"}
    timeline = page.inner_text("#timeline")
    assert "发起参与案件" in timeline and "向其他案件发出消息\t申报截止" in timeline
    assert not re.search(r"cases_started|case_message_sent|\btimer\b", timeline)
    shot(page, "law-firm-03-campaign")


def outsider_is_refused(page, base: str, paths: list[str]) -> None:
    """Another firm's director gets the 404 page for each, naming nothing of the first firm."""
    sign_in(page, base, OTHER_DIRECTOR)
    for path in paths:
        answer = page.goto(base + path)
        assert answer.status == 404 and "无法完成操作（404）" in page.inner_text("h2")
        assert "示范明德律师事务所" not in page.content()


def test_a_firm_applies_an_inspector_scores_and_the_city_sees_the_campaign(app, live_server, new_page, tmp_path):
    campaign_id, case_id = deployed_campaign(app)
    number = business_number(app, case_id)
    firm = new_page()
    apply_in_browser(firm, live_server, tmp_path, number)
    assert meta(app, case_id)["stage"] == "待初审"
    stored = case_value(app, case_id, "self_score")
    assert (stored["total"], stored["band"]) == (89, "standard")
    assert stored["items"]["D1.2"]["deductions"] == [{"reason": "缺第二、三季度三会一课记录", "count": 2}]
    assert len(stored["items"]["D1.1"]["evidence"]) == 1
    assert case_value(app, case_id, "founded_on") == "2015-03-01"
    with time_machine.travel(DEMO_MOMENT, tick=False) as clock:
        inspectors = recommended_and_drawn(app, campaign_id, case_id, clock)
        assert meta(app, case_id)["stage"] == "实地检查中" and len(inspectors) == 2
        inspector = new_page()
        inspect_in_browser(inspector, live_server, inspectors[0], number)
        scored = case_value(app, case_id, "inspection_score")
        assert (scored["total"], scored["band_label"], scored["veto"]) == (86, "规范化（达标）", False)
        assert meta(app, case_id)["stage"] == "待认定"
        city_sees_the_campaign(new_page(), live_server, campaign_id, case_id)
        evidence_id = stored["items"]["D1.1"]["evidence"][0]
        outsider_is_refused(new_page(), live_server, [
            f"/cases/{case_id}", f"/cases/{campaign_id}", f"/cases/{case_id}/attachments/{evidence_id}",
            f"/cases/{campaign_id}/participants.xlsx"])
