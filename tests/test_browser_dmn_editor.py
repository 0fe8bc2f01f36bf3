"""In real Chromium, a policy officer adds a rule to the major-case decision table in the table editor (dmn-js, in
Chinese) with the mouse and the keyboard: a cell that does not compile is marked on the table and named by rule and
column when saved; fixed, the draft's diff names the added rule with its condition and output; published, a new
complaint with an amount involved above the new threshold is a major case (checked through the engine), and the
published draft's table opens read-only, in English for an English reader."""
from __future__ import annotations

import re

import pytest
import time_machine
from playwright.sync_api import expect

from engine.definitions import drafts
from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine

from .browser import saved, shot, sign_in
from .complaint_steps import accept_to_lead, at
from .test_complaint_lead import _major_reasons
from . import test_browser_policy as policy_pages

pytestmark = pytest.mark.browser
MAJOR = "processes/complaint/major_case.dmn"
REASON = "涉案金额 5 万元以上"


def save(page) -> str:
    return saved(page, "#dmn-editor", "#save-dmn")


def retype(page, cell, text: str) -> None:
    """Click a cell of the table and replace what it holds from the keyboard."""
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_rule_added_in_the_table_editor_makes_new_cases_major(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "决策表：涉案金额 5 万元以上为重大案件")
    page.get_by_role("link", name=MAJOR, exact=True).click()
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    expect(page.locator(".hit-policy")).to_contain_text("汇集（COLLECT）")         # dmn-js speaks Chinese
    expect(page.locator('th[data-col-id="Input_amount_involved"]')).to_contain_text("涉案金额（元）")
    rules = page.locator("table.tjs-table tbody tr")
    expect(rules).to_have_count(10)

    page.click('tfoot td.add-rule[data-col-index="6"]')                 # + under 涉案金额: a new rule, that cell
    expect(rules).to_have_count(11)
    added = rules.nth(10)
    amount = added.locator('td[data-col-id="Input_amount_involved"]')
    retype(page, amount, "> 50000 +")
    retype(page, added.locator("td.output-cell"), f'"{REASON}"')
    answer = save(page)
    assert "已保存" in answer
    problems = page.inner_text("#save-problems")
    assert "决策表「重大投诉案件认定」第 11 条规则" in problems and "「涉案金额（元）」列" in problems
    assert "无法在沙箱中编译" in problems and MAJOR in problems
    expect(page.locator("#dmn-editor")).to_have_attribute("data-problem-cells", "1")
    expect(amount).to_have_css("outline-style", "solid")                # the cell itself is marked
    page.locator("#save-problems li.locatable").first.click()             # and the listed problem leads to it
    expect(amount).to_be_in_viewport()
    shot(page, "dmn-editor-bad-cell")

    retype(page, amount, "> 50000")
    page.keyboard.press("Tab")
    assert "已保存" in save(page)
    expect(page.locator("#save-problems li.error")).to_have_count(0)
    expect(amount).not_to_have_css("outline-style", "solid")
    shot(page, "dmn-editor-saved")
    with app.app_context():
        xml = drafts.files(db_session(), int(draft_url.rsplit("/", 1)[1]))[MAJOR].decode()
    assert "&gt; 50000</text>" in xml and f'"{REASON}"</text>' in xml

    page.goto(draft_url)
    change = page.locator(f'.change[data-path="{MAJOR}"]')
    expect(change).to_contain_text(f'新增 规则 11: 涉案金额（元） > 50000 → "{REASON}"')
    expect(change.locator("li")).to_have_count(1)        # dmn-js rewrote the XML; nothing else reads as changed
    policy_pages.publish(page, draft_url, "涉案金额 5 万元以上为重大案件")
    assert re.fullmatch(r"v\d+", page.inner_text("#active-version"))
    page.goto(draft_url)                                  # published: the table opens read-only, here in English
    page.click("#switch-language")
    expect(page.locator("#switch-language")).to_have_text("中文")
    page.get_by_role("link", name=MAJOR, exact=True).click()
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    expect(page.locator(".hit-policy")).to_contain_text("Collect")
    expect(page.locator("main h2")).to_contain_text("Decision table")
    expect(page.locator("#save-dmn")).to_have_count(0)
    expect(page.locator("table.tjs-table tbody tr")).to_have_count(11)

    with app.app_context(), time_machine.travel(at("2025-10-13T09:00"), tick=False):
        db = db_session()
        major = accept_to_lead(engine(), db, amount_involved=60000)
        assert cases.get_case(db, major.id).meta["is_major"] is True
        assert _major_reasons(engine(), db, major.id) == [REASON]
        ordinary = accept_to_lead(engine(), db, amount_involved=40000, complainant_name="孙某",   # not a repeat
                                  complainant_phone="13800000002", respondent_id="L-0002")
        assert cases.get_case(db, ordinary.id).meta["is_major"] is False


@pytest.mark.parametrize("demo_url", ["sqlite"], indirect=True)     # dmn-js and the diff, not the database, are tried
def test_each_shipped_table_saved_unchanged_reads_as_unchanged(app, live_server, new_page):
    """dmn-js rewrites the XML it saves (ids, layout); the diff compares tables, so nothing reads as changed."""
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "决策表：原样保存")
    paths = [p for p in page.locator("#files a").all_inner_texts() if p.endswith(".dmn")]
    assert MAJOR in paths and len(paths) >= 4
    for path in paths:
        page.goto(draft_url)
        page.get_by_role("link", name=path, exact=True).click()
        page.wait_for_selector("#dmn-editor[data-ready=true]")
        assert "已保存" in save(page)
        expect(page.locator("#save-problems li.error")).to_have_count(0)
    page.goto(draft_url)
    for path in paths:
        expect(page.locator(f'.change[data-path="{path}"] li')).to_have_count(0)


def test_a_new_decision_table_is_made_on_the_draft_page_and_filled_in_the_editor(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "新建决策表：涉案金额较大")
    page.select_option("#new-dmn-folder", "complaint")
    page.click("#new-dmn-key")
    page.keyboard.type("major_case")                       # taken: refused, naming the field
    page.click("#new-dmn-name")
    page.keyboard.type("涉案金额较大")
    page.click("#new-dmn-create")
    expect(page.locator(".flash.error")).to_contain_text("决策编号（文件名）：草稿中已有文件 processes/complaint/major_case.dmn")
    expect(page.locator("#new-dmn-name")).to_have_value("涉案金额较大")
    page.click("#new-dmn-key")
    page.keyboard.press("Control+A")
    page.keyboard.type("amount_threshold")
    page.click("#new-dmn-create")
    page.wait_for_url(re.compile(r".*/files/processes/complaint/amount_threshold\.dmn$"))
    page.wait_for_selector("#dmn-editor[data-ready=true]")
    expect(page.locator(".flash.ok")).to_contain_text("已新建决策表 processes/complaint/amount_threshold.dmn")
    expect(page.locator('th[data-col-id="Input_amount_threshold_1"]')).to_contain_text("条件")
    rules = page.locator("table.tjs-table tbody tr")
    expect(rules).to_have_count(0)
    page.click("tfoot td.add-rule >> nth=0")
    expect(rules).to_have_count(1)
    retype(page, rules.nth(0).locator("td.output-cell"), '"重大"')
    page.keyboard.press("Tab")
    assert "校验通过" in save(page)
    shot(page, "dmn-new-table")
    with app.app_context():
        xml = drafts.files(db_session(), int(draft_url.rsplit("/", 1)[1]))["processes/complaint/amount_threshold.dmn"]
    assert b'"\xe9\x87\x8d\xe5\xa4\xa7"</text>' in xml and b"<rule" in xml
