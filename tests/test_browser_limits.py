"""In real Chromium, a policy officer changes a limit in the limits table of a draft (流程定义 → the draft → 期限表)
with the mouse and the keyboard: a negative value is refused beside its cell and nothing is saved; the review limit
becomes 12 working days with a new basis, the draft's diff names the row, the draft is published, and the handler
of a case registered afterwards sees the later deadline and the new basis on the task page, while a case registered
before keeps its own."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from engine.definitions import drafts
from engine.runtime import cases
from web.database import session as db_session
from web.workflow import engine

from .browser import shot, sign_in
from .test_browser_policy import new_draft, publish, review_deadline, start_complaint

pytestmark = pytest.mark.browser
TABLE = "forms/complaint/limits.json"
NEW_BASIS = "《律师和律师事务所违法违规行为投诉处理办法(试行)》第十条"


def type_into(page, locator, value: str) -> None:
    """Click the cell and replace what it holds from the keyboard."""
    locator.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def review_row_of_draft(app, draft_url: str) -> dict:
    with app.app_context():
        files = drafts.files(db_session(), int(draft_url.rsplit("/", 1)[-1]))
        return next(r for r in json.loads(files[TABLE])["limits"] if r["name"] == "review")


def preliminary_task(app, case_id: int) -> int:
    with app.app_context():
        db = db_session()
        return next(t.id for t in cases.case_tasks(db, case_id, "ready") if t.name == "初审")


def test_a_limit_changed_in_the_table_changes_a_new_cases_deadline_and_basis(app, live_server, new_page):
    before = start_complaint(app)
    assert review_deadline(app, before) == "2025-10-27"               # 10 working days from Monday 10-13
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "受理审查期限改为12个工作日")
    page.locator("#limit-tables").get_by_role("link", name=TABLE, exact=True).click()
    page.wait_for_url(re.compile(r".*/limits/forms/complaint/limits\.json$"))
    row = page.locator('#limits tr[data-name="review"]')
    assert row.locator('input[name$="-value"]').input_value() == "10"
    type_into(page, row.locator('input[name$="-value"]'), "-2")
    page.click("#save-limits")
    expect(page.locator('#limits tr[data-name="review"] .error')).to_contain_text("不能为负数")
    assert review_row_of_draft(app, draft_url)["value"] == 10          # refused: nothing saved
    row = page.locator('#limits tr[data-name="review"]')
    type_into(page, row.locator('input[name$="-value"]'), "12")
    type_into(page, row.locator('textarea[name$="-basis"]'), NEW_BASIS)
    shot(page, "limits-table-editor")
    page.click("#save-limits")
    expect(page.locator(".flash")).to_contain_text("期限表已保存")
    saved = review_row_of_draft(app, draft_url)
    assert (saved["value"], saved["basis"], saved["unit"]) == (12, NEW_BASIS, "working_days")
    page.goto(draft_url)
    change = page.locator(f'.change[data-path="{TABLE}"] li[data-key="review"]')
    expect(change).to_contain_text("受理审查")
    assert "12" in change.inner_text() and NEW_BASIS in change.inner_text()
    publish(page, draft_url, "受理审查期限改为12个工作日")
    after = start_complaint(app)
    assert review_deadline(app, after) == "2025-10-29"                # 12 working days
    assert review_deadline(app, before) == "2025-10-27"               # the running case keeps its rule
    handler = new_page()
    sign_in(handler, live_server, "chen")
    handler.goto(f"{live_server}/tasks/{preliminary_task(app, after)}")
    expect(handler.locator("#task-deadline")).to_contain_text("2025-10-29")
    expect(handler.locator("#step-limit")).to_contain_text("12个工作日")
    expect(handler.locator("#step-limit")).to_contain_text(NEW_BASIS)
    shot(handler, "limits-handler-task")
    handler.goto(f"{live_server}/tasks/{preliminary_task(app, before)}")
    expect(handler.locator("#task-deadline")).to_contain_text("2025-10-27")
    expect(handler.locator("#step-limit")).to_contain_text("10个工作日")
    assert NEW_BASIS not in handler.locator("#step-limit").inner_text()


def test_a_limit_changed_to_one_month_in_the_table_moves_a_new_cases_deadline(app, live_server, new_page):
    """The unit 个月 is picked from the keyboard in the limits editor: the review becomes one month, counted as the
    civil law counts it (10-13 + one month = 11-13), and the handler of a case registered afterwards sees it."""
    before = start_complaint(app)
    assert review_deadline(app, before) == "2025-10-27"
    page = new_page()
    sign_in(page, live_server, "admin")
    draft_url = new_draft(page, live_server, "受理审查期限改为一个月")
    page.locator("#limit-tables").get_by_role("link", name=TABLE, exact=True).click()
    page.wait_for_url(re.compile(r".*/limits/forms/complaint/limits\.json$"))
    row = page.locator('#limits tr[data-name="review"]')
    unit = row.locator('select[name$="-unit"]')
    expect(unit.locator("option")).to_have_text(["工作日", "日（自然日）", "小时", "个月（按月计算）", "年（按年计算）"])
    type_into(page, row.locator('input[name$="-value"]'), "1")
    page.keyboard.press("Tab")                                        # from the value to the unit
    for _ in range(3):
        page.keyboard.press("ArrowDown")                              # 工作日 → 日 → 小时 → 个月
    expect(unit).to_have_value("months")
    page.click("#save-limits")
    expect(page.locator(".flash")).to_contain_text("期限表已保存")
    saved = review_row_of_draft(app, draft_url)
    assert (saved["value"], saved["unit"]) == (1, "months")
    page.goto(draft_url)
    change = page.locator(f'.change[data-path="{TABLE}"] li[data-key="review"]')
    expect(change).to_contain_text("个月")                            # the unit's word, not its code
    expect(change).to_contain_text("工作日")
    expect(change).not_to_contain_text("months")
    publish(page, draft_url, "受理审查期限改为一个月")
    after = start_complaint(app)
    assert review_deadline(app, after) == "2025-11-13"                # the corresponding day of the next month
    assert review_deadline(app, before) == "2025-10-27"
    handler = new_page()
    sign_in(handler, live_server, "chen")
    handler.goto(f"{live_server}/tasks/{preliminary_task(app, after)}")
    expect(handler.locator("#task-deadline")).to_contain_text("2025-11-13")
    expect(handler.locator("#step-limit")).to_contain_text("1个月")
    shot(handler, "limits-handler-task-month")
