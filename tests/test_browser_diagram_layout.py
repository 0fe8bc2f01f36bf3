"""In real Chromium: the complaint diagram opens readable where people open it — in the modeler (流程定义 → a draft →
the .bpmn) and on the bottleneck map (统计 → 瓶颈图) — its start event and the first lane's first tasks on screen,
each task's name drawn at least 10 px high."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browser import shot, sign_in
from .conftest import ROOT
from .diagram_layout import NS, Diagram
from .test_browser_policy import COMPLAINT, new_draft, open_in_modeler

pytestmark = pytest.mark.browser


def first_lane() -> tuple[str, list[str]]:
    """The complaint's start event and the tasks of its first lane, left to right."""
    diagram = Diagram(ROOT / COMPLAINT)
    lane = next(diagram.tree.iter(f"{{{NS['bpmn']}}}lane"))
    refs = [r.text for r in lane.iterfind("bpmn:flowNodeRef", NS)]
    start = next(r for r in refs if diagram.kind[r] == "startEvent")
    tasks = sorted((r for r in refs if diagram.kind[r].endswith("Task")), key=lambda r: diagram.box[r][0])
    return start, tasks


def assert_opens_on_the_start(page, canvas: str) -> None:
    """The start event and the first lane's first tasks (two at least) lie in the canvas, names ≥ 10 px high."""
    frame = page.locator(canvas).bounding_box()

    def shown(element: str) -> bool:
        box = page.locator(f'{canvas} g.djs-element.djs-shape[data-element-id="{element}"]').first.bounding_box()
        return (box is not None and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
                and frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"])
    start, tasks = first_lane()
    assert shown(start)
    on_screen = [t for t in tasks if shown(t)]
    assert len(on_screen) >= 2 and on_screen == tasks[:len(on_screen)]
    for task in on_screen:
        line = page.locator(f'{canvas} g.djs-element[data-element-id="{task}"] .djs-visual text tspan').first
        assert line.bounding_box()["height"] >= 10, task


def test_the_complaint_diagram_opens_on_its_start_readable_in_the_modeler(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    open_in_modeler(page, new_draft(page, live_server, "版面"), COMPLAINT)
    assert_opens_on_the_start(page, "#canvas")
    shot(page, "diagram-layout-modeler")


def test_the_bottleneck_map_of_a_quiet_period_opens_on_the_start_readable(app, live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/stats?process=lawyer_complaint")
    page.locator("#stats-bottlenecks").click()
    page.wait_for_url(re.compile(r".*/stats/bottlenecks\?.*"))
    page.fill("#map-since", "2001-01-01")             # no case then: no slow step to open on
    page.fill("#map-until", "2001-01-31")
    page.locator("#map-apply").click()
    page.wait_for_url(re.compile(r".*since=2001-01-01.*"))
    expect(page.locator("#bottleneck-map[data-rendered='true']")).to_have_count(1)
    expect(page.locator("#bottleneck-steps")).to_contain_text("无数据")
    assert_opens_on_the_start(page, "#bottleneck-map")
    shot(page, "diagram-layout-bottleneck-map")
