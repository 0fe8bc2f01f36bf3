"""In real Chromium: the case panel and the task show the same deadline day — the handling limit of an investigation,
and the same limit on the next step, which runs inside it; the case's fields name the respondent and his firm, not
their registry codes. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest
import time_machine

from web.database import session as db_session
from web.workflow import engine

from .browser import shot, sign_in
from .complaint_steps import accept, at, do

pytestmark = pytest.mark.browser

FINDINGS = {"investigators": ["陈刚", "林涛"], "explanation_received": True,
            "findings": "调取代理合同及庭审记录，被投诉律师确未按约出庭。"}


def _deadline_days(page, task: str) -> tuple[str, str, str]:
    """The deadline day on the case panel, in the case's task table and on the task page (reached by a click)."""
    panel = page.locator('#case-fields [data-field="handling_deadline"]').inner_text()
    row = page.locator("#tasks tr", has_text=task)
    table = re.search(r"\d{4}-\d{2}-\d{2}", row.locator(".deadline").inner_text()).group(0)
    row.get_by_role("link", name=task).click()
    page.wait_for_selector("#task-deadline")
    on_task = re.search(r"\d{4}-\d{2}-\d{2}", page.locator("#task-deadline").inner_text()).group(0)
    return panel, table, on_task


def test_the_case_panel_and_the_task_show_the_same_deadline_day(app, live_server, new_page):
    with time_machine.travel(at("2025-10-16T16:00"), tick=False):
        with app.app_context():
            case_id = accept(engine(), db_session()).id       # accepted 10-16: 60 days, to the end of 12-15
        page = new_page()
        sign_in(page, live_server, "chen")
        page.goto(f"{live_server}/cases/{case_id}")
        fields = page.locator("#case-fields").inner_text()
        assert "吴某某律师（示范明德律师事务所）" in fields and "L-0001" not in fields and "F-0001" not in fields
        shot(page, "plain-01-case-panel")
        assert _deadline_days(page, "调查核实") == ("2025-12-15", "2025-12-15", "2025-12-15")
        assert "2025-12-15（周一）止" in page.locator("#task-deadline").inner_text()
        shot(page, "plain-02-investigation-task")

        with app.app_context():
            do(engine(), db_session(), case_id, "调查核实", "chen", {**FINDINGS, "next_step": "report"})
        page.goto(f"{live_server}/cases/{case_id}")
        assert _deadline_days(page, "处理意见") == ("2025-12-15", "2025-12-15", "2025-12-15")
        deadline = page.locator("#task-deadline").inner_text()
        assert "2025-12-15（周一）止" in deadline and "无期限" not in deadline    # the handling limit is its own now
        assert "湖南省司法厅" in page.locator("#legal-basis").inner_text()    # the step's own basis
        shot(page, "plain-03-outcome-inside-the-handling-limit")
