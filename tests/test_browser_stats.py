"""In real Chromium: a leader at the city bureau opens 统计 from the navigation, filters one county and a month, sees
the figures drawn by ECharts, clicks a bar with the mouse and lands on the cases behind it."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from .browser import shot, sign_in
from .conftest import DEMO_MOMENT

pytestmark = pytest.mark.browser


def _click_bar(page, report: str, label: str) -> None:
    """Point at the first series' bar of a category and click it, as a person would: the bar's place worked out
    from the chart's box on the screen and the chart's layout (its grid margins, categories and series, from the
    option the page was handed), the pointer held there until the tooltip names the category."""
    chart = page.locator(f"#chart-{report}")
    chart.scroll_into_view_if_needed()
    option = json.loads(page.locator(f"#report-{report} script.chart-data").first.text_content())["option"]
    grid, categories, series = option["grid"], option["xAxis"]["data"], len(option["series"])
    box = chart.bounding_box()
    band = (box["width"] - grid["left"] - grid["right"]) / len(categories)
    bars = band * 0.75                          # the bars of a category fill about three quarters of its band
    x = box["x"] + grid["left"] + band * (categories.index(label) + 0.5) - bars / 2 + bars / series / 2
    y = box["y"] + box["height"] - grid["bottom"] - 4           # just above the axis, where every bar begins
    page.mouse.move(x, y)
    expect(chart).to_contain_text(label)                        # the tooltip of the category pointed at
    page.mouse.click(x, y)


def test_a_leader_filters_a_county_and_a_month_and_clicks_a_bar(live_server, new_page):
    base, page = live_server, new_page()
    sign_in(page, base, "admin")
    page.locator("#nav-stats").click()
    page.wait_for_url(re.compile(r".*/stats$"))
    page.locator("#chart-complaint_channels[data-settled='true']").wait_for()
    assert page.locator("#report-complaint_handling tr.total th").nth(1).inner_text() == "5"
    page.locator("#stats-org").select_option(label="东城区司法局")
    page.locator("#stats-since").fill("2025-10-01")       # the date picker's keyboard order depends on the locale
    page.locator("#stats-until").fill("2025-10-31")
    page.locator("#stats-apply").click()
    page.wait_for_url(re.compile(r".*org=county-a.*"))
    assert "since=2025-10-01" in page.url and "until=2025-10-31" in page.url
    page.locator("#chart-complaint_channels[data-settled='true']").wait_for()
    channels = page.locator("#report-complaint_channels")
    assert channels.locator("tr.total th").nth(1).inner_text() == "3"           # county A's three complaints
    channels.scroll_into_view_if_needed()
    shot(page, "stats-01-county")
    _click_bar(page, "complaint_channels", "12345 热线工单")
    page.wait_for_url(re.compile(r".*/stats/complaint_channels/cases\?.*"))
    assert "group=hotline_12345" in page.url and "org=county-a" in page.url
    assert "measure=received" in page.url                                   # the first series' bar (收到)
    assert "12345 热线工单" in page.locator("#stats-figure").inner_text()
    rows = page.locator("#cases tr")
    assert rows.count() == 2                                                  # the header and one case
    assert "东城区司法局" in rows.nth(1).inner_text()
    shot(page, "stats-02-cases")


def _review_a_week_late(app) -> None:
    """A county caseworker finishes one demo complaint's 初审 six days after it was registered."""
    from sqlalchemy import select

    from engine.core import people
    from engine.core.models import HumanTask
    from engine.runtime import cases
    from web.database import session as db_session
    from web.workflow import engine as web_engine

    from .complaint_steps import review

    with app.app_context():
        db = db_session()
        task = db.scalars(select(HumanTask).where(HumanTask.element_id == "Task_preliminary",
                                                  HumanTask.status == "ready").order_by(HumanTask.id)).first()
        worker = people.candidates(db, task)[0]
        cases.complete_task(web_engine(), db, task.id, review("accept"), user=worker)


def test_the_bottleneck_map_colours_the_slowest_step(app, live_server, new_page):
    base, page = live_server, new_page()
    with time_machine.travel(DEMO_MOMENT + timedelta(days=6), tick=False):
        _review_a_week_late(app)
        sign_in(page, base, "admin")
        page.goto(base + "/stats?process=lawyer_complaint")
        page.locator("#stats-bottlenecks").click()
        page.wait_for_url(re.compile(r".*/stats/bottlenecks\?.*"))
        page.wait_for_selector("#bottleneck-map[data-rendered='true']")
        slowest = page.locator("#bottleneck-steps tr[data-heat='5']").first
        assert slowest.get_attribute("data-step") == "Task_preliminary"       # six days against none elsewhere
        shape = page.locator("#bottleneck-map g.djs-element[data-element-id='Task_preliminary']")
        assert "heat-5" in (shape.get_attribute("class") or "")
        badge = page.locator("#bottleneck-map .heat-badge[data-step='Task_preliminary']").inner_text()
        assert badge.startswith("均 ") and "P90 6 " in badge     # the other demo reviews took no time
        shot(page, "stats-03-bottlenecks")
        page.locator("#map-by").select_option("overdue")
        page.locator("#map-apply").click()
        page.wait_for_url(re.compile(r".*by=overdue.*"))
        page.wait_for_selector("#bottleneck-map[data-rendered='true']")
