"""In real Chromium, a policy officer changes a scoring standard in the table editor with the mouse and the keyboard:
an item's deduction points and a band's boundary; a boundary that leaves a gap is shown beside its row when saved;
the fixed standard is published. A case started afterwards scores under the new standard, while a case started
before keeps the old one to the end (checked through the engine, by completing each case's score sheet)."""
from __future__ import annotations

import copy
import json
from uuid import UUID

import pytest

from engine.core import people
from engine.definitions import bundles, drafts
from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine

from .browser import saved, shot, sign_in
from .conftest import ROOT
from .helpers import only_ready
from .standards_data import bundle
from . import test_browser_policy as policy_pages

pytestmark = pytest.mark.browser
STANDARD = "forms/test/mini.standard.json"
PERIOD = {"party_code": "P1", "period_from": "2025-01-01", "period_to": "2025-09-30"}
SHEET = {"items": {"A1": {"deductions": [{"reason": "应设未设", "count": 1}]}}, "notes": "现场检查"}


def start_scored(app) -> int:
    with app.app_context():
        return cases.start_case(engine(), db_session(), "scored", dict(PERIOD), org_code="county-a").id


def score(app, case_id: int) -> dict:
    """Complete the case's score sheet and answer what the server stored for it."""
    with app.app_context():
        db = db_session()
        task = only_ready(db, case_id)
        cases.complete_task(engine(), db, task.id, {"score": SHEET}, user=people.user_by_name(db, "zhang"))
        workflow = engine().load_workflow(db, cases.get_case(db, case_id))
        stored = workflow.get_task_from_id(UUID(only_ready(db, case_id).task_uuid)).data["score"]
        return {k: stored[k] for k in ("item_scores", "total", "band", "standard")}


def type_into(page, locator, value: str) -> None:
    """Click the input and replace what it holds from the keyboard."""
    locator.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def save(page) -> str:
    return saved(page, "#standard-editor", "#save-standard")


def test_a_changed_deduction_and_band_boundary_apply_to_new_cases_only(app, live_server, new_page):
    with app.app_context():
        bundles.deploy(db_session(), {**bundles.collect(ROOT), **bundle()}, engine=engine())    # v2
    before = start_scored(app)
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "评分标准：扣分与等次调整")
    page.get_by_role("link", name=STANDARD, exact=True).click()
    page.wait_for_selector("#standard-editor[data-ready=true]")
    a1 = page.locator('tr.item-row[data-code="A1"]')
    assert a1.locator('[data-key="deduction.points"]').input_value() == "4"
    assert page.inner_text("#dimensions-sum") == "各维度合计 10 / 10"
    type_into(page, a1.locator('input[data-key="points"]'), "5")            # the live sum follows the typing
    assert "评分项合计 7 / 6" in page.locator("fieldset.dimension").first.inner_text()
    assert "mismatch" in page.locator("fieldset.dimension .dimension-sum").first.get_attribute("class")
    type_into(page, a1.locator('input[data-key="points"]'), "4")
    type_into(page, a1.locator('[data-key="deduction.points"]'), "2")
    good, fix = (page.locator(f'#bands-table tr[data-code="{code}"]') for code in ("good", "fix"))
    type_into(page, good.locator('input[data-key="min"]'), "8.5")
    assert "已保存" in save(page)                                          # saved, but 8 … 8.5 has no band
    beside = page.locator('#bands-table tr.problem-row[data-for="good"]')           # the row under it
    assert beside.inner_text() == "总分 8 至 8.5 之间没有对应的等次"
    assert "has-problem" in good.get_attribute("class")
    assert STANDARD in page.inner_text("#save-problems")
    shot(page, "standard-editor-gap")
    type_into(page, fix.locator('input[data-key="max"]'), "8.5")
    fix.locator('input[data-key="max"]').press("Tab")
    assert "校验通过" in save(page) or not page.locator("#save-problems li.error").count()
    assert not beside.is_visible()
    shot(page, "standard-editor-saved")
    page.goto(draft_url)
    change = page.locator(f'.change[data-path="{STANDARD}"]').inner_text()
    assert "等次下限（含）" in change and "扣分值" in change
    policy_pages.publish(page, draft_url, "调整A1扣分和达标线")
    assert page.inner_text("#active-version") == "v3"
    after = start_scored(app)                    # 8 is 达标 under the old bands, 整改 under the new
    assert score(app, before) == {"item_scores": {"A1": 0, "A2": 2, "B1": 4}, "total": 6, "band": "failed",
                                  "standard": "test/mini.standard.json"}
    assert score(app, after) == {"item_scores": {"A1": 2, "A2": 2, "B1": 4}, "total": 8, "band": "fix",
                                 "standard": "test/mini.standard.json"}


def test_rows_are_moved_added_and_removed_and_saved_as_the_table_shows(app, live_server, new_page):
    shipped_path = "forms/law_firm/standard.json"
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = policy_pages.new_draft(page, live_server, "评分标准：增加台账项")
    draft_id = int(draft_url.rsplit("/", 1)[1])
    with app.app_context():
        original = json.loads(drafts.files(db_session(), draft_id)[shipped_path])
    page.get_by_role("link", name=shipped_path, exact=True).click()
    page.wait_for_selector("#standard-editor[data-ready=true]")
    first = page.locator("fieldset.dimension").first
    first.locator('tr.item-row[data-code="D1.1"] button[data-act="down"]').click()       # D1.1 below D1.2
    page.click("#add-item-0")
    added = page.locator("fieldset.dimension").first.locator("tr.item-row").last
    type_into(page, added.locator('input[data-key="code"]'), "D1.5")
    page.keyboard.press("Tab")
    page.keyboard.type("党建工作台账")
    type_into(page, added.locator('input[data-key="points"]'), "2")
    dimension_sum = page.locator("fieldset.dimension .dimension-sum").first
    assert dimension_sum.inner_text() == "评分项合计 17 / 15"
    assert "mismatch" in dimension_sum.get_attribute("class")
    type_into(page, page.locator('tr.item-row[data-code="D1.4"] input[data-key="points"]'), "1")
    assert dimension_sum.inner_text() == "评分项合计 15 / 15"
    assert "mismatch" not in dimension_sum.get_attribute("class")
    page.locator('#vetoes-table tr[data-code="V4"] button[data-act="remove"]').click()
    auto = page.locator('tr.item-row[data-code="D4.2"] .auto')
    auto.locator("button.auto-toggle").click()                                           # the auto rule as JSON
    auto.locator("textarea").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(",")
    page.click("#save-standard")
    assert page.inner_text("#save-result") == "未保存：自动规则不是有效的 JSON 对象"
    auto.locator("textarea").press("Backspace")
    assert "已保存" in save(page) and not page.locator("#save-problems li.error").count()
    expected = copy.deepcopy(original)
    items = expected["dimensions"][0]["items"]
    items[0], items[1] = items[1], items[0]
    items[3]["points"] = 1
    items.append({"code": "D1.5", "title": "党建工作台账", "points": 2})
    expected["vetoes"] = [v for v in expected["vetoes"] if v["code"] != "V4"]
    with app.app_context():
        assert json.loads(drafts.files(db_session(), draft_id)[shipped_path]) == expected
