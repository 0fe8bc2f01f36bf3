"""In real Chromium, by mouse and keyboard: a leader opens 统计 and sees every report's chart drawn by ECharts (a
canvas in each chart's box), then 打印 opens the print view in a new tab, where every chart is drawn as SVG, the
navigation is gone, and the print button and the way back are left off the paper (print media)."""
from __future__ import annotations

import re

import pytest

from .browser import shot, sign_in

pytestmark = pytest.mark.browser


def _chart_ids(page) -> list[str]:
    boxes = page.locator("div.chart")
    return [boxes.nth(n).get_attribute("id") for n in range(boxes.count())]


def test_the_charts_are_drawn_and_the_page_prints_as_a_person_would_print_it(live_server, new_page):
    base, page = live_server, new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "sun")                                   # 东城分管副局长
    page.locator("#nav-stats").click()
    page.wait_for_url(re.compile(r".*/stats$"))
    page.locator("#report-complaint_monthly").wait_for()
    charts = _chart_ids(page)
    assert {"chart-complaint_monthly", "chart-complaint_outcomes", "chart-complaint_channels"} <= set(charts)
    for chart in charts:
        box = page.locator(f"#{chart}")
        box.scroll_into_view_if_needed()
        box.locator("canvas").first.wait_for(state="visible")
        assert box.get_attribute("data-drawn") == "true"
        drawn = box.locator("canvas").first.bounding_box()
        assert drawn and drawn["width"] > 200 and drawn["height"] > 200, chart
    page.locator("#stats-until").click()
    page.keyboard.press("Control+a")
    page.locator("#stats-until").fill("2025-10-31")
    page.locator("#stats-apply").click()
    page.wait_for_url(re.compile(r".*until=2025-10-31.*"))
    page.locator("#chart-complaint_monthly canvas").first.wait_for(state="visible")
    with page.expect_popup() as opened:
        page.locator("#stats-print").click()
    printed = opened.value
    printed.on("pageerror", lambda error: errors.append(str(error)))
    printed.wait_for_url(re.compile(r".*/stats/print\?.*until=2025-10-31.*"))
    printed.locator("#print-title").wait_for()
    assert printed.locator("#site-nav").count() == 0
    assert set(_chart_ids(printed)) == set(charts)
    for chart in charts:
        printed.locator(f"#{chart} svg").first.wait_for(state="attached")
        assert printed.locator(f"#{chart}").get_attribute("data-drawn") == "true"
    assert "2025-10-31" in printed.locator("#print-scope").inner_text()
    assert printed.locator("#report-complaint_channels table.report-table tr.total").count() == 1
    shot(printed, "stats-05-print-view")
    printed.locator("#print-now").click()                       # the browser's print (headless: answered at once)
    printed.emulate_media(media="print")
    assert not printed.locator("#print-now").is_visible() and not printed.locator("#print-back").is_visible()
    assert printed.locator("#report-complaint_monthly svg").first.is_visible()
    printed.emulate_media(media="screen")
    printed.locator("#print-back").click()
    printed.wait_for_url(re.compile(r".*/stats\?.*until=2025-10-31.*"))
    assert errors == []
