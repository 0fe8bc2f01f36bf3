"""In real Chromium: the 统计 page draws the organisation chart of a report that names a rate as its `orgTree` (the
complaint handling report, coloured by 按期办结率) as an ECharts tree on a canvas, with its legend, and the page
logs no error."""
from __future__ import annotations

import re

import pytest

from .browser import shot, sign_in

pytestmark = pytest.mark.browser


def test_the_stats_page_draws_the_organisation_chart_without_an_error(live_server, new_page):
    base, page = live_server, new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base, "admin")
    page.locator("#nav-stats").click()
    page.wait_for_url(re.compile(r".*/stats$"))
    tree = page.locator("#chart-complaint_handling-tree")
    tree.scroll_into_view_if_needed()
    tree.locator("canvas").first.wait_for(state="visible")
    box = tree.locator("canvas").first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    legend = page.locator("#report-complaint_handling .org-tree-legend").inner_text()
    assert "组织机构图" in legend and "按期办结率" in legend
    assert page.locator("#report-complaint_channels .org-tree").count() == 0     # a report without orgTree has none
    shot(page, "stats-04-org-tree")
    assert errors == []
