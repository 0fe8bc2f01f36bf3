"""The charts the 统计 page is handed (web/chart_specs.py), on the demo data, on both databases: a line over months,
a stacked outcome mix, bars elsewhere, each in ECharts' Chinese locale (English under the English interface),
each saved as an image by its toolbox; and the print view, the same reports for paper with the charts as SVG."""
from __future__ import annotations

import json
import re
from pathlib import Path

from .test_work_pages import text
from .web_helpers import login

ROOT = Path(__file__).resolve().parents[1]
CHARTS = re.compile(r'<script type="application/json" class="chart-data">(.*?)</script>', re.S)


def charts(page: str) -> dict[str, dict]:
    """The chart specs a page hands ECharts, by report key."""
    found = [json.loads(blob) for blob in CHARTS.findall(page)]
    return {spec["key"]: spec for spec in found}


def _measures(name: str, kind: str) -> list[str]:
    definition = json.loads((ROOT / "forms/complaint" / f"{name}.report.json").read_text(encoding="utf-8"))
    return [m["label"] for m in definition["measures"] if m["kind"] == kind]


def test_the_monthly_trend_is_a_line_over_months_and_the_outcome_mix_is_stacked(client):
    login(client, "admin")
    page = client.get("/stats?process=lawyer_complaint&since=2025-08-01&until=2025-10-31").get_data(as_text=True)
    specs = charts(page)
    monthly = specs["complaint_monthly"]["option"]
    assert monthly["xAxis"]["type"] == "category" and monthly["xAxis"]["data"] == ["2025-08", "2025-09", "2025-10"]
    assert [s["type"] for s in monthly["series"]] == ["line"] * 3
    assert [s["name"] for s in monthly["series"]] == _measures("monthly", "count")
    assert [s["data"] for s in monthly["series"]][0][-1] > 0 and "stack" not in monthly["series"][0]
    outcomes = specs["complaint_outcomes"]["option"]
    assert [s["name"] for s in outcomes["series"]] == _measures("outcomes", "count")
    assert {(s["type"], s["stack"]) for s in outcomes["series"]} == {("bar", "total")}
    channels = specs["complaint_channels"]["option"]
    assert {s["type"] for s in channels["series"]} == {"bar"} and all("stack" not in s for s in channels["series"])
    assert "12345 热线工单" in channels["xAxis"]["data"]
    first = specs["complaint_channels"]
    assert len(first["urls"][0]) == len(channels["xAxis"]["data"])       # a click on each bar opens its cases
    assert all(u.startswith("/stats/complaint_channels/cases?measure=") for u in first["urls"][0])
    tree = specs["complaint_handling-tree"]
    assert tree["kind"] == "tree" and tree["option"]["series"][0]["type"] == "tree"
    assert tree["option"]["series"][0]["data"][0]["url"].startswith("/stats/complaint_handling/cases?")


def test_every_chart_is_in_the_interface_language_and_saves_as_an_image(client):
    login(client, "admin")
    processes = re.findall(r'<option value="([a-z_]+)"', client.get("/stats").get_data(as_text=True))
    assert len(processes) >= 3
    for process in processes:
        specs = charts(client.get(f"/stats?process={process}").get_data(as_text=True))
        assert specs
        for key, spec in specs.items():
            assert spec["locale"] == "ZH" and spec["renderer"] == "canvas", key
            assert spec["option"]["toolbox"]["feature"]["saveAsImage"] == {"title": "保存为图片", "name": key}
    client.get("/lang/en")
    specs = charts(client.get("/stats?process=lawyer_complaint").get_data(as_text=True))
    assert {s["locale"] for s in specs.values()} == {"EN"}
    assert {s["option"]["toolbox"]["feature"]["saveAsImage"]["title"] for s in specs.values()} == {"Save as image"}
    with client.get("/assets/echarts/echarts.min.js") as script:      # the build that carries the ZH and EN locales
        assert b'"ZH"' in script.data and b'"EN"' in script.data


def test_the_page_prints_through_its_print_view(client):
    login(client, "sun")                                        # 东城分管副局长
    page = client.get("/stats?process=lawyer_complaint&since=2025-10-01&until=2025-10-31").get_data(as_text=True)
    link = re.search(r'<a class="button" id="stats-print" href="([^"]+)" target="_blank">打印</a>', page)
    assert link and "onclick" not in page
    printed = client.get(link.group(1).replace("&amp;", "&"))
    assert printed.status_code == 200
    html = printed.get_data(as_text=True)
    assert 'id="site-nav"' not in html and 'data-print id="print-now"' in html and "@media print" in html
    assert "东城区司法局 · 2025-10-01 — 2025-10-31" in text(printed)
    specs = charts(html)
    assert set(specs) == set(charts(page))                     # every chart of the page, drawn for paper
    assert {(s["renderer"], s["option"]["animation"]) for s in specs.values()} == {("svg", False)}
    assert html.count('class="report-table"') == page.count('class="report-table"')
    assert client.get("/stats/print?org=county-b").status_code == 404       # another county: not his to print
    client.get("/lang/en")
    assert "Statistics" in text(client.get("/stats/print")) and "Print" in text(client.get("/stats/print"))
